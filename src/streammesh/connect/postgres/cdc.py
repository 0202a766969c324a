"""``kind: postgres-cdc``: PostgreSQL change data capture through logical replication.

Every row of the chosen tables becomes an event of the product the table is mapped to: a
consistent snapshot of the current rows first (op ``r``), then every insert, update and
delete in commit order. The key is the primary key (one column: its value; several: a record
of them by name); a delete is a tombstone. With ``envelope: debezium`` the value is
Debezium's change event (``before``, ``after``, ``op``, ``ts_ms``, ``source``) and a delete
is that event (op ``d``) followed by a tombstone, as Debezium writes them.

```yaml
name: orders-cdc
kind: postgres-cdc
principal: orders-cdc-sa
config:
  url: ${ORDERS_DB_URL}
  tables: {public.orders: shop.orders}
  envelope: plain            # or debezium
  snapshot: initial          # or never
```

Restart, exactly once, the slot and the publication: see
:mod:`streammesh.connect.postgres.replication` and ``docs/connectors.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

import streammesh
from streammesh.connect.base import ConnectorContext, Position, SourceRecord
from streammesh.connect.columns import (
    Column,
    ColumnConversionError,
    record_name,
    record_schema,
    row_converter,
)
from streammesh.connect.postgres import pgoutput
from streammesh.connect.postgres.inserts import InsertFunction, compile_insert
from streammesh.connect.postgres.replication import Change, ChangeStream, StreamSettings
from streammesh.connect.postgres.settings import (
    TABLE_PATTERN,
    default_object_name,
    libpq_url,
    qualified_table,
)

__all__ = ["KIND", "ROLE", "Config", "Envelope", "PostgresCdcSource", "SnapshotMode", "create"]

KIND = "postgres-cdc"
ROLE: Literal["source"] = "source"


class Envelope(StrEnum):
    """What an event's value is: the row, or Debezium's change event around it."""

    PLAIN = "plain"
    DEBEZIUM = "debezium"


class SnapshotMode(StrEnum):
    """Whether the first start reads the tables' current rows before their changes."""

    INITIAL = "initial"
    NEVER = "never"


