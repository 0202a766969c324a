"""Building the SQLAlchemy engine for a store URL, with the session settings each database needs.

PostgreSQL: :mod:`streammesh.store.postgres`, every wait bounded per use
(:mod:`streammesh.store.timeouts`).

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout so concurrent
processes wait for each other instead of failing, and transactions we begin ourselves so a
writer can take the database lock up front (``BEGIN IMMEDIATE``) — pysqlite's own implicit
``BEGIN`` would take it only at the first write, too late to serialize read-then-write logic.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import StaticPool

from streammesh.errors import MissingDependency
from streammesh.store.timeouts import MAINTENANCE, StoreTimeouts

BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "streammesh_sqlite_immediate"
"""Execution option: begin this connection's transactions with ``BEGIN IMMEDIATE`` (SQLite)."""


def build_engine(url: URL, timeouts: StoreTimeouts = MAINTENANCE) -> Engine:
    """An engine for ``url`` (already normalized by ``parse_store_url``); PostgreSQL's waits
    are bounded by ``timeouts`` (SQLite's by its busy timeout)."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    try:
        from streammesh.store.postgres import postgres_engine
    except ImportError as exc:
        raise MissingDependency("A PostgreSQL metadata store", "postgres") from exc
    return postgres_engine(url, timeouts)


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        # An in-memory database lives and dies with its one connection.
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see "begin")
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
