"""The transactional outbox by polling a SQLite table: ``kind: outbox`` with a ``sqlite:``
URL (:mod:`streammesh.connect.postgres.outbox` hands such a definition to :func:`create`).

An application writes an outbox row in the same transaction as its business change; this
source publishes the rows in commit order with Debezium's outbox event router semantics and
then deletes (or marks) them:

=================  ===================================================================
outbox column      event
=================  ===================================================================
``aggregatetype``  the product written (through ``products``; others: dead letters)
``aggregateid``    the key
``payload``        the value (a JSON object; JSON ``null`` or SQL NULL: a tombstone)
``id``             header ``id`` (the event's id, for consumers that deduplicate)
``type``           header ``type`` (the event type)
``headers``        more headers (optional: a JSON object)
=================  ===================================================================

Order: SQLite has one writer at a time, so a transaction's rows get row ids above every row
of a transaction committed before it: the ``rowid`` order is the commit order. The position
is the last row id published (``{"sequence": 41}``), written with the events in one log
transaction; only then (:meth:`OutboxPollingSource.committed`) are the rows up to it deleted
or marked, so each row is published exactly once — a restart first releases what the
committed position covers, then reads on after it. Deleting rows lets SQLite hand their row
ids out again unless the table's ``INTEGER PRIMARY KEY`` is ``AUTOINCREMENT``: the source
refuses to delete from a table without it (mark instead, or declare it).

The product's schema is its contract's: a payload's shape is not in the table, so
:meth:`~OutboxPollingSource.schemas` derives none.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from streammesh.connect.base import ConnectorContext, Position, SourceRecord
from streammesh.connect.config_types import DurationMs, SqlName, TableName
from streammesh.connect.errors import ConnectError
from streammesh.connect.polling.databases import SqliteDatabase, quote, row_as_text, sqlite_path
from streammesh.connect.polling.errors import ColumnNotFound, DatabaseUnreachable

__all__ = [
    "Config",
    "OutboxFields",
    "OutboxNotSafe",
    "OutboxPollingSource",
    "create",
    "is_sqlite",
]


class OutboxNotSafe(ConnectError):
    """Published rows would be deleted from a table whose row ids SQLite reuses.

    Attributes:
        connector: The connector's name.
        table: The outbox table.
    """

    def __init__(self, connector: str, table: str) -> None:
        self.connector = connector
        self.table = table
        super().__init__(
            f"connector '{connector}': outbox table '{table}' has no INTEGER PRIMARY KEY "
            "AUTOINCREMENT, so SQLite may give a deleted row's id to a new row, which would "
            "never be published; declare the id column so, or set 'remove: mark'"
        )


class OutboxFields(BaseModel):
    """The outbox table's column names (Debezium's defaults), as ``kind: outbox`` names them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: SqlName = "id"
    aggregatetype: SqlName = "aggregatetype"
    aggregateid: SqlName = "aggregateid"
    type: SqlName = "type"
    payload: SqlName = "payload"
    headers: SqlName | None = None


