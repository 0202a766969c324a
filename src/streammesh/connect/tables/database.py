"""The two databases a table sink writes to, behind one small interface.

:class:`SqliteDatabase` (the standard library's ``sqlite3``) and :class:`PostgresDatabase`
(psycopg 3) differ in placeholders, column types, how a value is passed and how a table's
columns are read back; the sink's SQL is otherwise the same (``INSERT ... ON CONFLICT ... DO
UPDATE`` works in both).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from streammesh.connect.tables.columns import Column, SqlType
from streammesh.connect.tables.errors import (
    DatabaseUnavailable,
    RowRefused,
    UnsupportedDatabaseUrl,
)

Adapt = Callable[[Any], Any]

_POSTGRES_TYPES = {
    SqlType.BOOLEAN: "boolean",
    SqlType.INTEGER: "integer",
    SqlType.BIGINT: "bigint",
    SqlType.REAL: "real",
    SqlType.DOUBLE: "double precision",
    SqlType.TEXT: "text",
    SqlType.BYTES: "bytea",
    SqlType.TIMESTAMP: "timestamp with time zone",
    SqlType.LOCAL_TIMESTAMP: "timestamp without time zone",
    SqlType.DATE: "date",
    SqlType.TIME: "time without time zone",
    SqlType.UUID: "uuid",
    SqlType.JSON: "jsonb",
}
_POSTGRES_WIDENINGS = {("integer", "bigint"), ("real", "double precision")}
"""Avro's promotions that keep every stored value: int to long, float to double."""
# SQLite keeps exact decimals and times as text (a NUMERIC column would round decimals).
_SQLITE_TYPES = {
    SqlType.BOOLEAN: "INTEGER",
    SqlType.INTEGER: "INTEGER",
    SqlType.BIGINT: "INTEGER",
    SqlType.REAL: "REAL",
    SqlType.DOUBLE: "REAL",
    SqlType.BYTES: "BLOB",
}


def quote(name: str) -> str:
    """A (possibly schema-qualified) name quoted for SQL; names are validated as plain."""
    return ".".join(f'"{part}"' for part in name.split("."))


class Database(Protocol):
    """A connection the sink runs its statements on."""

    placeholder: str
    """``?`` or ``%s``."""

    def column_type(self, column: Column) -> str:
        """The column type for ``column``, spelled as :meth:`columns` reads it back."""
        ...

    def adapter(self, column: Column) -> Adapt | None:
        """What turns a decoded value into what the driver takes (``None``: as is)."""
        ...

    def columns(self, table: str) -> dict[str, str] | None:
        """The table's columns and their types, ``None`` when there is no such table."""
        ...

    def widening(self, table: str, column: str, found: str, wanted: str) -> str | None:
        """The statement widening a column of type ``found`` to ``wanted`` (Avro's int to
        long, float to double), ``None`` when that is no widening."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; its rows, if any."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement per row."""
        ...

    def transaction(self) -> Any:
        """A context manager: everything inside commits together, or nothing does."""
        ...

    def savepoint(self) -> Any:
        """Inside a transaction, a context manager undoing only its own statements when
        they fail."""
        ...

    def close(self) -> None:
        """Close the connection; idempotent."""
        ...


