"""The embedded producer: buffers records per partition and commits them in batches.

``send`` only validates and appends to an in-memory buffer. A background thread writes it;
``flush`` writes the rest in the caller's thread. The linger adapts to the load: the first
record into an empty buffer wakes the writer, which writes at once unless records are arriving
fast (enough to fill 1/16 of ``batch_max_bytes`` within ``linger_ms``); then it waits for more,
while they keep coming, until the batch is full or its oldest record has waited ``linger_ms``.
A quiet producer's records are written without waiting, and a busy producer's records share
big batches (records arriving during a commit form the next one). One write lock orders the
writes, so records of a partition reach the log in the order they were sent (per-key ordering).
A write is one SQLite transaction: offsets are assigned, batches inserted and the partition's
end offset moved together, then fsync'd (``synchronous=FULL``) — once the commit returns the
records survive ``kill -9`` or power loss, which is when ``flush`` returns.

A transactional producer (``ProducerOptions(transactional_id=...)``) keeps a transaction's
records in memory until ``commit_transaction``, which writes them, the consumer-group offsets
sent with the transaction and nothing else in one SQLite transaction: a transaction is in the
log whole or not at all, so a consumer never meets an open or aborted one (both isolation
levels read the same), and a process killed mid-transaction leaves nothing to clean up. Its
records get consecutive offsets at commit; no offset is spent on a commit marker.
Fencing: ``init_transactions`` bumps the id's epoch in ``producer_epochs``, and every commit
checks, inside its SQLite transaction, that the epoch is still this producer's.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from streammesh.log.base import GroupMetadata, Header, ProducerOptions, TopicPartition
from streammesh.log.config import LogConfig
from streammesh.log.embedded.codec import FIELDS, encode_flat
from streammesh.log.embedded.database import check_file, log_error, rollback, translated
from streammesh.log.embedded.groups import write_offsets
from streammesh.log.embedded.topic_rows import TopicRow, load_topic
from streammesh.log.errors import (
    DeliveryFailed,
    InvalidPartition,
    InvalidRecord,
    LogError,
    LogTimeout,
    LogUnavailable,
    TransactionAborted,
    TransactionStateError,
)
from streammesh.log.partitioner import KeyPartitioner
from streammesh.log.records import check_headers, check_record, plain_headers_size
from streammesh.log.topics import validate_topic_name
from streammesh.log.transactions import TransactionRules, TransactionState, transaction_offsets
from streammesh.sqlite_file import SqliteFile

# A batch row holds at most this many records, so a consumer decodes a bounded amount at once.
_MAX_RECORDS_PER_BATCH = 8_192
_MAX_TIMESTAMP_MS = 2**63 - 1
"""Kafka's timestamps are signed 64-bit integers (as ``check_record``)."""
_time_ns = time.time_ns  # bound once: send() is the hot path
_monotonic = time.monotonic

# Bytes counted per record on top of key, value and headers (offset, timestamp, lengths).
_RECORD_OVERHEAD = 24
# The writer lingers only for records arriving fast enough to fill this share of
# ``batch_max_bytes`` within ``linger_ms`` (64 KiB, one page of the log file, by default): more
# slowly, waiting would add latency and save little (a commit writes whole pages and fsyncs).
_STREAMING_SHARE = 16
# While lingering, the writer looks this many times per ``linger_ms`` whether records are
# still arriving that fast, and writes at once when they are not (the end of a burst).
_LINGER_STEPS = 4
# Parameters per statement: SQLite before 3.32 allows at most 999.
_MAX_PARAMETERS = 999


class _TopicBuffer:
    """The records of one topic waiting to be written, per partition."""

    __slots__ = ("partitioner", "pending", "row")

    def __init__(self, row: TopicRow) -> None:
        self.row = row
        self.partitioner = KeyPartitioner(row.spec.partitions)
        # Per partition, flat: key, value, headers, timestamp_ms of each record in turn (see
        # codec.encode_flat). No tuple per record: a producer holding many records would
        # otherwise make the garbage collector run and scan them all, again and again.
        self.pending: list[list[Any]] = [[] for _ in range(row.spec.partitions)]

    def take(self) -> list[tuple[int, list[Any]]]:
        """Remove and return what the partition buffers hold.

        ``send`` extends these lists by whole records without a lock. That is safe because
        each list is only ever extended at its end by senders and cut at its front here:
        ``extend``, slicing and ``del`` are single operations under the GIL, so the list
        always holds whole records, and a record added between slice and ``del`` stays.
        """
        taken = []
        for partition, records in enumerate(self.pending):
            count = len(records)
            if count:
                taken.append((partition, records[:count]))
                del records[:count]
        return taken