class Config(BaseModel):
    """An outbox table of a SQLite database, polled. The settings are named as those of
    ``kind: outbox`` (PostgreSQL, by change data capture) where they mean the same.

    Attributes:
        url: ``sqlite:///path.db`` (``${ENV}`` resolved by the worker; never shown).
        table: The outbox table.
        products: Aggregate type → the product its events go to; a type not listed is
            dead-lettered.
        columns: The outbox table's column names: ``id`` (header ``id``),
            ``aggregatetype``, ``aggregateid`` (the key), ``type`` (header ``type``),
            ``payload`` (the JSON value) and an optional ``headers`` column (a JSON object
            of extra headers).
        remove: ``delete`` the published rows, or ``mark`` them.
        mark_column: With ``mark``: the nullable column set to the publication time (or to
            1, for a ``BOOLEAN`` column); marked rows are never published.
        poll_interval: Time between two polls.
        batch_size: At most this many rows per poll.
        snapshot: ``initial``: a first start publishes the rows already waiting; ``never``:
            only rows written after it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr
    table: TableName = "outbox"
    products: dict[str, str] = Field(min_length=1)
    columns: OutboxFields = Field(default_factory=OutboxFields)
    remove: Literal["delete", "mark"] = "delete"
    mark_column: SqlName | None = None
    poll_interval: DurationMs = Field(default=1_000, gt=0)
    batch_size: int = Field(default=2_000, ge=1, le=100_000)
    snapshot: Literal["initial", "never"] = "initial"

    @classmethod
    def from_outbox(cls, settings: Mapping[str, Any]) -> Config:
        """The settings of a ``kind: outbox`` config block (validated by its model) for
        SQLite: those meaning the same here are kept, the replication slot's are not; a
        table PostgreSQL-qualified by default (``public.outbox``) loses its schema."""
        table = str(settings.get("table", "outbox")).removeprefix("public.")
        kept = {
            name: settings[name]
            for name in ("url", "products", "columns", "mark_column", "batch_size")
            if name in settings
        }
        if "remove" in settings:
            kept["remove"] = str(getattr(settings["remove"], "value", settings["remove"]))
        if "snapshot" in settings:
            kept["snapshot"] = str(getattr(settings["snapshot"], "value", settings["snapshot"]))
        return cls.model_validate({**kept, "table": table})

    @field_validator("url")
    @classmethod
    def _sqlite(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().lower().startswith("sqlite:"):
            raise ValueError("the outbox by polling reads SQLite: the url starts with sqlite:///")
        return value

    @model_validator(mode="after")
    def _mark_needs_column(self) -> Self:
        if self.remove == "mark" and self.mark_column is None:
            raise ValueError("remove: mark needs mark_column (the column that marks a row)")
        return self


class OutboxPollingSource:
    """A running ``outbox-poll`` source (see the module)."""

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self._config = config
        self._context = context
        self._database: SqliteDatabase | None = None
        self._sequence = 0
        self._next_query_at = 0.0
        self._mark_value = "CURRENT_TIMESTAMP"
        self._floor = 0

    def start(self, position: Position | None) -> None:
        """Open the database, check the table, release what ``position`` covers."""
        self.close()
        config = self._config
        database = SqliteDatabase(
            self._context.name, sqlite_path(config.url.get_secret_value()), read_only=False
        )
        self._database = database
        declared = {column.name: column.sql_type for column in database.columns(config.table)}
        wanted = [
            (column, f"columns.{setting}")
            for setting, column in config.columns.model_dump().items()
            if column is not None
        ]
        if config.mark_column is not None:
            wanted.append((config.mark_column, "mark_column"))
        for column, setting in wanted:
            if column not in declared:
                raise ColumnNotFound(self._context.name, config.table, column, setting)
        self._mark_value = "CURRENT_TIMESTAMP"
        if config.mark_column is not None and "BOOL" in declared[config.mark_column].upper():
            self._mark_value = "1"
        if config.remove == "delete" and not self._autoincrement(database):
            raise OutboxNotSafe(self._context.name, config.table)
        self._sequence = int((position or {}).get("sequence", 0))
        self._floor = int((position or {}).get("floor", 0))
        if position is None and config.snapshot == "never":
            found = database.rows(f"SELECT max(rowid) AS last FROM {quote(config.table)}", [])
            # Rows waiting at the first start are neither published nor removed, ever.
            self._sequence = self._floor = int(found[0]["last"] or 0)
        self._next_query_at = 0.0
        if position is not None:
            self.committed(position)

    def _autoincrement(self, database: SqliteDatabase) -> bool:
        found = database.connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
            (self._config.table.rsplit(".", 1)[-1],),
        ).fetchone()
        return found is not None and "AUTOINCREMENT" in str(found[0]).upper()

    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        """The next outbox rows after the position, in commit (row id) order."""
        wait = self._next_query_at - time.monotonic()
        if wait > 0:
            time.sleep(min(max(timeout, 0.0), wait))
            if time.monotonic() < self._next_query_at:
                return []
        config = self._config
        database = self._require()
        where = "rowid > ?"
        if config.mark_column is not None:
            mark = quote(config.mark_column)
            where += f" AND ({mark} IS NULL OR {mark} = 0)"
        rows = database.rows(
            f"SELECT rowid AS _sequence, * FROM {quote(config.table)} WHERE {where} "
            f"ORDER BY rowid LIMIT {config.batch_size}",
            [self._sequence],
        )
        full = len(rows) == config.batch_size
        self._next_query_at = time.monotonic() + (0.0 if full else config.poll_interval / 1000)
        records = []
        for row in rows:
            self._sequence = int(row["_sequence"])
            record = self._record(row)
            if record is not None:
                records.append(record)
        return records

    def _record(self, row: Mapping[str, Any]) -> SourceRecord | None:
        columns = self._config.columns
        aggregate_type = str(row[columns.aggregatetype])
        product = self._config.products.get(aggregate_type)
        raw = row_as_text({k: v for k, v in row.items() if k != "_sequence"})
        if product is None:
            self._context.dead_letter(
                aggregate_type,
                f"aggregate type '{aggregate_type}' has no product in 'products'",
                raw,
            )
            return None
        payload = row[columns.payload]
        try:
            value = None if payload is None else json.loads(payload)
        except (TypeError, ValueError) as exc:
            self._context.dead_letter(aggregate_type, f"payload is not JSON: {exc}", raw)
            return None
        if value is not None and not isinstance(value, dict):
            self._context.dead_letter(aggregate_type, "payload is not a JSON object", raw)
            return None
        headers = {}
        if columns.headers is not None and row[columns.headers] is not None:
            try:
                extra = json.loads(row[columns.headers])
            except (TypeError, ValueError):
                extra = None
            if not isinstance(extra, dict):
                reason = f"column '{columns.headers}' is not a JSON object of headers"
                self._context.dead_letter(aggregate_type, reason, raw)
                return None
            headers.update({name: str(text) for name, text in extra.items()})
        for name, column in (("id", columns.id), ("type", columns.type)):
            if row[column] is not None:
                headers[name] = str(row[column])
        return SourceRecord(
            product=product,
            key=row[columns.aggregateid],
            value=value,
            position=self._position(),
            headers=headers,
            stream=aggregate_type,
        )

    def _position(self) -> dict[str, int]:
        if self._floor:
            return {"sequence": self._sequence, "floor": self._floor}
        return {"sequence": self._sequence}

    def committed(self, position: Position) -> None:
        """Delete (or mark) the outbox rows up to ``position``: they are on their products."""
        sequence = int(position.get("sequence", 0))
        floor = int(position.get("floor", 0))
        config = self._config
        table = quote(config.table)
        if config.remove == "delete" or config.mark_column is None:
            sql = f"DELETE FROM {table} WHERE rowid > ? AND rowid <= ?"
        else:
            mark = quote(config.mark_column)
            sql = (
                f"UPDATE {table} SET {mark} = {self._mark_value} "
                f"WHERE rowid > ? AND rowid <= ? AND ({mark} IS NULL OR {mark} = 0)"
            )
        try:
            self._require().connection.execute(sql, (floor, sequence))
        except sqlite3.Error as exc:
            raise DatabaseUnreachable(self._context.name, str(exc)) from exc

    def schemas(self) -> Mapping[str, str]:
        """None: a payload's shape is the product contract's, not the table's."""
        return {}

    def close(self) -> None:
        """Disconnect; idempotent."""
        if self._database is not None:
            self._database.close()
            self._database = None

    def _require(self) -> SqliteDatabase:
        if self._database is None:
            raise RuntimeError("the outbox source is not started")
        return self._database


def is_sqlite(url: SecretStr) -> bool:
    """Whether an outbox URL names a SQLite database (read by this module)."""
    return url.get_secret_value().lower().startswith("sqlite:")


def create(config: Config, context: ConnectorContext) -> OutboxPollingSource:
    """An outbox source polling the SQLite table of ``config``."""
    return OutboxPollingSource(config, context)
