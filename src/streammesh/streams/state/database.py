"""``StoreFile``: the local SQLite file of one store of one task, with its checkpoint.

The file is a cache of the changelog, so it is never precious: a missing, empty or damaged
file is deleted and rebuilt from the changelog instead of refusing to start. Its contents
and its checkpoint (the changelog offset they reflect) change in one SQLite transaction, so
after a crash or ``kill -9`` the file holds exactly what it held at its last commit.
``synchronous=NORMAL`` suffices for the same reason: a commit lost to a power cut rolls the
file back to an earlier checkpoint, and the restore reads that much more of the changelog.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streammesh.sqlite_file import FileProblemError, SqliteFile, classify, private_directory
from streammesh.streams.state.errors import StateUnavailable, StoreMismatch

_BUSY_TIMEOUT_MS = 60_000

_DDL = """
CREATE TABLE IF NOT EXISTS store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoint (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    offset     INTEGER NOT NULL,
    written_ms INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The changelog offset the file reflects (the next one to restore) and when it was
    written (UTC ms)."""

    offset: int
    written_ms: int


@dataclass(frozen=True, slots=True)
class StoreIdentity:
    """What a store file was made for; a file made for something else is refused."""

    kind: str
    topic: str
    partition: int

    def items(self) -> list[tuple[str, str]]:
        return [("kind", self.kind), ("changelog", self.topic), ("partition", str(self.partition))]


class StoreFile:
    """One open store file: its connection, the open write transaction and the checkpoint.

    Writes go into a transaction that stays open until :meth:`commit` (with the new
    checkpoint) or :meth:`rollback`; reads on the same connection see them.
    """

    def __init__(self, path: Path, identity: StoreIdentity, ddl: str) -> None:
        self.path = path
        self.rebuilt = False
        self._file = SqliteFile(path)
        self._ddl = ddl
        try:
            private_directory(path.parent)
            self._conn = self._open()
        except OSError as exc:
            raise StateUnavailable(str(path), exc.strerror or str(exc)) from exc
        self._check_identity(identity)

    # -- opening ------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            self._file.prepare("PRAGMA journal_mode = WAL;")
            return self._connect()
        except FileProblemError:
            pass
        except sqlite3.DatabaseError as exc:
            if classify(exc) != "corrupt":
                raise StateUnavailable(str(self.path), str(exc)) from exc
        # Missing with a stale -wal, empty, or damaged: the changelog has everything.
        self._delete_files()
        self.rebuilt = True
        self._file = SqliteFile(self.path)
        try:
            self._file.prepare("PRAGMA journal_mode = WAL;")
            return self._connect()
        except (FileProblemError, sqlite3.Error) as exc:
            raise StateUnavailable(str(self.path), str(exc)) from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_DDL + self._ddl)
        except BaseException:
            conn.close()
            raise
        return conn

    def _delete_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                self.path.with_name(self.path.name + suffix).unlink()

    def _check_identity(self, identity: StoreIdentity) -> None:
        with self.translated():
            found = dict(self._conn.execute("SELECT key, value FROM store_meta").fetchall())
            if not found:
                self._conn.executemany(
                    "INSERT INTO store_meta (key, value) VALUES (?, ?)", identity.items()
                )
                return
        for key, expected in identity.items():
            if found.get(key) != expected:
                self.close()
                raise StoreMismatch(str(self.path), key, expected, str(found.get(key)))

    # -- reading and writing --------------------------------------------------------------------

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Raise SQLite's errors as ``StateUnavailable`` naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            kind = classify(exc)
            if kind == "corrupt":
                self._file.mark_damaged(str(exc))
                reason = (
                    f"the file is damaged ({exc}); close the store and open it again to rebuild it"
                )
            elif kind == "full":
                reason = f"disk full ({exc}); nothing was committed — free space and retry"
            else:
                reason = str(exc)
            raise StateUnavailable(str(self.path), reason) from exc

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """The rows of a query (uncommitted writes of this store included)."""
        with self.translated():
            return self._conn.execute(sql, parameters).fetchall()

    def write(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a write for each of ``rows`` inside the open transaction (begun if none)."""
        if not rows:
            return
        with self.translated():
            if not self._conn.in_transaction:
                self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(sql, rows)

    @property
    def in_transaction(self) -> bool:
        """Whether writes are waiting for :meth:`commit`."""
        return self._conn.in_transaction

    def checkpoint(self) -> Checkpoint | None:
        """The committed checkpoint, or ``None`` for a file that never committed one."""
        found = self.rows("SELECT offset, written_ms FROM checkpoint WHERE id = 1")
        return Checkpoint(found[0][0], found[0][1]) if found else None

    def commit(self, offset: int) -> None:
        """Commit the open writes together with the checkpoint ``offset``."""
        with self.translated():
            if not self._conn.in_transaction:
                self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT OR REPLACE INTO checkpoint (id, offset, written_ms) VALUES (1, ?, ?)",
                (offset, int(time.time() * 1000)),
            )
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        """Forget every write since the last commit."""
        with self.translated():
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

    def wipe(self, tables: Sequence[str]) -> None:
        """Empty ``tables`` and the checkpoint in one commit: the store starts afresh."""
        with self.translated():
            self._conn.execute("BEGIN IMMEDIATE")
            for table in (*tables, "checkpoint"):
                self._conn.execute(f"DELETE FROM {table}")  # table names are our own constants
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Roll back what was not committed and close the connection."""
        with contextlib.suppress(sqlite3.Error):
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        self._conn.close()