class Config(BaseModel):
    """The ``config:`` block of a ``postgres-cdc`` connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr = Field(
        description="The database URL (postgresql://user:password@host:port/db), usually "
        "${ENV_VAR}; the user needs the REPLICATION attribute and SELECT on the tables."
    )
    tables: dict[str, str] = Field(
        min_length=1,
        description="Captured tables (schema.table, or table in public) → the product each "
        "one feeds (e.g. shop.orders).",
    )
    envelope: Envelope = Field(
        Envelope.PLAIN,
        description="plain: the row is the value; debezium: Debezium's change event.",
    )
    slot: str | None = Field(
        None,
        pattern=r"^[a-z0-9_]{1,63}$",
        description="The replication slot (default streammesh_<connector name with _>).",
    )
    publication: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_]{1,63}$",
        description="The publication (default streammesh_<connector name with _>); created "
        "for the tables when missing, tables added when it lacks them.",
    )
    snapshot: SnapshotMode = Field(
        SnapshotMode.INITIAL,
        description="initial: the current rows first, then the changes; never: changes only.",
    )
    batch_size: int = Field(2000, ge=1, le=100_000, description="Events at most per poll.")

    @field_validator("tables")
    @classmethod
    def _tables(cls, tables: dict[str, str]) -> dict[str, str]:
        normalised = {}
        for table, product in tables.items():
            if not TABLE_PATTERN.match(table):
                raise ValueError(f"'{table}' is not a table name (schema.table or table)")
            if not product.strip():
                raise ValueError(f"table '{table}' names no product")
            normalised[qualified_table(table)] = product
        return normalised


class PostgresCdcSource:
    """The running source (see the module)."""

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self._config = config
        self._context = context
        name = default_object_name(context.name)
        self._stream = ChangeStream(
            StreamSettings(
                connector=context.name,
                dsn=libpq_url(config.url),
                tables=tuple(config.tables),
                slot=config.slot or name,
                publication=config.publication or name,
                snapshot=config.snapshot is SnapshotMode.INITIAL,
                batch_size=config.batch_size,
                state_dir=context.state_dir,
            ),
            self._records,
            fast_inserts=self._fast_insert if config.envelope is Envelope.PLAIN else None,
        )
        self._schemas: dict[str, tuple[tuple[Column, ...], str]] = {}
        self._plain = config.envelope is Envelope.PLAIN
        self._converters: dict[
            str,
            tuple[
                tuple[Column, ...], Callable[[Mapping[str, Any]], dict[str, Any]], tuple[str, ...]
            ],
        ] = {}

    def start(self, position: Position | None) -> None:
        """Connect; snapshot first when ``position`` is ``None``, else resume after it."""
        self._stream.start(position)

    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        """The next events in commit order."""
        return self._stream.poll(timeout)

    def committed(self, position: Position) -> None:
        """Confirm ``position`` to the replication slot (``flush_lsn``)."""
        self._stream.confirm(position)

    def schemas(self) -> Mapping[str, str]:
        """Per product, the value schema derived from its table's current columns."""
        result = {}
        for table, product in self._config.tables.items():
            columns = self._stream.columns(table)
            if not columns:  # not started yet
                continue
            cached = self._schemas.get(table)
            if cached is None or cached[0] != columns:
                cached = self._schemas[table] = (columns, json.dumps(self._schema(table, columns)))
            result[product] = cached[1]
        return result

    def close(self) -> None:
        """Close the replication and catalog connections; idempotent."""
        self._stream.close()

    # -- records ------------------------------------------------------------------------

    def _schema(self, table: str, columns: Sequence[Column]) -> dict[str, Any]:
        if self._config.envelope is Envelope.PLAIN:
            return record_schema(table, columns)
        # A delete's `before` holds only the key unless REPLICA IDENTITY FULL: the other
        # columns are null there, so the envelope's row record lets them be.
        relaxed = [
            column if column.primary_key else replace(column, nullable=True) for column in columns
        ]
        row = record_schema("Value", relaxed)
        optional_long = ["null", "long"]
        source = {
            "type": "record",
            "name": "Source",
            "fields": [
                {"name": "version", "type": "string"},
                {"name": "connector", "type": "string"},
                {"name": "name", "type": "string"},
                {"name": "ts_ms", "type": "long"},
                {"name": "snapshot", "type": "string"},
                {"name": "db", "type": "string"},
                {"name": "schema", "type": "string"},
                {"name": "table", "type": "string"},
                {"name": "txId", "type": optional_long, "default": None},
                {"name": "lsn", "type": optional_long, "default": None},
            ],
        }
        schema_name, _, table_name = table.partition(".")
        return {
            "type": "record",
            "name": "Envelope",
            "namespace": f"{record_name(schema_name)}.{record_name(table_name)}",
            "fields": [
                {"name": "before", "type": ["null", row], "default": None},
                {"name": "after", "type": ["null", "Value"], "default": None},
                {"name": "op", "type": "string"},
                {"name": "ts_ms", "type": optional_long, "default": None},
                {"name": "source", "type": source},
            ],
        }

    def _fast_insert(self, table: str, columns: tuple[Column, ...]) -> InsertFunction:
        """The record of an insert into ``table`` straight from its payload, as
        :meth:`_records` makes it (the stream takes :meth:`_records` where it gives none)."""
        return compile_insert(self._config.tables[table], table, columns)

    def _records(self, change: Change) -> Sequence[SourceRecord]:
        cached = self._converters.get(change.table)
        if cached is None or cached[0] is not change.columns:
            keys = tuple(column.name for column in change.columns if column.primary_key)
            cached = (change.columns, row_converter(change.columns), keys)
            self._converters[change.table] = cached
        _, convert, keys = cached
        try:
            if change.op == "u" and change.after is not None:
                for name, value in change.after.items():
                    if value is pgoutput.UNCHANGED_TOAST:
                        raise _MissingToast(name)
            before = None if change.before is None else convert(change.before)
            after = None if change.after is None else convert(change.after)
        except (ColumnConversionError, _MissingToast) as exc:
            self._context.dead_letter(change.table, str(exc), _raw(change))
            return []
        row = after if after is not None else before
        assert row is not None
        key: Any = None
        if len(keys) == 1:
            key = row[keys[0]]
        elif keys:
            key = {name: row[name] for name in keys}
        product = self._config.tables[change.table]
        if self._plain:
            return [
                SourceRecord(
                    product,
                    key,
                    after if change.op != "d" else None,
                    {},
                    change.commit_time_ms,
                    stream=change.table,
                )
            ]

        def record(value: Mapping[str, Any] | None) -> SourceRecord:
            return SourceRecord(product, key, value, {}, change.commit_time_ms, stream=change.table)

        schema_name, _, table_name = change.table.partition(".")
        event = {
            "before": before,
            "after": after,
            "op": change.op,
            "ts_ms": int(time.time() * 1000),
            "source": {
                "version": streammesh.__version__,
                "connector": "postgresql",
                "name": self._context.name,
                "ts_ms": change.commit_time_ms
                if change.commit_time_ms is not None
                else int(time.time() * 1000),
                "snapshot": change.snapshot,
                "db": self._stream.database,
                "schema": schema_name,
                "table": table_name,
                "txId": change.xid,
                "lsn": change.lsn,
            },
        }
        if change.op == "d":
            return [record(event), record(None)]
        return [record(event)]


class _MissingToast(Exception):
    def __init__(self, column: str) -> None:
        super().__init__(
            f"column '{column}': an update left this large (TOASTed) value unchanged and the "
            "server did not send it; set REPLICA IDENTITY FULL on the table to capture it"
        )


def _raw(change: Change) -> dict[str, Any]:
    return {
        "op": change.op,
        "before": dict(change.before) if change.before is not None else None,
        "after": {
            name: None if value is pgoutput.UNCHANGED_TOAST else value
            for name, value in change.after.items()
        }
        if change.after is not None
        else None,
    }


def create(config: Config, context: ConnectorContext) -> PostgresCdcSource:
    """The ``postgres-cdc`` source of a connector."""
    return PostgresCdcSource(config, context)
