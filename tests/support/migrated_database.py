"""``MigratedDatabase``: one PostgreSQL database in the store's current schema, emptied between
tests instead of created and migrated for each one.

Creating a database and migrating it costs ~0.5 s (over 1 s on a busy machine), and ~300 tests
run on PostgreSQL. Emptying the tables of a database migrated once costs a few milliseconds. A
test gets the same thing either way: no session of an earlier test, no row but those the
migrations write, the current schema, sequences from 1. Whatever a test changed beyond rows
(a table, a column, the schema version row) is noticed and the database is made again.
"""

from __future__ import annotations

from typing import Any

import psycopg

from streammesh.store import open_store
from tests.support.postgres import EmbeddedPostgres

_SHAPE = """
SELECT n.nspname, c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1, 2, 4
"""
"""Every relation (table, index, sequence, view) outside the catalogs, with its columns."""

_OBJECTS = """
SELECT 'schema', nspname FROM pg_namespace
UNION ALL SELECT 'function', p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal
UNION ALL SELECT 'constraint', conname FROM pg_constraint
UNION ALL SELECT 'type', t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL SELECT 'extension', extname FROM pg_extension
ORDER BY 1, 2
"""
"""The other objects a test could add: schemas, functions, triggers, constraints, types."""

_COUNTERS = {"public.store_generation": "UPDATE public.store_generation SET generation = 0"}
"""Seeded rows every write changes (the store generation, migration 0016): set back to the
migrations' values when the database is emptied, not compared (a change is no reason to
make the database again)."""

_TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""

_SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""


class MigratedDatabase:
    """A database of ``server`` that :meth:`fresh` hands out empty and migrated, test after test.

    >>> database = MigratedDatabase(server)
    >>> url = database.fresh()  # migrated, no rows but the migrations' own
    """

    def __init__(self, server: EmbeddedPostgres) -> None:
        self._server = server
        self._url = ""
        self._shape: tuple[Any, ...] = ()
        self._seeded: dict[str, list[tuple[Any, ...]]] = {}
        self._emptied: list[str] = []
        self._sequences: list[str] = []

    def fresh(self) -> str:
        """The URL of the database, emptied of whatever an earlier test wrote (made again
        from scratch if an earlier test changed more than rows)."""
        if not self._url:
            self._create()
            return self._url
        self._server.disconnect_all(self._url)
        with self._connect() as connection:
            if self._read_shape(connection) != self._shape or any(
                self._rows(connection, table) != rows
                for table, rows in self._seeded.items()
                if table not in _COUNTERS
            ):
                changed = True
            else:
                changed = False
                self._empty(connection)
        if changed:
            self._server.drop_database(self._url)
            self._create()
        return self._url

    def drop(self) -> None:
        """Drop the database (at the end of the session)."""
        if self._url:
            self._server.drop_database(self._url)
            self._url = ""

    def _create(self) -> None:
        self._url = self._server.create_database()
        open_store(self._url).close()  # the migrations, once
        with self._connect() as connection:
            self._shape = self._read_shape(connection)
            tables = [row[0] for row in connection.execute(_TABLES)]
            self._seeded = {}
            for table in tables:
                rows = self._rows(connection, table)
                if rows:
                    self._seeded[table] = rows
            self._emptied = [table for table in tables if table not in self._seeded]
            self._sequences = [row[0] for row in connection.execute(_SEQUENCES)]

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self._server.dsn(self._url.rsplit("/", 1)[1]), autocommit=True)

    def _empty(self, connection: psycopg.Connection[tuple[Any, ...]]) -> None:
        with connection.transaction():
            # As the replication role, foreign keys do not fire: tables empty in any order, and
            # a DELETE of a few rows is much cheaper than a TRUNCATE's new files per table.
            connection.execute("SET LOCAL session_replication_role = replica")
            for table in self._emptied:
                connection.execute(f"DELETE FROM {table}")  # type: ignore[arg-type]
            for sequence in self._sequences:
                connection.execute(f"ALTER SEQUENCE {sequence} RESTART")  # type: ignore[arg-type]
        # After the DELETEs' commit: their triggers (fired ALWAYS, at commit) bump it.
        for table, reset in _COUNTERS.items():
            if table in self._seeded:
                connection.execute(reset)  # type: ignore[arg-type]

    @staticmethod
    def _read_shape(connection: psycopg.Connection[tuple[Any, ...]]) -> tuple[Any, ...]:
        return (
            tuple(connection.execute(_SHAPE).fetchall()),
            tuple(connection.execute(_OBJECTS).fetchall()),
        )

    @staticmethod
    def _rows(connection: psycopg.Connection[tuple[Any, ...]], table: str) -> list[tuple[Any, ...]]:
        return sorted(
            connection.execute(f"SELECT * FROM {table}").fetchall(),  # type: ignore[arg-type]
            key=repr,
        )