def connect(url: str, connector: str) -> Database:
    """Open ``url`` (``postgresql[+psycopg]://...`` or ``sqlite:///<path>``).

    Raises:
        UnsupportedDatabaseUrl: Another scheme.
        DatabaseUnavailable: The database cannot be opened.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "sqlite":
        return SqliteDatabase(Path(url[len("sqlite:///") :]), connector)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return PostgresDatabase("postgresql://" + url.split("://", 1)[1], connector)
    raise UnsupportedDatabaseUrl(scheme or "(none)")


def _instant(value: Any) -> Any:
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return value


def _iso(value: Any) -> Any:
    return _instant(value).isoformat() if value is not None else None


def _json_text(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


class SqliteDatabase:
    """A SQLite file; transactions are ``BEGIN IMMEDIATE ... COMMIT``."""

    placeholder = "?"

    def __init__(self, path: Path, connector: str) -> None:
        self._connector = connector
        try:
            self._connection: sqlite3.Connection | None = sqlite3.connect(
                path, isolation_level=None, timeout=30.0
            )
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(connector, f"cannot open the SQLite file ({exc})") from exc

    @property
    def _conn(self) -> sqlite3.Connection:
        assert self._connection is not None, "the database is closed"
        return self._connection

    def column_type(self, column: Column) -> str:
        return _SQLITE_TYPES.get(column.type, "TEXT")

    def widening(self, table: str, column: str, found: str, wanted: str) -> str | None:
        return None  # SQLite's INTEGER and REAL already hold 64-bit values

    def adapter(self, column: Column) -> Adapt | None:
        match column.type:
            case SqlType.BOOLEAN:
                return lambda value: None if value is None else int(value)
            case SqlType.DECIMAL | SqlType.UUID:
                return lambda value: None if value is None else str(value)
            case SqlType.TIMESTAMP | SqlType.LOCAL_TIMESTAMP | SqlType.DATE | SqlType.TIME:
                return _iso
            case SqlType.JSON:
                return lambda value: None if value is None else _json_text(value)
            case _:
                return None

    def columns(self, table: str) -> dict[str, str] | None:
        schema, _, name = table.rpartition(".")
        prefix = f"{quote(schema)}." if schema else ""
        rows = self.execute(f"PRAGMA {prefix}table_info({quote(name)})")
        return {str(row[1]): str(row[2]).upper() for row in rows} if rows else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: sqlite3.Error) -> RowRefused | DatabaseUnavailable:
        refused = isinstance(exc, (sqlite3.IntegrityError, sqlite3.DataError)) or (
            isinstance(exc, sqlite3.ProgrammingError) and "binding parameter" in str(exc)
        )
        if refused:
            return RowRefused(self._connector, str(exc))
        return DatabaseUnavailable(self._connector, str(exc))

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self.execute("SAVEPOINT streammesh_row")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK TO SAVEPOINT streammesh_row")
            self.execute("RELEASE SAVEPOINT streammesh_row")
            raise
        self.execute("RELEASE SAVEPOINT streammesh_row")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.rollback()
            raise
        self.execute("COMMIT")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class PostgresDatabase:
    """A PostgreSQL database through psycopg 3; DDL is transactional too."""

    placeholder = "%s"

    def __init__(self, conninfo: str, connector: str) -> None:
        self._connector = connector
        try:
            import psycopg
            from psycopg.types.json import Jsonb
        except ImportError as exc:  # pragma: no cover - the extra is part of dev installs
            raise DatabaseUnavailable(
                connector, "psycopg 3 is not installed: pip install 'streammesh[postgres]'"
            ) from exc
        self._psycopg = psycopg
        self._jsonb = Jsonb
        try:
            self._connection: Any = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise DatabaseUnavailable(connector, _without_url(str(exc), conninfo)) from exc

    def column_type(self, column: Column) -> str:
        if column.type is SqlType.DECIMAL:
            return f"numeric({column.precision},{column.scale})"
        return _POSTGRES_TYPES[column.type]

    def adapter(self, column: Column) -> Adapt | None:
        if column.type is SqlType.JSON:
            jsonb, dumps = self._jsonb, partial(json.dumps, default=str)
            return lambda value: None if value is None else jsonb(value, dumps)
        if column.type is SqlType.TIMESTAMP:
            return _instant
        return None

    def widening(self, table: str, column: str, found: str, wanted: str) -> str | None:
        if (found, wanted) in _POSTGRES_WIDENINGS:
            return f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} TYPE {wanted}"
        return None

    def columns(self, table: str) -> dict[str, str] | None:
        found = self.execute("SELECT to_regclass(%s)::oid", [quote(table)])
        if not found or found[0][0] is None:
            return None
        rows = self.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [found[0][0]],
        )
        return {str(name): str(kind) for name, kind in rows}

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cursor = self._connection.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        except self._psycopg.Error as exc:
            raise self._translate(exc) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self._connection.cursor() as cursor:
                cursor.executemany(sql, rows)
        except self._psycopg.Error as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> RowRefused | DatabaseUnavailable:
        errors = self._psycopg
        refused = isinstance(exc, (errors.DataError, errors.IntegrityError)) or (
            isinstance(exc, errors.ProgrammingError) and "cannot adapt" in str(exc)
        )
        if refused:
            return RowRefused(self._connector, str(exc).strip())
        return DatabaseUnavailable(self._connector, str(exc).strip())

    def transaction(self) -> Any:
        return self._connection.transaction()

    def savepoint(self) -> Any:
        return self._connection.transaction()  # nested: a savepoint

    def close(self) -> None:
        if not self._connection.closed:
            self._connection.close()


def _without_url(message: str, conninfo: str) -> str:
    """The driver's message, minus the URL should it repeat it (it holds the password)."""
    return message.replace(conninfo, "<url>").strip()
