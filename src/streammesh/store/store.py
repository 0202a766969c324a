"""``MetadataStore``: the control plane's database, and how code gets a transaction on it."""

from __future__ import annotations

import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from streammesh.sqlite_file import SqliteFile, classify
from streammesh.store.engine import IMMEDIATE
from streammesh.store.errors import StoreCorrupt, StoreDiskFull, StoreError, StoreUnavailable
from streammesh.store.timeouts import PROBE

Backend = Literal["sqlite", "postgresql"]

READ_CHECK_INTERVAL_S = 0.2
"""How often reads look at the database file; writes look before every commit."""
_PROBE_TABLE = "streammesh_schema_version"  # migrate.VERSION_TABLE: on every migrated store

# PostgreSQL's SQLSTATEs for a full disk and for damaged data files.
_PG_DISK_FULL = frozenset({"53100"})
_PG_CORRUPT = frozenset({"XX001", "XX002"})


class MetadataStore:
    """An open, migrated metadata database. Get one from ``open_store``.

    Reads use ``read()``; read-modify-write logic uses ``write(lock)``, which runs one writer
    of that lock at a time across processes (SQLite: the database write lock taken at
    ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock named by ``lock``).
    """

    def __init__(self, engine: Engine, url: str, file: SqliteFile | None = None) -> None:
        self._engine = engine
        self.url = url
        """The store's URL with the password hidden."""
        self._file = file
        self._damage: StoreCorrupt | None = None
        self._read_checked = -READ_CHECK_INTERVAL_S
        self._probe_engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for code that needs more than ``read``/``write``)."""
        return self._engine

    @property
    def backend(self) -> Backend:
        """Which database this is."""
        return "sqlite" if self._engine.dialect.name == "sqlite" else "postgresql"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a transaction that is committed when the block ends."""
        # Reads check the file at most every READ_CHECK_INTERVAL_S: reading a deleted file
        # loses nothing, and a check costs about a tenth of a small read.
        now = time.monotonic()
        if self._damage is not None or now - self._read_checked >= READ_CHECK_INTERVAL_S:
            self.check()
            self._read_checked = now
        with self._translated(), self._engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self, lock: str) -> Iterator[Connection]:
        """A transaction that holds the exclusive lock ``lock`` from its first statement to
        its commit, so a check-then-insert inside it cannot race another process."""
        self.check()
        with self._translated(), self._engine.connect() as connection:
            if self.backend == "sqlite":
                connection = connection.execution_options(**{IMMEDIATE: True})
            with connection.begin():
                if self.backend == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(lock)}
                    )
                yield connection
                # Last look before the commit: a change written into a deleted or damaged
                # file would be acknowledged and then lost (raising here rolls it back).
                self.check()

    def check(self) -> None:
        """Raise if the store cannot serve: its file was deleted, replaced, truncated or found
        damaged, or its directory is not writable (SQLite; a few system calls, no SQL).

        Raises:
            StoreCorrupt: the database file is damaged (once seen, until the store is reopened).
            StoreUnavailable: the file is gone or its directory cannot be written.
        """
        if self._damage is not None:
            raise self._damage
        if self._file is None:
            return
        problem = self._file.problem()
        if problem is None:
            return
        if problem.corrupt:
            self._damage = StoreCorrupt(self.url, str(self._file.path), problem.reason)
            raise self._damage
        raise StoreUnavailable(
            self.url, f"{problem.reason}; restore the mesh directory and restart the server"
        )

    def probe(self) -> None:
        """Raise unless the store can serve: :meth:`check`, then one read on a connection of
        its own (not the pool's, which busy requests may all hold), for health checks.

        Raises:
            StoreCorrupt: the database file is damaged.
            StoreUnavailable: the file is gone, or the database does not answer.
        """
        self.check()
        if self._probe_engine is None:
            self._probe_engine = self._new_probe_engine()
        with self._translated(), self._probe_engine.connect() as connection:
            connection.execute(text(f"SELECT count(*) FROM {_PROBE_TABLE}")).scalar()

    def _new_probe_engine(self) -> Engine:
        if self.backend == "sqlite":
            return create_engine(self._engine.url, poolclass=NullPool, connect_args={"timeout": 5})
        from streammesh.store.postgres import postgres_engine

        return postgres_engine(self._engine.url, PROBE, pooled=False)

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._engine.dispose()
        if self._probe_engine is not None:
            self._probe_engine.dispose()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            translated = self._translate(exc)
            if translated is None:
                raise  # constraint violations and the like: the caller's to handle
            raise translated from exc
        except PoolTimeout as exc:
            # Every pooled connection is busy (or waits for a server that does not answer).
            raise StoreUnavailable(
                self.url, f"no database connection became free in time ({exc})"
            ) from exc

    def _translate(self, exc: DBAPIError) -> StoreError | None:
        reason = str(exc.orig or exc).strip()
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None)
        kind = classify(orig) if isinstance(orig, sqlite3.Error) else None
        if kind == "corrupt" or sqlstate in _PG_CORRUPT:
            path = str(self._file.path) if self._file is not None else self.url
            # Remembered: every later call and the health check refuse the damaged file.
            self._damage = StoreCorrupt(self.url, path, reason)
            return self._damage
        if kind == "full" or sqlstate in _PG_DISK_FULL:
            return StoreDiskFull(self.url, reason)
        if kind == "io" or isinstance(exc, (OperationalError, InterfaceError)):
            return StoreUnavailable(self.url, reason)
        return None

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (PostgreSQL's lock id type)."""
    return zlib.crc32(f"streammesh:{name}".encode()) - 2**31