class EmbeddedProducer:
    """A producer writing to an embedded log (see the module docstring for the guarantees)."""

    def __init__(
        self,
        log_url: str,
        file: SqliteFile,
        conn: sqlite3.Connection,
        config: LogConfig,
        options: ProducerOptions,
    ) -> None:
        self._url = log_url
        self._file = file
        self._conn = conn
        self._max_record_bytes = config.max_record_bytes
        self._options = options
        self._linger_s = options.linger_ms / 1000
        self._batch_max_bytes = options.batch_max_bytes
        self._buffer_max_bytes = options.buffer_max_bytes
        self._topics: dict[str, _TopicBuffer] = {}
        self._pending_bytes = 0
        self._oldest_pending = 0.0
        self._last_take = time.monotonic()
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._failures: list[LogError] = []
        self._failed_count = 0
        self._closed = False
        self._wake = threading.Event()
        self._wake_requested = False
        self._idle_check_s = max(self._linger_s, 0.005)
        self._txn = TransactionRules(options.transactional_id, options.transaction_timeout_ms)
        self._transactional = self._txn.transactional
        # Open and not transactional: send's fast path applies (one attribute to look at).
        self._plain = not self._transactional
        self._epoch = -1
        # Per group: the offsets to commit with the open transaction, and the member whose
        # partitions they must still be (empty: no check).
        self._txn_offsets: dict[str, tuple[str, dict[TopicPartition, int]]] = {}
        self._flusher: threading.Thread | None = None
        if not self._transactional:  # a transaction's records wait for its commit, not linger
            self._flusher = threading.Thread(
                target=self._linger_loop, name=f"{options.client_id}-flusher", daemon=True
            )
            self._flusher.start()

    def send(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = None,
        headers: Sequence[Header] = (),
        timestamp_ms: int | None = None,
        partition: int | None = None,
    ) -> None:
        """Queue one record; see :class:`streammesh.log.base.Producer`."""
        buffer = self._topics.get(topic)
        # Headers as a producer of classified fields gives them (a tuple of (str, bytes)
        # pairs) stay on the inline path; anything else is checked below, naming what is bad.
        extra = plain_headers_size(headers) if headers else 0
        if (
            self._plain
            and buffer is not None
            and type(value) is bytes
            and type(key) is bytes
            and extra >= 0
            and (
                timestamp_ms is None
                or (type(timestamp_ms) is int and 0 <= timestamp_ms <= _MAX_TIMESTAMP_MS)
            )
        ):
            # The common case on its own, checked inline (send() is the producer's hot path):
            # open and not transactional, a known topic, a keyed record of bytes without
            # headers or with well-formed ones, a key seen before or a partition given that
            # exists (the REST produce computes it once for its answer), not too big.
            # Anything else takes the path below.
            if partition is None:
                chosen = buffer.partitioner.known.get(key)
            elif type(partition) is int and 0 <= partition < buffer.partitioner.partitions:
                chosen = partition
            else:
                chosen = None
            size = len(value) + len(key) + extra
            if chosen is not None and size <= self._max_record_bytes:
                if timestamp_ms is None:
                    timestamp_ms = _time_ns() // 1_000_000
                before = self._pending_bytes
                if not before:
                    self._oldest_pending = _monotonic()
                buffer.pending[chosen].extend((key, value, headers or (), timestamp_ms))
                # An estimate (the writer resets it without a lock): it only decides when
                # to write.
                pending_bytes = self._pending_bytes = before + size + _RECORD_OVERHEAD
                if pending_bytes >= self._buffer_max_bytes:
                    self._write_pending()  # backpressure: the caller pays for the write
                elif (not before or pending_bytes >= self._batch_max_bytes) and (
                    not self._wake_requested
                ):
                    # The first record of a batch wakes the writer (it decides whether to
                    # linger); a full batch wakes it from lingering.
                    self._wake_requested = True
                    self._wake.set()
                return
        self._send(topic, value, key, headers, timestamp_ms, partition)

    def _send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: Sequence[Header],
        timestamp_ms: int | None,
        partition: int | None,
    ) -> None:
        """``send`` of any record, with every check."""
        if self._closed:
            raise InvalidRecord(topic, "producer", "is closed")
        if self._transactional:
            self._txn.check_send(topic)
        buffer = self._topics.get(topic)
        if buffer is None:
            buffer = self._topic(topic)
        if (
            type(value) is bytes
            and (key is None or type(key) is bytes)
            and not headers
            and (
                timestamp_ms is None
                or (type(timestamp_ms) is int and 0 <= timestamp_ms <= _MAX_TIMESTAMP_MS)
            )
        ):  # the common case (a stream engine's too, with its own timestamps), checked inline
            checked_headers: tuple[Header, ...] = ()
            size = len(value) + (len(key) if key else 0)
            if size > self._max_record_bytes:
                check_record(topic, key, value, (), None, self._max_record_bytes)
        else:
            checked_headers = check_headers(topic, headers) if headers else ()
            size = check_record(
                topic, key, value, checked_headers, timestamp_ms, self._max_record_bytes
            )
        if partition is None:
            partition = buffer.partitioner.partition(key)
        elif isinstance(partition, bool) or not isinstance(partition, int):
            raise InvalidRecord(topic, "partition", f"must be an int, not {partition!r}")
        elif not 0 <= partition < buffer.partitioner.partitions:
            raise InvalidPartition(topic, partition, buffer.partitioner.partitions)
        if key is None and buffer.row.compacted:
            raise InvalidRecord(
                topic, "key", "is required: the topic is compacted, which keeps records by key"
            )
        if timestamp_ms is None:
            timestamp_ms = _time_ns() // 1_000_000
        if self._transactional and self._pending_bytes + size > self._buffer_max_bytes:
            raise TransactionStateError(
                f"send to '{topic}'",
                f"the open transaction would hold more than buffer_max_bytes "
                f"({self._buffer_max_bytes} bytes) of records, which the embedded log keeps in "
                "memory until the commit; commit smaller transactions or raise "
                "ProducerOptions.buffer_max_bytes",
            )
        first = not self._pending_bytes
        if first:
            self._oldest_pending = time.monotonic()
        buffer.pending[partition].extend((key, value, checked_headers, timestamp_ms))
        # An estimate (the writer resets it without a lock): it only decides when to write.
        pending_bytes = self._pending_bytes = self._pending_bytes + size + _RECORD_OVERHEAD
        if self._transactional:
            return  # written by commit_transaction
        if pending_bytes >= self._buffer_max_bytes:
            self._write_pending()  # backpressure: the caller pays for the write
        elif (first or pending_bytes >= self._batch_max_bytes) and not self._wake_requested:
            self._wake_requested = True  # as in send
            self._wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Return once every record sent so far is durable in the log.

        A transaction's records are not written by ``flush`` but by ``commit_transaction``.
        """
        if self._transactional:
            return
        if timeout is not None and not self._write_lock.acquire(timeout=timeout):
            raise LogTimeout("flush", timeout)
        if timeout is None:
            self._write_lock.acquire()
        try:
            self._write_pending_locked()
        finally:
            self._write_lock.release()
        self._raise_failures()

    def close(self) -> None:
        """Flush, stop the background writer, and release the connection."""
        if self._closed:
            return
        try:
            if self._txn.in_transaction:
                self._discard_transaction()
            self.flush()
        finally:
            self._closed = True
            self._plain = False
            self._wake.set()
            if self._flusher is not None:
                self._flusher.join()
            self._conn.close()

    # -- transactions -----------------------------------------------------------------------

    def init_transactions(self, timeout: float | None = None) -> None:
        """Take over the transactional id: fence every older producer with it.

        A transaction an older producer left open was never written (records wait in its
        memory until commit), so there is nothing to abort in the log.
        """
        transactional_id = self._txn.require("init_transactions", TransactionState.UNINITIALISED)
        with self._write_lock, translated(self._url, self._file):
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                epoch: int = conn.execute(
                    "INSERT INTO producer_epochs (transactional_id, epoch, updated_ms) "
                    "VALUES (?, 0, ?) ON CONFLICT (transactional_id) DO UPDATE SET "
                    "epoch = epoch + 1, updated_ms = excluded.updated_ms RETURNING epoch",
                    (transactional_id, _time_ns() // 1_000_000),
                ).fetchone()[0]
                check_file(self._url, self._file)
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
        self._epoch = epoch
        self._txn.state = TransactionState.READY

    def begin_transaction(self) -> None:
        """Start a transaction; every record sent until it ends belongs to it."""
        self._txn.require("begin_transaction", TransactionState.READY)
        with self._write_lock, translated(self._url, self._file):
            self._check_epoch()
        self._txn.begin()

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group: GroupMetadata | str,
        timeout: float | None = None,
    ) -> None:
        """Commit ``group``'s ``offsets`` with the open transaction.

        With the consumer's ``group_metadata()``, the commit also checks that the member still
        owns each partition, so a member that lost it in a rebalance cannot commit over its
        new owner.
        """
        self._txn.require("send_offsets_to_transaction", TransactionState.IN_TRANSACTION)
        metadata, checked = transaction_offsets(offsets, group)
        member, pending = self._txn_offsets.get(metadata.group, (metadata.member_id, {}))
        pending.update(checked)
        self._txn_offsets[metadata.group] = (metadata.member_id or member, pending)

    def commit_transaction(self, timeout: float | None = None) -> None:
        """Write the transaction's records and offsets in one SQLite transaction (fsync'd)."""
        transactional_id = self._txn.require("commit_transaction", TransactionState.IN_TRANSACTION)
        if self._txn.expired():
            self._discard_transaction()
            raise TransactionAborted(
                transactional_id,
                f"it was open longer than transaction_timeout_ms ({self._txn.timeout_ms} ms)",
            )
        offsets, self._txn_offsets = self._txn_offsets, {}
        with self._write_lock:
            with self._buffer_lock:
                pending = [(buffer.row, buffer.take()) for buffer in self._topics.values()]
                self._pending_bytes = 0
            pending = [(row, partitions) for row, partitions in pending if partitions]
            try:
                try:
                    self._commit(pending, lambda conn: self._commit_offsets(conn, offsets))
                except sqlite3.Error as exc:
                    raise log_error(exc, self._url, self._file) from exc
            except _Fenced:
                raise self._txn.fence() from None
            except (LogUnavailable, DeliveryFailed, _Reassigned) as exc:
                self._txn.state = TransactionState.READY
                with self._buffer_lock:  # a deleted or re-created topic is looked up afresh
                    for row, _ in pending:
                        self._topics.pop(row.spec.name, None)
                raise TransactionAborted(transactional_id, str(exc)) from exc
        self._txn.state = TransactionState.READY

    def abort_transaction(self, timeout: float | None = None) -> None:
        """Discard the transaction's records and offsets: nothing of it was written."""
        self._txn.require("abort_transaction", TransactionState.IN_TRANSACTION)
        self._discard_transaction()

    def _discard_transaction(self) -> None:
        with self._write_lock, self._buffer_lock:
            for buffer in self._topics.values():
                buffer.take()
            self._pending_bytes = 0
        self._txn_offsets = {}
        self._txn.state = TransactionState.READY

    def _check_epoch(self) -> None:
        """Raise ``ProducerFenced`` if a newer producer took this transactional id."""
        found = self._conn.execute(
            "SELECT epoch FROM producer_epochs WHERE transactional_id = ?",
            (self._txn.transactional_id,),
        ).fetchone()
        if found is None or found[0] != self._epoch:
            raise self._txn.fence()

    def _commit_offsets(
        self, conn: sqlite3.Connection, offsets: dict[str, tuple[str, dict[TopicPartition, int]]]
    ) -> None:
        """Inside the commit's SQLite transaction: the fencing check and the group offsets."""
        found = conn.execute(
            "SELECT epoch FROM producer_epochs WHERE transactional_id = ?",
            (self._txn.transactional_id,),
        ).fetchone()
        if found is None or found[0] != self._epoch:
            raise _Fenced
        now_ms = _time_ns() // 1_000_000
        for group, (member, group_offsets) in offsets.items():
            if member:
                _check_owner(conn, group, member, group_offsets)
            write_offsets(conn, group, group_offsets, now_ms)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _topic(self, name: str) -> _TopicBuffer:
        validate_topic_name(name)
        # The write lock: the connection may be inside the writer's transaction.
        with self._write_lock, translated(self._url, self._file):
            row = load_topic(self._conn, name)
        with self._buffer_lock:
            buffer = self._topics.setdefault(name, _TopicBuffer(row))
        return buffer

    def _linger_loop(self) -> None:
        wake = self._wake
        while True:
            if not self._pending_bytes:
                # Idle until a send wakes this thread. The timeout only bounds the wait of a
                # record whose wake-up was lost to the unlocked estimate (see ``send``).
                wake.wait(self._idle_check_s)
            wake.clear()
            self._wake_requested = False
            if self._closed:
                return
            if not self._pending_bytes:
                continue
            if self._streaming():
                self._linger()
                if self._closed:
                    return  # close() writes what is pending
            self._write_pending()

    def _streaming(self) -> bool:
        """Whether the records pending arrived, since the last write took the buffer, fast
        enough to fill 1/``_STREAMING_SHARE`` of a batch within the linger."""
        return self._fast(self._pending_bytes, time.monotonic() - self._last_take)

    def _fast(self, arrived_bytes: int, seconds: float) -> bool:
        # Over at least one linger step: a record or two arriving just after a write say
        # nothing about the rate.
        seconds = max(seconds, self._linger_s / _LINGER_STEPS)
        return arrived_bytes * self._linger_s * _STREAMING_SHARE >= self._batch_max_bytes * seconds

    def _linger(self) -> None:
        """Wait until the batch is full, its oldest record has waited ``linger_ms``, or records
        stopped arriving fast (over the last step of the linger)."""
        wake = self._wake
        deadline = self._oldest_pending + self._linger_s
        seen = self._pending_bytes
        while not self._closed and seen < self._batch_max_bytes:
            started = time.monotonic()
            remaining = deadline - started
            if remaining <= 0:
                return
            wake.wait(min(self._linger_s / _LINGER_STEPS, remaining))
            wake.clear()
            self._wake_requested = False
            pending = self._pending_bytes
            if not self._fast(pending - seen, time.monotonic() - started):
                return  # the burst is over or slowed down (or another thread wrote it)
            seen = pending

    def _write_pending(self) -> None:
        with self._write_lock:
            self._write_pending_locked()

    def _write_pending_locked(self) -> None:
        # Taking the buffer inside the write lock keeps writes in the order records were sent.
        with self._buffer_lock:
            pending = [(buffer.row, buffer.take()) for buffer in self._topics.values()]
            self._pending_bytes = 0
            self._last_take = time.monotonic()
        pending = [(row, partitions) for row, partitions in pending if partitions]
        if not pending:
            return
        try:
            try:
                self._commit(pending)
            except sqlite3.Error as exc:
                raise log_error(exc, self._url, self._file) from exc
        except (LogUnavailable, DeliveryFailed) as exc:
            self._failed_count += sum(
                len(r) // FIELDS for _, partitions in pending for _, r in partitions
            )
            self._failures.append(exc)
            with self._buffer_lock:  # a deleted or re-created topic is looked up afresh
                for row, _ in pending:
                    self._topics.pop(row.spec.name, None)

    def _commit(
        self,
        pending: list[tuple[TopicRow, list[tuple[int, list[Any]]]]],
        also: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        conn = self._conn
        now_ms = time.time_ns() // 1_000_000
        encoded = [
            (
                row,
                partition,
                [
                    encode_flat(records, i, i + _MAX_RECORDS_PER_BATCH * FIELDS)
                    for i in range(0, len(records), _MAX_RECORDS_PER_BATCH * FIELDS)
                ],
            )
            for row, partitions in pending
            for partition, records in partitions
        ]
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Few statements per commit: each one hands the GIL over and back, and a writer
            # thread waits up to the interpreter's switch interval (5 ms) for it while the
            # application is busy sending.
            ends = _end_offsets(conn, {row.topic_id for row, _, _ in encoded})
            rows: list[tuple[int | bytes, ...]] = []
            moved: list[tuple[int, int, int]] = []
            for row, partition, batches in encoded:
                offset = ends.get((row.topic_id, partition))
                if offset is None:
                    raise DeliveryFailed(
                        sum(b.count for b in batches),
                        f"topic '{row.spec.name}' was deleted before its records were written",
                    )
                for batch in batches:
                    rows.append(
                        (
                            row.topic_id,
                            partition,
                            offset,
                            offset + batch.count - 1,
                            batch.count,
                            batch.min_ts,
                            batch.max_ts,
                            now_ms,
                            len(batch.data),
                            batch.data,
                        )
                    )
                    offset += batch.count
                moved.append((row.topic_id, partition, offset))
            for chunk in _chunks(rows, 10):
                conn.execute(
                    "INSERT INTO batches (topic_id, partition, base_offset, last_offset, "
                    "record_count, min_ts, max_ts, append_ms, size, data) VALUES "
                    + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk)),
                    [value for batch_row in chunk for value in batch_row],
                )
            # Every row exists (read above in this transaction): the upsert only updates.
            for ends_chunk in _chunks(moved, 3):
                conn.execute(
                    "INSERT INTO partitions (topic_id, partition, end_offset) VALUES "
                    + ", ".join(["(?, ?, ?)"] * len(ends_chunk))
                    + " ON CONFLICT (topic_id, partition) "
                    "DO UPDATE SET end_offset = excluded.end_offset",
                    [value for end in ends_chunk for value in end],
                )
            if also is not None:
                also(conn)
            # Last look before the commit: records written into a deleted, replaced or
            # damaged file would be acknowledged and then lost.
            check_file(self._url, self._file)
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise

    def _raise_failures(self) -> None:
        if self._failures:
            failed, first = self._failed_count, self._failures[0]
            self._failures.clear()
            self._failed_count = 0
            raise DeliveryFailed(failed, str(first)) from first


