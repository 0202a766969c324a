"""Reading and writing the embedded log's topic and partition rows."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from streammesh.log.base import CleanupPolicy, TopicSpec
from streammesh.log.errors import TopicNotFound

_COLUMNS = (
    "topic_id, name, partitions, cleanup_policy, retention_ms, retention_bytes, "
    "min_compaction_lag_ms, delete_retention_ms"
)


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A topic as stored: its immutable id (a re-created topic gets a new one) and spec."""

    topic_id: int
    spec: TopicSpec

    @property
    def compacted(self) -> bool:
        return self.spec.cleanup_policy is CleanupPolicy.COMPACT


def _row_to_topic(row: tuple[int, str, int, str, int | None, int | None, int, int]) -> TopicRow:
    topic_id, name, partitions, policy, retention_ms, retention_bytes, lag_ms, delete_ms = row
    spec = TopicSpec(
        name=name,
        partitions=partitions,
        cleanup_policy=CleanupPolicy(policy),
        retention_ms=retention_ms,
        retention_bytes=retention_bytes,
        min_compaction_lag_ms=lag_ms,
        delete_retention_ms=delete_ms,
    )
    return TopicRow(topic_id, spec)


def find_topic(conn: sqlite3.Connection, name: str) -> TopicRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM topics WHERE name = ?", (name,)).fetchone()
    return None if row is None else _row_to_topic(row)


def load_topic(conn: sqlite3.Connection, name: str) -> TopicRow:
    """The topic called ``name``, or ``TopicNotFound``."""
    topic = find_topic(conn, name)
    if topic is None:
        raise TopicNotFound(name)
    return topic


def all_topics(conn: sqlite3.Connection) -> list[TopicRow]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM topics ORDER BY name").fetchall()
    return [_row_to_topic(row) for row in rows]


def insert_topic(conn: sqlite3.Connection, spec: TopicSpec, now_ms: int) -> int:
    """Insert the topic and its partitions (inside the caller's transaction); return its id."""
    cursor = conn.execute(
        "INSERT INTO topics (name, partitions, cleanup_policy, retention_ms, retention_bytes, "
        "min_compaction_lag_ms, delete_retention_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            spec.name,
            spec.partitions,
            spec.cleanup_policy.value,
            spec.retention_ms,
            spec.retention_bytes,
            spec.min_compaction_lag_ms,
            spec.delete_retention_ms,
            now_ms,
        ),
    )
    topic_id = cursor.lastrowid
    assert topic_id is not None
    conn.executemany(
        "INSERT INTO partitions (topic_id, partition) VALUES (?, ?)",
        [(topic_id, p) for p in range(spec.partitions)],
    )
    return topic_id


def partition_offsets(conn: sqlite3.Connection, topic_id: int) -> dict[int, tuple[int, int]]:
    """Per partition, its (start offset, end offset)."""
    rows = conn.execute(
        "SELECT partition, start_offset, end_offset FROM partitions WHERE topic_id = ?",
        (topic_id,),
    ).fetchall()
    return {p: (start, end) for p, start, end in rows}
