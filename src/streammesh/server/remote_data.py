"""What the REST data plane keeps open between requests: log producers and consumer members.

Opening a log client per request is what made remote clients slow on Kafka: a producer
connects and fetches metadata before its first write (~1 s per request), and a consumer
joins its group (~3 s per request on the test broker, longer with Kafka's defaults). So the
server keeps them:

- :class:`ProducerPool`: log producers a produce request borrows (one request at a time
  each, so a failed flush fails only its request) and gives back; the validation, keys,
  encryption and grant check stay per request.
- :class:`ConsumerMembers`: one long-lived member per consumer group, product and
  principal, reused by the consumes of that group on this server while the group has a
  backlog: a consume that answers a full batch keeps it for the next, one that answers fewer
  events than asked and finds nothing more there (caught up) leaves the group, and so does
  one unused for ``MEMBER_IDLE_S`` (its partitions go to the group's other members, on
  other replicas too). The grant is checked at every request.

Nothing here is state a client relies on: the group's committed offsets (in the log) say
where a consume continues, whichever replica answers it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import FastAPI, Request

from streammesh.access import Caller
from streammesh.dataplane import (
    DataPlane,
    Produced,
    ProductConsumer,
    ProductEvent,
    UnreadableEvent,
)
from streammesh.log import (
    ConsumerOptions,
    EventLog,
    LogError,
    Producer,
    ProducerOptions,
    partition_for_key,
)
from streammesh.log.embedded import EmbeddedLog
from streammesh.server.context import server_context
from streammesh.server.idempotency import IdempotencyKeys, KeyedWrite
from streammesh.store import MetadataStore

_LOGGER = logging.getLogger(__name__)

PRODUCES_AT_ONCE = 4
"""REST produces a server process works on at once; later ones wait their turn, in order, on
the event loop. Their work is mostly CPU under one interpreter lock: 16 at once shared it
unevenly (a long tail) and switched more; a few at once still overlap one's log commit
(fsync, no lock held) with the others' encoding."""

POOLED_PRODUCERS = 16
"""Log producers kept for reuse; more concurrent produce requests open (and close) their own."""

PARTITIONS_FRESH_S = 5.0
"""How long a topic's partition count is reused before it is asked again."""

MEMBER_IDLE_S = 10.0
"""A consumer member unused this long leaves its group (its partitions go to other members)."""

MAX_MEMBERS = 256
"""Consumer members one server keeps; beyond it the least recently used idle one leaves."""

_SWEEP_EVERY_S = 2.0
_MORE_S = 0.05
"""Once events arrived, how long a consume waits for more before answering."""

EMBEDDED_POOLED_OPTIONS = ProducerOptions(linger_ms=1_000.0, client_id="streammesh-rest-producer")
"""The embedded log's pooled producers: each has a writer thread that, idle, looks for records
every ``max(linger_ms, 5 ms)``; a produce request flushes its own records, so a long linger
loses nothing, and 16 idle writers waking 200 times a second each took ~10 % of the server's
one core. (Kafka's producers wait in librdkafka's threads, without the interpreter lock.)"""

MEMBER_OPTIONS = ConsumerOptions(
    auto_commit=False,
    # A short session frees the partitions of a member whose server died soon.
    session_timeout_ms=6_000,
    heartbeat_interval_ms=500,
    client_id="streammesh-rest-consumer",
)


