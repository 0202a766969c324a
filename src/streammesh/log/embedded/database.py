"""The embedded log's SQLite database: its tables and how connections to it are opened.

One file, ``log.db``, in WAL mode: many processes may read while one writes, a commit is
atomic, and with ``synchronous=FULL`` a committed transaction survives a crash or ``kill -9``.
Records are stored as encoded batches (one row per batch, see ``codec``), so the per-record
cost of SQLite disappears and a commit carries thousands of records.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from streammesh.log.errors import LogCorrupt, LogDiskFull, LogUnavailable
from streammesh.sqlite_file import (
    FileProblemError,
    SqliteFile,
    classify,
    is_disk_full,
    private_directory,
)

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
CREATE TABLE IF NOT EXISTS producer_epochs (
    transactional_id TEXT PRIMARY KEY,
    epoch            INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_claims (
    group_id  TEXT NOT NULL,
    topic     TEXT NOT NULL,
    partition INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
"""


def log_file(directory: Path, url: str) -> SqliteFile:
    """The log database file of ``directory``, created (directory 0700, file 0600) on first use.

    Raises:
        LogCorrupt: the file exists but is empty (0 bytes): it is never started afresh over.
        LogDiskFull: there is no space to create it.
        LogUnavailable: it cannot be created.
    """
    file = SqliteFile(directory / DB_FILE)
    try:
        private_directory(directory)
        # The page size only applies to a new database, so it is set before the file exists.
        file.prepare(f"PRAGMA page_size = {_PAGE_SIZE}; PRAGMA journal_mode = WAL;")
    except FileProblemError as exc:
        raise LogCorrupt(url, str(file.path), exc.problem.reason) from exc
    except OSError as exc:
        if is_disk_full(exc):
            raise LogDiskFull(url, exc.strerror or str(exc)) from exc
        raise LogUnavailable(url, f"'{file.path}': {exc.strerror or exc}") from exc
    return file


def log_error(exc: sqlite3.Error, url: str, file: SqliteFile) -> LogUnavailable:
    """The streammesh error for a SQLite error on the log's ``file``.

    A damaged file is remembered on ``file``: writes through it are refused from then on.
    """
    kind = classify(exc)
    if kind == "corrupt":
        file.mark_damaged(str(exc))
        return LogCorrupt(url, str(file.path), str(exc))
    if kind == "full":
        return LogDiskFull(url, str(exc))
    return LogUnavailable(url, str(exc))


@contextmanager
def translated(url: str, file: SqliteFile) -> Iterator[None]:
    """Raise SQLite's errors on ``file`` as streammesh's (``LogCorrupt``, ``LogDiskFull``...)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise log_error(exc, url, file) from exc


def check_file(url: str, file: SqliteFile) -> None:
    """Raise if ``file`` cannot take writes now (deleted, replaced, damaged; a few syscalls).

    Raises:
        LogCorrupt: the file is damaged.
        LogUnavailable: it was deleted or replaced, or its directory cannot be written.
    """
    problem = file.problem()
    if problem is None:
        return
    if problem.corrupt:
        raise LogCorrupt(url, str(file.path), problem.reason)
    raise LogUnavailable(url, f"{problem.reason}; restore the mesh directory and restart")


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already (it does on a full disk, and a
    second ``ROLLBACK`` would then hide the real error behind "no transaction is active")."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


_WRITERS: dict[str, threading.Lock] = {}
"""One lock per log file: the write transactions of this process's connections to it."""
_WRITERS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(str(path), threading.Lock())


class _LogConnection(sqlite3.Connection):
    """A connection whose write transactions (``BEGIN IMMEDIATE`` to its end) take turns
    with the process's other connections to the file on a lock before asking SQLite.

    SQLite makes a writer that finds the file locked sleep and retry, each sleep longer (up
    to 100 ms), while a writer that just arrived may take the lock at once: with a dozen
    producers and group members of one server writing (the REST data plane), some requests
    lost that race for seconds. Waiting on a lock in the process instead, a writer is woken
    as soon as the file is free. Writers of other processes still meet SQLite's busy wait.
    """

    _writers: threading.Lock | None = None
    _holding = False
    _in_turn = False

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if sql == "BEGIN IMMEDIATE" and self._writers is not None and not self._holding:
            self._writers.acquire()
            self._holding = True
        try:
            return super().execute(sql, parameters)
        finally:
            if self._holding and not self._in_turn and not self.in_transaction:
                self._release()

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        finally:
            if self._holding and not self._in_turn and not self.in_transaction:
                self._release()

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(script)
        finally:
            if self._holding and not self._in_turn and not self.in_transaction:
                self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._holding:
                self._release()

    def _release(self) -> None:
        self._holding = False
        if self._writers is not None:
            self._writers.release()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the process's writer turn on the file for every statement run inside, each
        its own transaction unless a ``BEGIN IMMEDIATE`` opens one (held already: nothing).

        A statement alone holds the turn for one call into SQLite: the interpreter lock, given
        up for every call into SQLite and taken back after it, can take a switch interval
        (5 ms) to come back while other threads run Python, and a transaction of several
        statements held every other writer of the process up for each of them.
        """
        if self._writers is None or self._holding:
            yield
            return
        self._writers.acquire()
        self._holding = self._in_turn = True
        try:
            yield
        finally:
            self._in_turn = False
            if not self.in_transaction:
                self._release()


def writer_turn(conn: sqlite3.Connection) -> AbstractContextManager[None]:
    """The process's writer turn on ``conn``'s file (see :meth:`_LogConnection.turn`)."""
    return conn.turn() if isinstance(conn, _LogConnection) else nullcontext()


def write_alone(conn: sqlite3.Connection, sql: str, parameters: Any = ()) -> int:
    """``sql`` as a transaction of its own on ``conn``, in the process's writer turn; how many
    rows it changed."""
    with writer_turn(conn):
        return conn.execute(sql, parameters).rowcount


def connect(directory: Path, url: str, file: SqliteFile | None = None) -> sqlite3.Connection:
    """Open a connection to the log database in ``directory``, creating it on first use.

    Connections are in autocommit mode; writers use explicit ``BEGIN IMMEDIATE`` so that a
    transaction takes the write lock up front instead of failing half-way on a busy database.
    """
    if file is None:
        file = log_file(directory, url)
    else:  # a file opened earlier: say it was deleted rather than "unable to open"
        check_file(url, file)
    try:
        conn = sqlite3.connect(
            file.path,
            timeout=_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            factory=_LogConnection,
        )
    except sqlite3.Error as exc:
        raise log_error(exc, url, file) from exc
    conn._writers = _writer_lock(file.path)
    try:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA page_size = {_PAGE_SIZE}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise LogUnavailable(url, f"SQLite refused WAL mode (got '{mode}')")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_autocheckpoint = 1000")
        conn.executescript(_DDL)
        found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if found is None:  # a new log: written once (a write would wait for any writer)
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
        raise log_error(exc, url, file) from exc
    except LogUnavailable:
        conn.close()
        raise
    return conn


class _OnLogFile(Protocol):
    _url: str
    _file: SqliteFile


_Owner = TypeVar("_Owner", bound=_OnLogFile)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def translating(
    method: Callable[Concatenate[_Owner, _P], _R],
) -> Callable[Concatenate[_Owner, _P], _R]:
    """Decorate a method of a class with ``_url`` and ``_file`` so SQLite's errors leave it as
    streammesh's (see :func:`translated`)."""

    @functools.wraps(method)
    def wrapper(self: _Owner, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with translated(self._url, self._file):
            return method(self, *args, **kwargs)

    return wrapper
