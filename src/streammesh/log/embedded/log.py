"""``EmbeddedLog``: a durable event log in a directory, with no services to run."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from streammesh.log.base import (
    Capability,
    CleanReport,
    ConsumerOptions,
    ProducerOptions,
    TopicDescription,
    TopicSpec,
)
from streammesh.log.config import LogConfig
from streammesh.log.embedded.cleaner import clean_log
from streammesh.log.embedded.consumer import EmbeddedConsumer
from streammesh.log.embedded.database import (
    check_file,
    connect,
    log_file,
    rollback,
    translating,
)
from streammesh.log.embedded.producer import EmbeddedProducer
from streammesh.log.embedded.topic_rows import (
    TopicRow,
    all_topics,
    find_topic,
    insert_topic,
    load_topic,
    partition_offsets,
)
from streammesh.log.errors import LogUnavailable, TopicAlreadyExists
from streammesh.log.topics import validate_topic_name, validate_topic_spec


class EmbeddedLog:
    """An event log stored in one SQLite database (WAL) under ``directory``.

    Several processes may open the same directory and produce and consume at once. With
    ``clean_interval_s`` set, a background thread applies retention and compaction that
    often (each pass takes the write lock only briefly per batch, so producers keep going).
    """

    def __init__(
        self,
        directory: Path,
        config: LogConfig | None = None,
        *,
        clean_interval_s: float | None = 60.0,
    ) -> None:
        self._directory = directory.resolve()
        self._url = f"embedded://{self._directory}"
        self._config = config or LogConfig()
        self._file = log_file(self._directory, self._url)
        self._conn = connect(self._directory, self._url, self._file)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._clean_interval_s = clean_interval_s
        self._cleaner: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self._url

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.ON_DEMAND_CLEANING,
                Capability.TRANSACTIONS,
                Capability.STATIC_MEMBERS_LEAVE,
            }
        )

    @translating
    def create_topic(self, spec: TopicSpec) -> TopicDescription:
        validate_topic_spec(spec)
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                if find_topic(conn, spec.name) is not None:
                    raise TopicAlreadyExists(spec.name)
                insert_topic(conn, spec, _now_ms())
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
        return self.describe_topic(spec.name)

    @translating
    def describe_topic(self, name: str) -> TopicDescription:
        validate_topic_name(name)
        with self._lock:
            return self._describe(load_topic(self._conn, name))

    @translating
    def list_topics(self) -> list[TopicDescription]:
        with self._lock:
            return [self._describe(row) for row in all_topics(self._conn)]

    @translating
    def delete_topic(self, name: str) -> None:
        validate_topic_name(name)
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = load_topic(conn, name)
                for table in ("batches", "partitions", "topics"):
                    conn.execute(f"DELETE FROM {table} WHERE topic_id = ?", (row.topic_id,))
                for table in ("group_offsets", "group_claims"):
                    conn.execute(f"DELETE FROM {table} WHERE topic = ?", (name,))
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise

    def producer(self, options: ProducerOptions | None = None) -> EmbeddedProducer:
        self._start_cleaner()
        return EmbeddedProducer(
            self._url,
            self._file,
            connect(self._directory, self._url, self._file),
            self._config,
            options or ProducerOptions(),
        )

    def consumer(self, options: ConsumerOptions | None = None) -> EmbeddedConsumer:
        return EmbeddedConsumer(
            self._directory, self._url, options or ConsumerOptions(), self._file
        )

    @translating
    def committed_offsets(self, group: str, topic: str) -> dict[int, int | None]:
        with self._lock:
            row = load_topic(self._conn, topic)
            found = dict(
                self._conn.execute(
                    "SELECT partition, committed FROM group_offsets "
                    "WHERE group_id = ? AND topic = ?",
                    (group, topic),
                ).fetchall()
            )
        return {p: found.get(p) for p in range(row.spec.partitions)}

    @translating
    def clean(self, now_ms: int | None = None) -> CleanReport:
        """Apply retention and compaction to every topic as of ``now_ms`` (default: now)."""
        conn = connect(self._directory, self._url, self._file)
        try:
            return clean_log(conn, _now_ms() if now_ms is None else now_ms)
        finally:
            conn.close()

    def check(self) -> None:
        """Raise if the log cannot take writes now: its file was deleted, replaced, truncated
        or found damaged, or its directory is not writable (a few system calls, no SQL).

        Raises:
            LogCorrupt: the log file is damaged.
            LogUnavailable: the file or its directory is gone or cannot be written.
        """
        if not self._directory.is_dir():
            raise LogUnavailable(
                self._url,
                f"the log directory '{self._directory}' was deleted while in use; restore the "
                "mesh directory and restart",
            )
        check_file(self._url, self._file)

    def close(self) -> None:
        self._closed.set()
        if self._cleaner is not None:
            self._cleaner.join()
        with self._lock:
            self._conn.close()

    def _describe(self, row: TopicRow) -> TopicDescription:
        offsets = partition_offsets(self._conn, row.topic_id)
        return TopicDescription(
            spec=row.spec,
            beginning_offsets={p: start for p, (start, _) in sorted(offsets.items())},
            end_offsets={p: end for p, (_, end) in sorted(offsets.items())},
        )

    def _start_cleaner(self) -> None:
        if self._clean_interval_s is None or self._cleaner is not None:
            return
        self._cleaner = threading.Thread(target=self._clean_loop, name="log-cleaner", daemon=True)
        self._cleaner.start()

    def _clean_loop(self) -> None:
        interval = self._clean_interval_s
        assert interval is not None
        while not self._closed.wait(interval):
            try:
                self.clean()
            except (sqlite3.Error, LogUnavailable):
                continue  # the next pass retries; cleaning is never urgent


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