class ProducerPool:
    """Log producers reused by produce requests (see the module docstring)."""

    def __init__(self, log: EventLog, size: int = POOLED_PRODUCERS) -> None:
        self._log = log
        self._size = size
        self._options = EMBEDDED_POOLED_OPTIONS if isinstance(log, EmbeddedLog) else None
        self._free: list[Producer] = []
        self._partitions: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def borrowed(self) -> Iterator[Producer]:
        """A producer for this request alone; kept for the next one if the request ended
        well, closed otherwise (a producer whose flush failed may still hold records)."""
        with self._lock:
            producer = self._free.pop() if self._free else None
        if producer is None:
            producer = self._log.producer(self._options)
        healthy = False
        try:
            yield producer
            healthy = True
        finally:
            with self._lock:
                keep = healthy and not self._closed and len(self._free) < self._size
                if keep:
                    self._free.append(producer)
            if not keep:
                _close_quietly(producer)

    def partitions(self, topic: str) -> int:
        """How many partitions ``topic`` has (asked of the log at most every few seconds).

        Raises:
            TopicNotFound: the topic does not exist.
        """
        now = time.monotonic()
        cached = self._partitions.get(topic)
        if cached is not None and now - cached[0] < PARTITIONS_FRESH_S:
            return cached[1]
        count = self._log.describe_topic(topic).partitions
        self._partitions[topic] = (now, count)
        return count

    def close(self) -> None:
        """Flush and close every kept producer; later requests open their own."""
        with self._lock:
            self._closed = True
            free, self._free = self._free, []
        for producer in free:
            _close_quietly(producer)


def produce(
    data: DataPlane,
    pool: ProducerPool,
    reference: str,
    events: Sequence[Mapping[str, Any]],
    *,
    principal: str,
    keyed: KeyedWrite | None = None,
) -> Produced:
    """Validate every event, write them all (or none), and return once they are durable:
    :meth:`DataPlane.produce` on a pooled log producer. With ``keyed`` (an
    ``Idempotency-Key``), each record names the key's claim and its index, and events an
    earlier request with the key wrote already are not written again.

    Raises:
        ProductNotFound: No such product.
        AccessDenied: ``principal`` may not write to the product.
        InvalidEvent: Some events break the schema or key (each with its index).
        TopicNotFound: The product's topic does not exist.
    """
    encoder = data.encoder(reference, principal=principal)
    topic = encoder.contract.topic
    count = pool.partitions(topic)  # before encoding: a missing topic refuses the batch
    encoded, problems = encoder.encode_batch(events)
    if problems:
        raise encoder.invalid(problems, len(events))
    written: dict[int, int] = {} if keyed is None else keyed.written(topic, count)
    # Each key's partition is computed once, for the answer and the log producer (murmur2
    # in Python is ~1 us a key, and the keys of a batch are mostly new to the producer).
    partitions = [partition_for_key(key, count) for key, _, _ in encoded]
    with pool.borrowed() as producer:
        send = producer.send
        if keyed is None:
            for (key, value, headers), partition in zip(encoded, partitions, strict=True):
                send(
                    topic,
                    value,
                    key=key,
                    headers=tuple(headers.items()) if headers else (),
                    partition=partition,
                )
        else:
            for index, (key, value, headers) in enumerate(encoded):
                if index not in written:
                    claim = keyed.header(index)
                    send(
                        topic,
                        value,
                        key=key,
                        headers=(*headers.items(), claim),
                        partition=partitions[index],
                    )
        producer.flush()
    for index, partition in written.items():
        partitions[index] = partition
    return Produced(encoder.contract.reference, len(encoded), encoder.schema_id, tuple(partitions))


@dataclass(slots=True, eq=False)
class _Member:
    """One consumer group member kept open, used by one request at a time."""

    consumer: ProductConsumer
    clear: bool
    lock: threading.Lock = field(default_factory=threading.Lock)
    used_at: float = field(default_factory=time.monotonic)
    closed: bool = False


