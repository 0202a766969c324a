"""``RemoteProducer`` and ``RemoteConsumer``: a product's events through the REST API."""

from __future__ import annotations

import base64
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from streammesh.control import ProductRecord
from streammesh.dataplane import (
    ClientClosed,
    EventProblem,
    InvalidEvent,
    ProductEvent,
    event_fields,
)
from streammesh.products import KeyType
from streammesh.sdk.errors import MeshUnreachable, RemoteRequestFailed
from streammesh.sdk.remote.wire import decode_key, path_segment

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh

RETRY_PAUSES_S = (0.5, 1.0, 2.0)
"""Pauses before a produce batch the server did not answer (no connection, a timeout, HTTP
502-504) is sent again (same key)."""
IN_PROGRESS_WAIT_S = 45.0
"""How long a batch answered 409 ``idempotency-key-in-progress`` is sent again (every
``IN_PROGRESS_PAUSE_S``): a batch whose first request died with its server (a replica behind
a load balancer) is in progress until the server's claim lease (30 s) is over."""
IN_PROGRESS_PAUSE_S = 1.0
_RETRIED_STATUSES = frozenset({502, 503, 504})


class RemoteProducer:
    """Buffers events of one product and sends them in batches of ``batch_size``.

    Each batch is validated on the server and written all or nothing: an invalid event
    raises :class:`InvalidEvent` (indexes within the batch) and none of that batch is
    written. :meth:`flush` returning means every event sent so far is durable. A batch is
    sent with an ``Idempotency-Key`` and sent again after ``RETRY_PAUSES_S`` when the server
    did not answer (or answered 502-504), and for up to ``IN_PROGRESS_WAIT_S`` while the
    server says an earlier sending of it is still in progress, so it is written once however
    often it is sent.
    """

    def __init__(self, mesh: RemoteMesh, record: ProductRecord, batch_size: int) -> None:
        self._mesh = mesh
        self.product = record.reference
        self._batch_size = max(batch_size, 1)
        self._buffer: list[dict[str, Any]] = []
        self._closed = False

    def send(self, event: Mapping[str, Any] | object) -> None:
        """Queue ``event`` (a mapping, dataclass or pydantic model); sends a full batch."""
        if self._closed:
            raise ClientClosed("producer", self.product)
        fields = event_fields(event)
        if fields is None:
            problem = EventProblem("", "event.type", f"is a {type(event).__name__}, not fields")
            raise InvalidEvent(self.product, "", [problem])
        self._buffer.append(fields)
        if len(self._buffer) >= self._batch_size:
            self.flush()

    def send_many(self, events: Iterable[Mapping[str, Any] | object]) -> int:
        """Queue every event; returns how many."""
        count = 0
        for event in events:
            self.send(event)
            count += 1
        return count

    def flush(self) -> None:
        """Send what is buffered; returns once the server answered it is durable."""
        if self._closed:
            raise ClientClosed("producer", self.product)
        batch, self._buffer = self._buffer, []
        if batch:
            self._send(batch)

    def _send(self, batch: list[dict[str, Any]]) -> None:
        """POST one batch with its own ``Idempotency-Key``; a batch without an answer (no
        connection, a timeout) or still being written is sent again with the same key, so
        the server writes it once."""
        path = f"/products/{path_segment(self.product)}/events"
        key = {"Idempotency-Key": str(uuid.uuid4())}
        pauses = iter(RETRY_PAUSES_S)
        in_progress_since: float | None = None
        while True:
            try:
                self._mesh.request(
                    "POST", path, reference=self.product, body={"events": batch}, headers=key
                )
                return
            except MeshUnreachable:
                pause = next(pauses, None)
                if pause is None:
                    raise
            except RemoteRequestFailed as exc:
                if exc.code == "idempotency-key-in-progress":
                    # Its first sending may be held by a server that died: the claim is
                    # taken over once its lease is over, without writing it twice.
                    now = time.monotonic()
                    if in_progress_since is None:
                        in_progress_since = now
                    if now - in_progress_since >= IN_PROGRESS_WAIT_S:
                        raise
                    pause = IN_PROGRESS_PAUSE_S
                elif exc.status in _RETRIED_STATUSES:
                    pause = next(pauses, None)
                    if pause is None:
                        raise
                else:
                    raise
            time.sleep(pause)

    def close(self) -> None:
        """Flush and stop; a second call does nothing."""
        if not self._closed:
            try:
                self.flush()
            finally:
                self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class RemoteConsumer:
    """Reads one product's events for a consumer group through the server.

    Yields the same :class:`ProductEvent` as an in-process consumer (keys decoded per the
    product's key type; bytes inside values come as base64 text).
    """

    def __init__(
        self, mesh: RemoteMesh, record: ProductRecord, group: str, batch_size: int
    ) -> None:
        self._mesh = mesh
        self.product = record.reference
        self.group = group
        self._key_type = record.descriptor.key.type
        self._batch_size = max(batch_size, 1)
        self._pending: deque[ProductEvent] = deque()
        self._closed = False

    def poll(self, timeout: float = 1.0) -> ProductEvent | None:
        """The next event, or ``None`` if none arrived within ``timeout`` seconds."""
        if self._closed:
            raise ClientClosed("consumer", self.product)
        if not self._pending:
            self._fetch(self._batch_size, timeout)
        return self._pending.popleft() if self._pending else None

    def take(self, count: int, timeout: float = 10.0) -> list[ProductEvent]:
        """Up to ``count`` events: returns once it has ``count``, or after ``timeout``."""
        events: list[ProductEvent] = []
        deadline = time.monotonic() + timeout
        while len(events) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not self._pending:
                self._fetch(min(count - len(events), self._batch_size), remaining)
            while self._pending and len(events) < count:
                events.append(self._pending.popleft())
        return events

    def __iter__(self) -> Iterator[ProductEvent]:
        """Every event, waiting for new ones, until the consumer is closed."""
        while not self._closed:
            event = self.poll(1.0)
            if event is not None:
                yield event

    def close(self) -> None:
        """Stop reading (the group's offsets were committed with each fetch)."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _fetch(self, count: int, timeout: float) -> None:
        wait = min(max(timeout, 0.0), 30.0)
        answer = self._mesh.request(
            "GET",
            f"/products/{path_segment(self.product)}/events",
            reference=self.product,
            params={"group": self.group, "max": min(count, 10_000), "timeout": wait},
            wait=wait,
        )
        self._pending.extend(self._events(answer["events"]))

    def _events(self, documents: list[dict[str, Any]]) -> list[ProductEvent]:
        """The events of a consume answer (the per-event work of a remote consumer, so the
        key decoding is chosen once and the few timestamps of a batch are parsed once)."""
        key_type = self._key_type
        text_key = key_type is KeyType.STRING
        times: dict[str, datetime] = {}
        events = []
        for document in documents:
            key = document["key"]
            stamp = document["timestamp"]
            timestamp = times.get(stamp)
            if timestamp is None:
                timestamp = times[stamp] = datetime.fromisoformat(stamp)
            headers = document["headers"]
            events.append(
                ProductEvent(
                    document["product"],
                    key if text_key and type(key) is str else decode_key(key_type, key),
                    document["value"],
                    document["partition"],
                    document["offset"],
                    timestamp,
                    document["schema_id"],
                    tuple((h["name"], base64.b64decode(h["value"])) for h in headers)
                    if headers
                    else (),
                )
            )
        return events
