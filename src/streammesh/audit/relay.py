"""``EventRelay``: the outbox relay from the audit table to the ``_mesh.events`` topic.

Each batch runs in one ``store.write`` transaction holding the relay lock: select the oldest
rows not yet relayed, append them in id order, flush, mark them relayed, commit. Two relays
(threads or processes) therefore never send the same row, and a row is marked only once the
log acknowledged it. A crash after the flush and before the commit sends that batch again
on the next call — at least once; consumers de-duplicate by the event's ``id``.

On SQLite the relay lock is the database's write lock, so control-plane writes wait for at
most one batch's append and flush; batches are bounded for that reason.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from streammesh.audit.events import MESH_EVENTS_TOPIC, encode_event, mesh_events_spec
from streammesh.audit.log import record_from_row
from streammesh.audit.tables import events
from streammesh.log import EventLog, Producer, ProducerOptions, TopicAlreadyExists, TopicNotFound
from streammesh.store import MetadataStore

RELAY_LOCK = "mesh-events-relay"
DEFAULT_BATCH_SIZE = 500
FLUSH_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class RelayBacklog:
    """The audit rows the relay has still to append to the events topic.

    Attributes:
        rows: How many.
        oldest_at: When the oldest of them was recorded (``None``: none pending).
    """

    rows: int
    oldest_at: datetime | None


def relay_backlog(store: MetadataStore) -> RelayBacklog:
    """What the relay has still to send: a relay that does not keep up (the log down, or no
    process relaying) shows here.

    Raises:
        StoreError: The store cannot be read.
    """
    pending = sa.select(sa.func.count(), sa.func.min(events.c.at)).where(
        events.c.relayed_at.is_(None)
    )
    with store.read() as connection:
        rows, oldest = connection.execute(pending).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC times
        oldest = oldest.replace(tzinfo=UTC)
    return RelayBacklog(int(rows), oldest)


class EventRelay:
    """Appends the audit rows not yet relayed to the mesh events topic.

    Call ``relay()`` after committing changes (and periodically, to pick up rows left by a
    process that crashed before relaying them). Close the relay to release its producer.

    Args:
        store: The metadata store holding the audit table.
        log: The event log to append to.
        topic: The events topic; another name only to keep meshes (or tests) sharing one
            Kafka cluster apart.
        batch_size: Rows per transaction.

    Example:
        >>> with EventRelay(store, log) as relay:
        ...     relay.relay()
        3
    """

    def __init__(
        self,
        store: MetadataStore,
        log: EventLog,
        *,
        topic: str = MESH_EVENTS_TOPIC,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self._store = store
        self._log = log
        self._topic = topic
        self._batch_size = batch_size
        self._producer: Producer | None = None
        self._topic_ready = False
        self._lock = threading.Lock()  # one batch at a time through this relay's producer

    @property
    def topic(self) -> str:
        """The topic this relay appends to."""
        return self._topic

    def relay(self) -> int:
        """Append every audit row not yet relayed, oldest first, and mark it relayed.

        Creates the topic when it is missing (one partition, unlimited retention).

        Returns:
            How many rows were appended by this call.

        Raises:
            LogError: the log refused or did not acknowledge the events; none of the batch is
                marked relayed, so the next call sends it again.
            StoreUnavailable: the metadata store cannot be reached.
        """
        with self._lock:
            self._ensure_topic()
            total = 0
            while True:
                try:
                    sent = self._relay_batch()
                except TopicNotFound:
                    self._topic_ready = False  # deleted under us: create it again next call
                    raise
                total += sent
                if sent < self._batch_size:
                    return total

    def close(self) -> None:
        """Close the producer (flushing anything queued); the relay can be used again later."""
        with self._lock:
            if self._producer is not None:
                producer, self._producer = self._producer, None
                producer.close()

    def _relay_batch(self) -> int:
        unrelayed = (
            sa.select(events)
            .where(events.c.relayed_at.is_(None))
            .order_by(events.c.id)
            .limit(self._batch_size)
        )
        with self._store.write(RELAY_LOCK) as connection:
            rows = connection.execute(unrelayed).mappings().all()
            if not rows:
                return 0
            producer = self._open_producer()
            for row in rows:
                key, value, headers, timestamp_ms = encode_event(record_from_row(row))
                producer.send(
                    self._topic,
                    value,
                    key=key,
                    headers=headers,
                    timestamp_ms=timestamp_ms,
                    partition=0,  # one order for the feed, even on a topic made with more
                )
            producer.flush(FLUSH_TIMEOUT_S)
            ids = [row["id"] for row in rows]
            connection.execute(
                events.update().where(events.c.id.in_(ids)).values(relayed_at=datetime.now(UTC))
            )
            return len(rows)

    def _ensure_topic(self) -> None:
        if self._topic_ready:
            return
        try:
            self._log.describe_topic(self._topic)
        except TopicNotFound:
            with contextlib.suppress(TopicAlreadyExists):  # another relay created it first
                self._log.create_topic(mesh_events_spec(self._topic))
        self._topic_ready = True

    def _open_producer(self) -> Producer:
        if self._producer is None:
            options = ProducerOptions(linger_ms=1.0, client_id="streammesh-event-relay")
            self._producer = self._log.producer(options)
        return self._producer

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
