"""``MetadataStore``: the control plane's database, and how code gets a transaction on it."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError

from streammesh.store.engine import IMMEDIATE
from streammesh.store.errors import StoreUnavailable

Backend = Literal["sqlite", "postgresql"]


class MetadataStore:
    """An open, migrated metadata database. Get one from ``open_store``.

    Reads use ``read()``; read-modify-write logic uses ``write(lock)``, which runs one writer
    of that lock at a time across processes (SQLite: the database write lock taken at
    ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock named by ``lock``).
    """

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self.url = url
        """The store's URL with the password hidden."""

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
        with self._translated(), self._engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self, lock: str) -> Iterator[Connection]:
        """A transaction that holds the exclusive lock ``lock`` from its first statement to
        its commit, so a check-then-insert inside it cannot race another process."""
        with self._translated(), self._engine.connect() as connection:
            if self.backend == "sqlite":
                connection = connection.execution_options(**{IMMEDIATE: True})
            with connection.begin():
                if self.backend == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(lock)}
                    )
                yield connection

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._engine.dispose()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            raise StoreUnavailable(self.url, str(exc.orig or exc).strip()) from exc

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (PostgreSQL's lock id type)."""
    return zlib.crc32(f"streammesh:{name}".encode()) - 2**31
