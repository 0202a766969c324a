"""Retention and compaction of the embedded log.

Both work like Kafka's log cleaner, with a batch in place of a segment:

- *Retention* (``cleanup_policy=delete``) drops the oldest batches while their newest record
  is older than ``retention_ms`` (record timestamps, as Kafka's CreateTime retention), and
  while the partition stays at least ``retention_bytes`` large without them. The partition's
  beginning offset moves past what was dropped.
- *Compaction* (``cleanup_policy=compact``) keeps only the newest record per key, at its
  original offset. Batches appended less than ``min_compaction_lag_ms`` ago are not touched
  and do not yet supersede older records; a tombstone that is the newest for its key is kept
  until ``delete_retention_ms`` after it was appended, so that consumers that are behind
  still see the delete.

Everything is read outside any transaction; each change is then a short write transaction
guarded by the batch's ``generation``, so producers wait at most for one small commit, and two
processes cleaning at once cannot undo each other's work.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from streammesh.log.base import CleanReport, CleanupPolicy
from streammesh.log.embedded.codec import PendingRecord, decode_batch, encode_batch
from streammesh.log.embedded.database import rollback
from streammesh.log.embedded.topic_rows import TopicRow, all_topics

_REWRITES_PER_TRANSACTION = 16


@dataclass(frozen=True, slots=True)
class _BatchInfo:
    rowid: int
    base_offset: int
    record_count: int
    max_ts: int
    append_ms: int
    size: int
    generation: int


_Rewrite = tuple[_BatchInfo, list[tuple[int, PendingRecord]]]
"""A batch and the records it keeps, each with its offset delta from the batch's base."""


def clean_log(conn: sqlite3.Connection, now_ms: int) -> CleanReport:
    """Apply retention and compaction to every partition of every topic."""
    retained = compacted = tombstones = 0
    for row in all_topics(conn):
        for partition in range(row.spec.partitions):
            if row.spec.cleanup_policy is CleanupPolicy.DELETE:
                retained += _apply_retention(conn, row, partition, now_ms)
            else:
                removed, expired = _compact(conn, row, partition, now_ms)
                compacted += removed
                tombstones += expired
    return CleanReport(
        records_removed_by_retention=retained,
        records_removed_by_compaction=compacted,
        tombstones_removed=tombstones,
    )


def _batches(conn: sqlite3.Connection, row: TopicRow, partition: int) -> list[_BatchInfo]:
    rows = conn.execute(
        "SELECT rowid, base_offset, record_count, max_ts, append_ms, size, generation "
        "FROM batches WHERE topic_id = ? AND partition = ? ORDER BY last_offset",
        (row.topic_id, partition),
    ).fetchall()
    return [_BatchInfo(*r) for r in rows]


def _apply_retention(conn: sqlite3.Connection, row: TopicRow, partition: int, now_ms: int) -> int:
    spec = row.spec
    if spec.retention_ms is None and spec.retention_bytes is None:
        return 0
    batches = _batches(conn, row, partition)
    doomed: list[_BatchInfo] = []
    if spec.retention_ms is not None:
        horizon = now_ms - spec.retention_ms
        for batch in batches:
            if batch.max_ts >= horizon:
                break
            doomed.append(batch)
    if spec.retention_bytes is not None:
        remaining = batches[len(doomed) :]
        size = sum(b.size for b in remaining)
        for batch in remaining:
            if size - batch.size < spec.retention_bytes:
                break
            doomed.append(batch)
            size -= batch.size
    if not doomed:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "DELETE FROM batches WHERE rowid = ? AND generation = ?",
            [(b.rowid, b.generation) for b in doomed],
        )
        conn.execute(
            "UPDATE partitions SET start_offset = MAX(start_offset, COALESCE("
            "(SELECT MIN(base_offset) FROM batches WHERE topic_id = ?1 AND partition = ?2),"
            " end_offset)) WHERE topic_id = ?1 AND partition = ?2",
            (row.topic_id, partition),
        )
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return sum(b.record_count for b in doomed)


def _compact(
    conn: sqlite3.Connection, row: TopicRow, partition: int, now_ms: int
) -> tuple[int, int]:
    spec = row.spec
    lag_horizon = now_ms - spec.min_compaction_lag_ms
    cleanable: list[tuple[_BatchInfo, bytes]] = []
    for batch in _batches(conn, row, partition):
        if batch.append_ms > lag_horizon:
            break
        found = conn.execute(
            "SELECT data FROM batches WHERE rowid = ? AND generation = ?",
            (batch.rowid, batch.generation),
        ).fetchone()
        if found is None:
            return 0, 0  # changed under us (another cleaner): the next pass picks it up
        cleanable.append((batch, found[0]))
    decoded = [
        (batch, decode_batch(spec.name, partition, batch.base_offset, data))
        for batch, data in cleanable
    ]
    newest: dict[bytes | None, int] = {}
    for _, records in decoded:
        for record in records:
            newest[record.key] = record.offset
    tombstone_horizon = now_ms - spec.delete_retention_ms
    rewrites: list[_Rewrite] = []
    superseded = expired = 0
    for batch, records in decoded:
        kept: list[tuple[int, PendingRecord]] = []
        for record in records:
            if newest[record.key] != record.offset:
                superseded += 1
            elif record.value is None and batch.append_ms < tombstone_horizon:
                expired += 1
            else:
                kept.append(
                    (
                        record.offset - batch.base_offset,
                        (record.key, record.value, record.headers, record.timestamp_ms),
                    )
                )
        if len(kept) != len(records):
            rewrites.append((batch, kept))
    for start in range(0, len(rewrites), _REWRITES_PER_TRANSACTION):
        _rewrite(conn, rewrites[start : start + _REWRITES_PER_TRANSACTION])
    return superseded, expired


def _rewrite(conn: sqlite3.Connection, rewrites: list[_Rewrite]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for batch, kept in rewrites:
            if not kept:
                conn.execute(
                    "DELETE FROM batches WHERE rowid = ? AND generation = ?",
                    (batch.rowid, batch.generation),
                )
                continue
            encoded = encode_batch([record for _, record in kept], [d for d, _ in kept])
            conn.execute(
                "UPDATE batches SET data = ?, record_count = ?, min_ts = ?, max_ts = ?, "
                "size = ?, generation = generation + 1 WHERE rowid = ? AND generation = ?",
                (
                    encoded.data,
                    encoded.count,
                    encoded.min_ts,
                    encoded.max_ts,
                    len(encoded.data),
                    batch.rowid,
                    batch.generation,
                ),
            )
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
