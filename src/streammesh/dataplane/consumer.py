"""``ProductConsumer``: reads a data product's events as a member of a consumer group."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Self

from streammesh.control import ProductContract
from streammesh.dataplane.decoding import RecordDecoder, Revealer
from streammesh.dataplane.errors import ClientClosed, UnreadableEvent
from streammesh.dataplane.events import ProductEvent
from streammesh.errors import ConfigError
from streammesh.log import Consumer, ConsumerOptions, EventLog, OffsetReset, Record, TopicPartition
from streammesh.privacy import FieldProtection
from streammesh.serde import SchemaResolver

ALIVE_EVERY_S = 60.0
"""How often a polling consumer reports that its application is alive (``on_alive``)."""

ITERATION_POLL_S = 0.5
"""How long one poll of an iteration waits, and so how soon a ``close()`` from another
thread ends it."""


class ProductConsumer:
    """Reads and deserializes one data product's events as a member of a consumer group.

    Every event is read as it was written: its schema is found by the id in its header, so
    events written before and after a compatible schema change both come back, each with
    its own fields and ``schema_id``. The group's offsets follow Kafka's at-least-once rule:
    with auto-commit (the default), an event counts as processed once the consumer is asked
    for more after it, and :meth:`close` commits up to the last event returned; with
    ``auto_commit=False`` only :meth:`commit` does. A record that is not an event of the
    product raises :class:`UnreadableEvent` naming where it is; polling again continues.

    Example:
        >>> with mesh.consumer("execution.stocktrades", group="risk") as consumer:  # doctest: +SKIP
        ...     for event in consumer.take(100, timeout=5):
        ...         print(event.key, event.value["price"])
    """

    def __init__(
        self,
        log: EventLog,
        resolver: SchemaResolver,
        contract: ProductContract,
        group: str,
        options: ConsumerOptions | None = None,
        *,
        from_beginning: bool = True,
        on_alive: Callable[[], None] | None = None,
        protection: FieldProtection | None = None,
        clear: bool = False,
        principal: str = "",
    ) -> None:
        """Args:
        log: The event log holding the product's topic.
        resolver: Where the schemas of the events are found by id.
        contract: The product version to read.
        group: The consumer group; members share the partitions, and the group's committed
            offsets are where a new member resumes.
        options: Session, commit and batching settings of the log consumer; its ``group`` is
            ``group`` and its ``auto_offset_reset`` follows ``from_beginning``.
        from_beginning: Where the group starts in a partition it has no committed offset
            for: the oldest event (default) or only events produced from now on.
        on_alive: Called from ``poll`` at most every ``ALIVE_EVERY_S`` seconds while the
            consumer is used, so that a long-running application stays "active" for the
            product's lifecycle rules (the mesh passes its registration refresh here).
        protection: Reveals or masks the product's encrypted fields.
        clear: With ``protection``, decrypt classified fields (a grant that includes them);
            otherwise they read as their placeholders.
        principal: Who the decryption keys are handed out to, for the audit log.

        Raises:
            ConfigError: ``options.group`` names another group than ``group``.
            TopicNotFound: the product's topic does not exist.
        """
        options = options or ConsumerOptions()
        if options.group is not None and options.group != group:
            raise ConfigError(
                f"consumer of product '{contract.reference}': group '{group}' and "
                f"options.group '{options.group}' differ; give the group once"
            )
        reset = OffsetReset.EARLIEST if from_beginning else OffsetReset.LATEST
        self.contract = contract
        self.group = group
        self._decoder = RecordDecoder(contract, resolver)
        self._reveal: Revealer | None = (
            None if protection is None else Revealer(protection, clear, principal)
        )
        self._per_record = None if self._reveal is None else self._reveal.per_record
        self._consumer: Consumer = log.consumer(
            dataclasses.replace(options, group=group, auto_offset_reset=reset)
        )
        try:
            self._consumer.subscribe([contract.topic])
        except BaseException:
            self._consumer.close()
            raise
        self._pending: deque[Record] = deque()
        """Records the log returned that this consumer has not returned yet."""
        self._delivered: dict[TopicPartition, int] = {}
        """Per partition, the position after the last record returned: what commit() commits."""
        # One lock around the log consumer: it is not thread-safe, and close() from another
        # thread must wait for a poll in progress rather than close under it.
        self._lock = threading.RLock()
        self._closed = False
        self._on_alive = on_alive
        self._alive_at = time.monotonic()
        self._deferred: UnreadableEvent | None = None
        """An error met by take() after some events, raised by the next poll."""

    def poll(self, timeout: float = 1.0) -> ProductEvent | None:
        """The next event, or ``None`` if none arrived within ``timeout`` seconds.

        Raises:
            UnreadableEvent: the next record is not an event of the product (not in the wire
                format, an unknown schema id, undecodable bytes or key). It counts as read.
            ClientClosed: the consumer is closed.
        """
        with self._lock:
            self._before_poll()
            if not self._pending:
                self._pending.extend(self._consumer.poll(timeout))
                if not self._pending:
                    return None
            record = self._pending.popleft()
            self._delivered[TopicPartition(record.topic, record.partition)] = record.offset + 1
            return self._event(record)

    def _before_poll(self) -> None:
        """What every poll of the log starts with (the lock held): refuse a closed consumer,
        report it alive, and raise the unreadable record an earlier ``take`` stopped at."""
        self._check_open()
        self._report_alive()
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            raise deferred

    def take(self, count: int, timeout: float = 10.0) -> list[ProductEvent]:
        """Up to ``count`` events: returns once it has ``count``, or after ``timeout`` seconds.

        The data keys the events' classified fields need are handed out, and audited,
        together: one audit write for the whole call, before it returns any event.

        Raises:
            UnreadableEvent: as :meth:`poll`, when it is the first record met; met after some
                events, those are returned and the next call raises it.
            ClientClosed: the consumer is closed.
        """
        events: list[ProductEvent] = []
        deadline = time.monotonic() + timeout
        with self._together():  # each poll's batch joins it
            while len(events) < count:
                # The lock is held per poll, not for the whole call: close() from another
                # thread waits for one poll at most.
                with self._lock:
                    self._before_poll()
                    if not self._pending:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._pending.extend(self._consumer.poll(remaining))
                    if self._decode_pending(events, count):
                        break
        return events

    def _decode_pending(self, events: list[ProductEvent], count: int) -> bool:
        """Move pending records, as events, to ``events`` until it holds ``count``; ``True``
        when an unreadable record stopped it (raised if it came first, else deferred)."""
        pending, delivered, event_of = self._pending, self._delivered, self._event
        with self._together():
            while pending and len(events) < count:
                record = pending.popleft()
                delivered[TopicPartition(record.topic, record.partition)] = record.offset + 1
                try:
                    events.append(event_of(record))
                except UnreadableEvent as exc:
                    if not events:
                        raise
                    self._deferred = exc  # the events taken so far must not be lost with it
                    return True
        return False

    def _together(self) -> AbstractContextManager[None]:
        return nullcontext() if self._reveal is None else self._reveal.together()

    def __iter__(self) -> Iterator[ProductEvent]:
        """Every event, waiting for new ones, until the consumer is closed.

        To stop: ``break`` out of the loop (then leave the ``with`` block or call
        :meth:`close`), or call :meth:`close` from another thread or a signal handler; the
        loop then ends within ``ITERATION_POLL_S`` seconds. ``KeyboardInterrupt`` also ends
        it, and the ``with`` block still commits and leaves the group. An
        :class:`UnreadableEvent` leaves the loop too; iterating again continues after it.
        """
        while True:
            with self._lock:
                if self._closed:
                    return
                event = self.poll(ITERATION_POLL_S)
            if event is not None:
                yield event

    def caught_up(self) -> bool:
        """Whether every event of this consumer's partitions there is now was returned:
        none fetched and held back, and no partition behind its end (on Kafka, one round
        trip to the cluster for the ends).

        Raises:
            ClientClosed: the consumer is closed.
            LogError: the log cannot say where its partitions end.
        """
        with self._lock:
            self._check_open()
            if self._pending or self._deferred is not None:
                return False
            return not any(self._consumer.lag().values())

    def commit(self) -> None:
        """Commit, for the group, the position after the last event returned per partition.

        Raises:
            ClientClosed: the consumer is closed.
        """
        with self._lock:
            self._check_open()
            owned = self._consumer.assignment()
            offsets = {tp: offset for tp, offset in self._delivered.items() if tp in owned}
            if offsets:
                self._consumer.commit(offsets)

    def close(self) -> None:
        """Commit (with auto-commit) up to the last event returned, leave the group, release.

        A second call does nothing.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._rewind_pending()
            finally:
                self._consumer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rewind_pending(self) -> None:
        """Seek back to the first record not returned in each partition, so that closing
        commits what was returned, not what was fetched."""
        owned = self._consumer.assignment()
        first: dict[TopicPartition, int] = {}
        for record in self._pending:
            first.setdefault(TopicPartition(record.topic, record.partition), record.offset)
        self._pending.clear()
        for tp, offset in first.items():
            if tp in owned:
                self._consumer.seek(tp, offset)

    def _event(self, record: Record) -> ProductEvent:
        return self._decoder.event(record, self._per_record)

    def _report_alive(self) -> None:
        if self._on_alive is not None and time.monotonic() - self._alive_at >= ALIVE_EVERY_S:
            self._alive_at = time.monotonic()
            self._on_alive()

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed("consumer", self.contract.reference)