class ConsumerMembers:
    """Long-lived consumer group members of the REST consume (see the module docstring)."""

    def __init__(self, data: DataPlane, *, idle_s: float = MEMBER_IDLE_S) -> None:
        self._data = data
        self._idle_s = idle_s
        self._members: dict[tuple[str, str, str], _Member] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def consume(
        self, reference: str, group: str, reader: Caller, count: int, timeout: float
    ) -> tuple[str, list[ProductEvent]]:
        """Up to ``count`` events for ``group`` from where it left off, waiting up to
        ``timeout`` seconds for the first; the group's offsets are committed past them.

        Returns:
            The product version read and the events.

        Raises:
            ProductNotFound: No such product.
            AccessDenied: ``reader`` has no grant to read the product.
            NotAcceptingConsumers: ``group`` is new and the product no longer takes any.
            ConsumerGroupTaken: ``group`` belongs to another principal.
            UnreadableEvent: the first record is not an event (the group is moved past it).
        """
        record, clear = self._data.read_access(reference, reader)
        key = (record.reference, group, reader.name)
        member = self._member(key, record.reference, group, reader, clear)
        if member is None:  # every kept member is busy: a member for this request alone
            with self._data.consumer(
                record.reference, group, reader=reader, actor=reader.name, options=MEMBER_OPTIONS
            ) as consumer:
                return record.reference, _take_and_commit(consumer, count, timeout)
        # Requests of one group take turns on its member; one that waited its whole
        # timeout for its turn answers what a wait without events answers: nothing.
        started = time.monotonic()
        if not member.lock.acquire(timeout=timeout):
            return record.reference, []
        try:
            if member.closed:  # swept or replaced while this request waited for it
                left = max(timeout - (time.monotonic() - started), 0.0)
                return self.consume(reference, group, reader, count, left)
            left = max(timeout - (time.monotonic() - started), 0.0)
            events = _take_and_commit(member.consumer, count, left)
        except UnreadableEvent:
            raise
        except BaseException:
            # A member that failed (the log unavailable, ...) is not trusted again.
            self._drop(key, member)
            raise
        else:
            if len(events) < count and _caught_up(member.consumer):
                # Caught up: leave the group now. A member kept without being asked holds
                # its partitions and holds up the joins of the group's other members (on
                # another replica): those read what comes next. A short answer with more
                # there (on Kafka, records not fetched yet within the short wait for more)
                # keeps it: leaving cost that request the close (~1 s on the test broker)
                # and the group's next consume a join (~3 s).
                self._drop(key, member)
            return record.reference, events
        finally:
            member.used_at = time.monotonic()
            member.lock.release()

    def close(self) -> None:
        """Close every member (each leaves its group); later requests use their own."""
        self._stop.set()
        with self._lock:
            self._closed = True
            members, self._members = list(self._members.values()), {}
        for member in members:
            self._close_member(member)

    def _member(
        self, key: tuple[str, str, str], product: str, group: str, reader: Caller, clear: bool
    ) -> _Member | None:
        with self._lock:
            member = self._members.get(key)
            if member is not None and member.clear == clear:
                member.used_at = time.monotonic()
                return member
            stale = member  # the grant changed: classified fields now read otherwise
            if stale is None and len(self._members) >= MAX_MEMBERS:
                stale = self._least_recently_used_idle()
                if stale is None:
                    return None
            if self._closed:
                return None
            self._start_sweeper()
        if stale is not None:
            self._drop(next(k for k, m in list(self._members.items()) if m is stale), stale)
        consumer = self._data.consumer(
            product, group, reader=reader, actor=reader.name, options=MEMBER_OPTIONS
        )
        fresh = _Member(consumer, clear)
        with self._lock:
            existing = self._members.get(key)
            if existing is None and not self._closed:
                self._members[key] = fresh
                return fresh
        # Another request of the group made one meanwhile (or the server is stopping).
        self._close_member(fresh)
        return existing

    def _least_recently_used_idle(self) -> _Member | None:
        idle = [m for m in self._members.values() if not m.lock.locked()]
        return min(idle, key=lambda m: m.used_at) if idle else None

    def _drop(self, key: tuple[str, str, str], member: _Member) -> None:
        with self._lock:
            if self._members.get(key) is member:
                del self._members[key]
        self._close_member(member)

    def _close_member(self, member: _Member) -> None:
        member.closed = True
        try:
            member.consumer.close()
        except Exception as exc:  # a member that cannot leave cleanly expires on its own
            _LOGGER.warning("closing a REST consumer member failed: %s", exc)

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = threading.Thread(
                target=self._sweep, name="streammesh-rest-members", daemon=True
            )
            self._sweeper.start()

    def _sweep(self) -> None:
        while not self._stop.wait(min(_SWEEP_EVERY_S, self._idle_s)):
            self.expire_idle()

    def expire_idle(self) -> int:
        """Close the members unused for ``idle_s`` seconds; how many were closed."""
        now = time.monotonic()
        with self._lock:
            expired = [
                (key, member)
                for key, member in self._members.items()
                if now - member.used_at >= self._idle_s and not member.lock.locked()
            ]
        closed = 0
        for key, member in expired:
            # Not while a request holds it: it was used after all.
            if member.lock.acquire(blocking=False):
                try:
                    if time.monotonic() - member.used_at >= self._idle_s:
                        self._drop(key, member)
                        closed += 1
                finally:
                    member.lock.release()
        return closed


