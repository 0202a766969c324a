"""The two databases a polling source reads: SQLite (stdlib ``sqlite3``) and PostgreSQL
(psycopg 3), behind one small interface: the table's columns, and the rows of one query.

Queries are built by :mod:`streammesh.connect.polling.queries` from quoted names and
placeholders; each database says how it quotes, what its placeholder is, and how it writes
"the database's clock minus the delay" (Kafka Connect compares to the database's clock, not
the worker's, so a skewed worker clock does not skip rows).
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import psycopg

from streammesh.connect.columns import Column
from streammesh.connect.polling.errors import DatabaseUnreachable, TableNotFound

__all__ = ["Database", "PostgresDatabase", "SqliteDatabase", "open_database", "sqlite_path"]


class Database(Protocol):
    """What the polling source needs of a database."""

    placeholder: str
    """The parameter placeholder of the driver (``?``, ``%s``)."""

    def columns(self, table: str) -> list[Column]:
        """The table's columns in table order (raises :class:`TableNotFound`)."""
        ...

    def before_now(self, expression: str) -> str:
        """SQL true when ``expression`` (a timestamp) is older than the database's clock
        minus a delay given as one parameter, in milliseconds."""
        ...

    def rows(self, sql: str, parameters: Sequence[Any]) -> list[dict[str, Any]]:
        """The rows of a query, as column name → driver value."""
        ...

    def watermark(self, value: Any) -> Any:
        """A timestamp column's value as JSON (for a position)."""
        ...

    def parameter(self, watermark: Any) -> Any:
        """A position's timestamp back as a query parameter."""
        ...

    def close(self) -> None:
        """Disconnect; idempotent."""
        ...


def quote(name: str) -> str:
    """A (possibly schema-qualified) name quoted for SQL; names are checked plain already."""
    return ".".join(f'"{part}"' for part in name.split("."))


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    rest = url.split(":", 1)[1]
    return Path(rest[3:] if rest.startswith("///") else rest.lstrip("/"))


class SqliteDatabase:
    """A SQLite file, opened read-only (a polling source never writes the tables it reads).

    Timestamps are compared as stored: the column must hold ISO-8601 text in one format
    (``CURRENT_TIMESTAMP``'s ``2026-12-07 10:00:00``, or Python's ``isoformat()``) in UTC,
    whose text order is time order; the delay is measured with ``julianday``.
    """

    placeholder = "?"

    def __init__(self, connector: str, path: Path, *, read_only: bool = True) -> None:
        self._connector = connector
        if not path.is_file():
            raise DatabaseUnreachable(connector, f"no SQLite file '{path}'")
        mode = "ro" if read_only else "rw"
        try:
            self._connection = sqlite3.connect(
                f"file:{path}?mode={mode}", uri=True, isolation_level=None, timeout=10.0
            )
        except sqlite3.Error as exc:
            raise DatabaseUnreachable(connector, str(exc)) from exc

    @property
    def connection(self) -> sqlite3.Connection:
        """The driver connection (the outbox writes through it)."""
        return self._connection

    def columns(self, table: str) -> list[Column]:
        """See :class:`Database`."""
        name = table.rsplit(".", 1)[-1]
        rows = self._connection.execute(f"PRAGMA table_info({quote(name)})").fetchall()
        if not rows:
            raise TableNotFound(self._connector, table)
        return [
            Column.sqlite(row[1], row[2] or "", nullable=not row[3], primary_key=row[5] > 0)
            for row in rows
        ]

    def before_now(self, expression: str) -> str:
        """See :class:`Database`."""
        return f"julianday({expression}) < julianday('now') - ? / 86400000.0"

    def rows(self, sql: str, parameters: Sequence[Any]) -> list[dict[str, Any]]:
        """See :class:`Database`."""
        try:
            cursor = self._connection.execute(sql, tuple(parameters))
        except sqlite3.Error as exc:
            raise DatabaseUnreachable(self._connector, str(exc)) from exc
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def watermark(self, value: Any) -> Any:
        """See :class:`Database`: SQLite values are JSON already (text or numbers)."""
        return value

    def parameter(self, watermark: Any) -> Any:
        """See :class:`Database`."""
        return watermark

    def close(self) -> None:
        """See :class:`Database`."""
        self._connection.close()


_POSTGRES_COLUMNS = """
SELECT a.attname, t.typname, a.atttypmod, NOT a.attnotnull,
       EXISTS (SELECT 1 FROM pg_index i
               WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey))
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


class PostgresDatabase:
    """A PostgreSQL database through psycopg 3, in autocommit (each query its own snapshot),
    with the session in UTC so a ``timestamp`` without time zone is read as UTC."""

    placeholder = "%s"

    def __init__(self, connector: str, url: str) -> None:
        self._connector = connector
        scheme, rest = url.split(":", 1)
        del scheme  # postgres://, postgresql+psycopg:// → libpq's postgresql://
        try:
            self._connection = psycopg.connect(
                "postgresql:" + rest, autocommit=True, options="-c TimeZone=UTC"
            )
        except psycopg.Error as exc:
            raise DatabaseUnreachable(connector, _reason(exc)) from exc

    def columns(self, table: str) -> list[Column]:
        """See :class:`Database`."""
        found = self._connection.execute(_POSTGRES_COLUMNS, (quote(table),)).fetchall()
        if not found:
            raise TableNotFound(self._connector, table)
        return [
            Column.postgres(
                name, type_name, type_modifier=modifier, nullable=nullable, primary_key=key
            )
            for name, type_name, modifier, nullable, key in found
        ]

    def before_now(self, expression: str) -> str:
        """See :class:`Database`."""
        return f"{expression} < clock_timestamp() - %s * interval '1 millisecond'"

    def rows(self, sql: str, parameters: Sequence[Any]) -> list[dict[str, Any]]:
        """See :class:`Database`."""
        try:
            cursor = self._connection.execute(sql.encode(), tuple(parameters))
        except psycopg.Error as exc:
            raise DatabaseUnreachable(self._connector, _reason(exc)) from exc
        if cursor.description is None:
            return []
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def watermark(self, value: Any) -> Any:
        """See :class:`Database`: a timestamp as ISO-8601 text (microseconds, offset kept)."""
        return value.isoformat() if isinstance(value, datetime.datetime) else value

    def parameter(self, watermark: Any) -> Any:
        """See :class:`Database`."""
        if isinstance(watermark, str):
            return datetime.datetime.fromisoformat(watermark)
        return watermark

    def close(self) -> None:
        """See :class:`Database`."""
        self._connection.close()


def _reason(exc: psycopg.Error) -> str:
    # libpq's first line names the host and the failure, never the password.
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def open_database(connector: str, url: str) -> SqliteDatabase | PostgresDatabase:
    """The database of a ``sqlite:`` or ``postgresql:`` URL."""
    if url.lower().startswith("sqlite:"):
        return SqliteDatabase(connector, sqlite_path(url))
    return PostgresDatabase(connector, url)


def row_as_text(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as JSON-able values (for a dead letter): numbers and text kept, others as text."""
    return {
        name: value if value is None or isinstance(value, int | float | str) else str(value)
        for name, value in row.items()
    }
