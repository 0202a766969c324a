"""The embedded log's SQLite database: its tables and how connections to it are opened.

One file, ``log.db``, in WAL mode: many processes may read while one writes, a commit is
atomic, and with ``synchronous=FULL`` a committed transaction survives a crash or ``kill -9``.
Records are stored as encoded batches (one row per batch, see ``codec``), so the per-record
cost of SQLite disappears and a commit carries thousands of records.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from streammesh.log.errors import LogUnavailable

DB_FILE = "log.db"
SCHEMA_VERSION = 1

# Bigger pages mean fewer overflow pages per batch blob (batches are ~hundreds of KiB).
_PAGE_SIZE = 65536
_BUSY_TIMEOUT_MS = 60_000

_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS topics (
    topic_id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name                  TEXT NOT NULL UNIQUE,
    partitions            INTEGER NOT NULL,
    cleanup_policy        TEXT NOT NULL,
    retention_ms          INTEGER,
    retention_bytes       INTEGER,
    min_compaction_lag_ms INTEGER NOT NULL,
    delete_retention_ms   INTEGER NOT NULL,
    created_ms            INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS partitions (
    topic_id     INTEGER NOT NULL,
    partition    INTEGER NOT NULL,
    start_offset INTEGER NOT NULL DEFAULT 0,
    end_offset   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (
    topic_id    INTEGER NOT NULL,
    partition   INTEGER NOT NULL,
    base_offset INTEGER NOT NULL,
    last_offset INTEGER NOT NULL,
    record_count INTEGER NOT NULL,
    min_ts      INTEGER NOT NULL,
    max_ts      INTEGER NOT NULL,
    append_ms   INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    generation  INTEGER NOT NULL DEFAULT 0,
    data        BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_by_last_offset
    ON batches (topic_id, partition, last_offset);
CREATE TABLE IF NOT EXISTS group_offsets (
    group_id     TEXT NOT NULL,
    topic        TEXT NOT NULL,
    partition    INTEGER NOT NULL,
    committed    INTEGER NOT NULL,
    committed_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_members (
    group_id           TEXT NOT NULL,
    member_id          TEXT NOT NULL,
    topics             TEXT NOT NULL,
    joined_ms          INTEGER NOT NULL,
    heartbeat_ms       INTEGER NOT NULL,
    session_timeout_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_claims (
    group_id  TEXT NOT NULL,
    topic     TEXT NOT NULL,
    partition INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
"""


def connect(directory: Path, url: str) -> sqlite3.Connection:
    """Open a connection to the log database in ``directory``, creating it on first use.

    Connections are in autocommit mode; writers use explicit ``BEGIN IMMEDIATE`` so that a
    transaction takes the write lock up front instead of failing half-way on a busy database.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            directory / DB_FILE,
            timeout=_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    except (OSError, sqlite3.Error) as exc:
        raise LogUnavailable(url, str(exc)) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise LogUnavailable(url, f"SQLite refused WAL mode (got '{mode}')")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_autocheckpoint = 1000")
        conn.executescript(_DDL)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if found is None or int(found[0]) != SCHEMA_VERSION:
            raise LogUnavailable(
                url, f"the log's format version is {found}, this streammesh reads {SCHEMA_VERSION}"
            )
    except sqlite3.Error as exc:
        conn.close()
        raise LogUnavailable(url, str(exc)) from exc
    except LogUnavailable:
        conn.close()
        raise
    return conn