class _Fenced(Exception):
    """Raised inside a commit's SQLite transaction when the producer's epoch is stale."""


class _Reassigned(Exception):
    """A partition whose offsets the transaction commits moved to another group member."""


def _end_offsets(conn: sqlite3.Connection, topic_ids: set[int]) -> dict[tuple[int, int], int]:
    """The end offset of every partition of ``topic_ids``, by (topic id, partition)."""
    ends: dict[tuple[int, int], int] = {}
    for ids in _chunks(sorted(topic_ids), 1):
        found = conn.execute(
            "SELECT topic_id, partition, end_offset FROM partitions WHERE topic_id IN "
            f"({', '.join(['?'] * len(ids))})",
            ids,
        ).fetchall()
        ends.update(((topic_id, partition), end) for topic_id, partition, end in found)
    return ends


_T = TypeVar("_T")


def _chunks(items: list[_T], parameters_each: int) -> Iterator[list[_T]]:
    """``items`` in runs small enough for one statement with ``parameters_each`` per item."""
    size = _MAX_PARAMETERS // parameters_each
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_owner(
    conn: sqlite3.Connection, group: str, member: str, offsets: Mapping[TopicPartition, int]
) -> None:
    for tp in offsets:
        found = conn.execute(
            "SELECT member_id FROM group_claims WHERE group_id = ? AND topic = ? AND partition = ?",
            (group, tp.topic, tp.partition),
        ).fetchone()
        if found is None or found[0] != member:
            raise _Reassigned(
                f"'{tp.topic}' partition {tp.partition} is no longer assigned to this member "
                f"of group '{group}' (a rebalance moved it); its new owner processes its records"
            )