def _take_and_commit(consumer: ProductConsumer, count: int, timeout: float) -> list[ProductEvent]:
    """Long polling: wait up to ``timeout`` for a first event, then take what is ready (up
    to ``count``), commit the group's offsets past what is returned."""
    try:
        first = consumer.poll(timeout)
    except UnreadableEvent:
        consumer.commit()  # past the record, so the group is not stuck on it
        raise
    if first is None:
        return []
    events = [first]
    if count > 1:
        try:
            events.extend(consumer.take(count - 1, _MORE_S))
        except UnreadableEvent as exc:
            # Answer what was read; the record counts as read, like the SDK consumer's.
            _LOGGER.warning("skipped a record of %s: %s", exc.product, exc)
    consumer.commit()
    return events


def _caught_up(consumer: ProductConsumer) -> bool:
    """Whether ``consumer`` returned everything there is; yes when the log cannot tell (the
    member is then left, as any member that failed)."""
    try:
        return consumer.caught_up()
    except LogError as exc:
        _LOGGER.warning("a REST consumer member could not read its lag: %s", exc)
        return True


def _close_quietly(producer: Producer) -> None:
    try:
        producer.close()
    except Exception as exc:  # its records were reported failed to their request already
        _LOGGER.warning("closing a pooled producer failed: %s", exc)


class RemoteDataPlane:
    """The producers and consumer members of one app's REST data plane."""

    def __init__(self, log: EventLog, data: DataPlane, store: MetadataStore) -> None:
        """Made on the event loop (its produce turns belong to it)."""
        self.producers = ProducerPool(log)
        self.produce_turns = anyio.CapacityLimiter(PRODUCES_AT_ONCE)
        self.members = ConsumerMembers(data)
        self.idempotency = IdempotencyKeys(store, log)

    def close(self) -> None:
        """Close every kept log client (the app stops, before its mesh closes)."""
        try:
            self.members.close()
        finally:
            self.producers.close()


_MAKING = threading.Lock()


def remote_data(request: Request) -> RemoteDataPlane:
    """The REST data plane's kept clients of the app serving ``request`` (made at its first
    produce or consume, on the app's current mesh)."""
    kept = getattr(request.app.state, "streammesh_remote_data", None)
    if isinstance(kept, RemoteDataPlane):
        return kept
    with _MAKING:
        kept = getattr(request.app.state, "streammesh_remote_data", None)
        if not isinstance(kept, RemoteDataPlane):
            runtime = server_context(request).runtime
            kept = RemoteDataPlane(runtime.log, runtime.data, runtime.store)
            request.app.state.streammesh_remote_data = kept
    return kept


def close_remote_data(app: FastAPI) -> None:
    """Close the app's kept clients, if it made any (when it stops)."""
    with _MAKING:
        kept = getattr(app.state, "streammesh_remote_data", None)
        app.state.streammesh_remote_data = None
    if isinstance(kept, RemoteDataPlane):
        kept.close()
