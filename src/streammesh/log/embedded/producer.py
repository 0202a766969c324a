"""The embedded producer: buffers records per partition and commits them in batches.

``send`` only validates and appends to an in-memory buffer. A background thread writes
whatever has waited ``linger_ms``; ``flush`` writes the rest in the caller's thread. One write
lock orders the writes, so records of a partition reach the log in the order they were sent
(per-key ordering). A write is one SQLite transaction: offsets are assigned, batches inserted
and the partition's end offset moved together, then fsync'd (``synchronous=FULL``) — once the
commit returns the records survive ``kill -9`` or power loss, which is when ``flush`` returns.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from streammesh.log.base import Header, ProducerOptions
from streammesh.log.config import LogConfig
from streammesh.log.embedded.codec import PendingRecord, encode_batch
from streammesh.log.embedded.database import check_file, log_error, rollback, translated
from streammesh.log.embedded.topic_rows import TopicRow, load_topic
from streammesh.log.errors import (
    DeliveryFailed,
    InvalidPartition,
    InvalidRecord,
    LogError,
    LogTimeout,
    LogUnavailable,
)
from streammesh.log.partitioner import KeyPartitioner
from streammesh.log.records import check_headers, check_record
from streammesh.log.topics import validate_topic_name
from streammesh.sqlite_file import SqliteFile

# A batch row holds at most this many records, so a consumer decodes a bounded amount at once.
_MAX_RECORDS_PER_BATCH = 8_192
_time_ns = time.time_ns  # bound once: send() is the hot path

# Bytes counted per record on top of key, value and headers (offset, timestamp, lengths).
_RECORD_OVERHEAD = 24


class _TopicBuffer:
    """The records of one topic waiting to be written, per partition."""

    __slots__ = ("partitioner", "pending", "row")

    def __init__(self, row: TopicRow) -> None:
        self.row = row
        self.partitioner = KeyPartitioner(row.spec.partitions)
        self.pending: list[list[PendingRecord]] = [[] for _ in range(row.spec.partitions)]

    def take(self) -> list[tuple[int, list[PendingRecord]]]:
        """Remove and return what the partition buffers hold.

        ``send`` appends to these lists without a lock. That is safe because each list is
        only ever appended to at its end by senders and cut at its front here: slicing and
        ``del`` are single operations under the GIL, so a record appended between them stays.
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
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._failures: list[LogError] = []
        self._failed_count = 0
        self._closed = False
        self._wake = threading.Event()
        self._wake_requested = False
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
        if self._closed:
            raise InvalidRecord(topic, "producer", "is closed")
        buffer = self._topics.get(topic)
        if buffer is None:
            buffer = self._topic(topic)
        if (
            type(value) is bytes
            and (key is None or type(key) is bytes)
            and not headers
            and timestamp_ms is None
        ):  # the common case, checked inline: send() is the producer's hot path
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
        if not self._pending_bytes:
            self._oldest_pending = time.monotonic()
        buffer.pending[partition].append((key, value, checked_headers, timestamp_ms))
        # An estimate (the writer resets it without a lock): it only decides when to write.
        pending_bytes = self._pending_bytes = self._pending_bytes + size + _RECORD_OVERHEAD
        if pending_bytes >= self._buffer_max_bytes:
            self._write_pending()  # backpressure: the caller pays for the write
        elif pending_bytes >= self._batch_max_bytes and not self._wake_requested:
            self._wake_requested = True
            self._wake.set()

    def flush(self, timeout: float | None = None) -> None:
        """Return once every record sent so far is durable in the log."""
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
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            self._flusher.join()
            self._conn.close()

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
        while not self._closed:
            self._wake.wait(self._linger_s)
            self._wake.clear()
            self._wake_requested = False
            if self._closed:
                return
            if self._pending_bytes and (
                self._pending_bytes >= self._batch_max_bytes
                or time.monotonic() - self._oldest_pending >= self._linger_s
            ):
                self._write_pending()

    def _write_pending(self) -> None:
        with self._write_lock:
            self._write_pending_locked()

    def _write_pending_locked(self) -> None:
        # Taking the buffer inside the write lock keeps writes in the order records were sent.
        with self._buffer_lock:
            pending = [(buffer.row, buffer.take()) for buffer in self._topics.values()]
            self._pending_bytes = 0
        pending = [(row, partitions) for row, partitions in pending if partitions]
        if not pending:
            return
        try:
            try:
                self._commit(pending)
            except sqlite3.Error as exc:
                raise log_error(exc, self._url, self._file) from exc
        except (LogUnavailable, DeliveryFailed) as exc:
            self._failed_count += sum(len(r) for _, partitions in pending for _, r in partitions)
            self._failures.append(exc)
            with self._buffer_lock:  # a deleted or re-created topic is looked up afresh
                for row, _ in pending:
                    self._topics.pop(row.spec.name, None)

    def _commit(
        self, pending: list[tuple[TopicRow, list[tuple[int, list[PendingRecord]]]]]
    ) -> None:
        conn = self._conn
        now_ms = time.time_ns() // 1_000_000
        encoded = [
            (
                row,
                partition,
                [
                    encode_batch(records[i : i + _MAX_RECORDS_PER_BATCH])
                    for i in range(0, len(records), _MAX_RECORDS_PER_BATCH)
                ],
            )
            for row, partitions in pending
            for partition, records in partitions
        ]
        conn.execute("BEGIN IMMEDIATE")
        try:
            for row, partition, batches in encoded:
                found = conn.execute(
                    "SELECT end_offset FROM partitions WHERE topic_id = ? AND partition = ?",
                    (row.topic_id, partition),
                ).fetchone()
                if found is None:
                    raise DeliveryFailed(
                        sum(b.count for b in batches),
                        f"topic '{row.spec.name}' was deleted before its records were written",
                    )
                offset = found[0]
                rows = []
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
                conn.executemany(
                    "INSERT INTO batches (topic_id, partition, base_offset, last_offset, "
                    "record_count, min_ts, max_ts, append_ms, size, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                conn.execute(
                    "UPDATE partitions SET end_offset = ? WHERE topic_id = ? AND partition = ?",
                    (offset, row.topic_id, partition),
                )
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
