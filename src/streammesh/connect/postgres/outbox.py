"""``kind: outbox``: the transactional outbox on PostgreSQL, read by change data capture.

An application writes its business change and an outbox row in ONE transaction; this source
publishes each outbox row, in commit order, as an event of the product its aggregate type
names — Debezium's outbox event router semantics:

- ``aggregatetype`` → the product (through ``products``; a type without a product goes to
  the dead letters);
- ``aggregateid`` → the event's key;
- ``payload`` (a JSON object) → the event's fields; a NULL payload → a tombstone;
- ``id`` and ``type`` → the headers ``id`` and ``type``, with the JSON object of the optional
  ``headers`` column added.

Updates and deletes of outbox rows are not events. Once the worker says an event is on its
product (``committed``), its row is deleted (``remove: delete``) or its ``mark_column`` set
(``remove: mark``: ``now()`` for a timestamp column, ``true`` for a boolean). A restart
replays the slot from its last confirmed point: rows the product already holds are removed
then, not published again, so each row is published exactly once.

```yaml
name: orders-outbox
kind: outbox
principal: orders-outbox-sa
config:
  url: ${ORDERS_DB_URL}
  table: public.outbox
  products: {Order: shop.order-events, Customer: crm.customer-events}
  remove: delete
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal, Self

from psycopg2 import sql
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from streammesh.connect import outbox_polling
from streammesh.connect.base import ConnectorContext, Position, SourceRecord
from streammesh.connect.outbox_polling import OutboxPollingSource
from streammesh.connect.postgres.cdc import SnapshotMode
from streammesh.connect.postgres.replication import (
    Change,
    ChangeStream,
    StreamSettings,
    position_order,
)
from streammesh.connect.postgres.settings import (
    TABLE_PATTERN,
    default_object_name,
    libpq_url,
    qualified_table,
)

__all__ = ["KIND", "ROLE", "Config", "OutboxFields", "OutboxSource", "Removal", "create"]

KIND = "outbox"
ROLE: Literal["source"] = "source"

_COLUMN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class Removal(StrEnum):
    """What becomes of an outbox row once its event is on the product."""

    DELETE = "delete"
    MARK = "mark"


class OutboxFields(BaseModel):
    """The outbox table's column names (Debezium's defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default="id", pattern=_COLUMN, description="The event's unique id (header id).")
    aggregatetype: str = Field(
        default="aggregatetype", pattern=_COLUMN, description="Routes the event to a product."
    )
    aggregateid: str = Field(default="aggregateid", pattern=_COLUMN, description="The event's key.")
    type: str = Field(
        default="type", pattern=_COLUMN, description="The event's type (header type)."
    )
    payload: str = Field(default="payload", pattern=_COLUMN, description="The event's JSON fields.")
    headers: str | None = Field(
        default=None, pattern=_COLUMN, description="Optional JSON object column of extra headers."
    )


class Config(BaseModel):
    """The ``config:`` block of an ``outbox`` connector."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr = Field(
        description="The database URL, usually ${ENV_VAR}; the user needs the REPLICATION "
        "attribute, SELECT and DELETE (or UPDATE, to mark) on the outbox table."
    )
    table: str = Field("public.outbox", description="The outbox table (schema.table).")
    products: dict[str, str] = Field(
        min_length=1, description="Aggregate type → the product its events go to."
    )
    columns: OutboxFields = Field(
        default_factory=lambda: OutboxFields(), description="The outbox table's column names."
    )
    remove: Removal = Field(Removal.DELETE, description="delete or mark published rows.")
    mark_column: str | None = Field(
        None,
        pattern=_COLUMN,
        description="With remove: mark, the nullable timestamp (set to now()) or boolean "
        "(set to true) column marking published rows; marked rows are not snapshotted.",
    )
    slot: str | None = Field(None, pattern=r"^[a-z0-9_]{1,63}$")
    publication: str | None = Field(None, pattern=r"^[A-Za-z0-9_]{1,63}$")
    snapshot: SnapshotMode = Field(
        SnapshotMode.INITIAL,
        description="initial: publish the rows already waiting in the outbox first.",
    )
    batch_size: int = Field(2000, ge=1, le=100_000)

    @field_validator("table")
    @classmethod
    def _table(cls, table: str) -> str:
        if not TABLE_PATTERN.match(table):
            raise ValueError(f"'{table}' is not a table name (schema.table or table)")
        return qualified_table(table)

    @model_validator(mode="after")
    def _mark_needs_column(self) -> Self:
        if self.remove is Removal.MARK and self.mark_column is None:
            raise ValueError("remove: mark needs mark_column (the column that marks a row)")
        return self


class OutboxSource:
    """The running source (see the module)."""

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self._config = config
        self._context = context
        name = default_object_name(context.name)
        filters = {}
        if config.mark_column is not None:
            filters[config.table] = _unmarked(config.mark_column)
        self._stream = ChangeStream(
            StreamSettings(
                connector=context.name,
                dsn=libpq_url(config.url),
                tables=(config.table,),
                slot=config.slot or name,
                publication=config.publication or name,
                snapshot=config.snapshot is SnapshotMode.INITIAL,
                snapshot_filters=filters,
                rewind=True,
                batch_size=config.batch_size,
                state_dir=context.state_dir,
                required_columns={config.table: _required(config)},
            ),
            self._records,
            self._already_written,
        )
        self._pending: list[tuple[tuple[int, int, int], str]] = []

    def start(self, position: Position | None) -> None:
        """Connect; publish waiting rows first when ``position`` is ``None``, else resume
        after it (removing the rows of events already on their products)."""
        self._stream.start(position)

    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        """The next outbox events in commit order."""
        records = self._stream.poll(timeout)
        self._pending.extend((position_order(r.position), r.headers["id"]) for r in records)
        return records

    def committed(self, position: Position) -> None:
        """Remove (or mark) the rows of events up to ``position``, then confirm the slot."""
        limit = position_order(position)
        done = [row_id for order, row_id in self._pending if order <= limit]
        self._pending = [(order, row_id) for order, row_id in self._pending if order > limit]
        self._remove(done)
        self._stream.confirm(position)

    def schemas(self) -> Mapping[str, str]:
        """Nothing: an outbox's payload has no columns; the products' contracts say what
        their events hold (and the worker checks each event against them)."""
        return {}

    def close(self) -> None:
        """Close the connections; idempotent."""
        self._stream.close()

    def _already_written(self, records: Sequence[SourceRecord]) -> None:
        self._remove([record.headers["id"] for record in records])

    def _remove(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        fields = self._config.columns
        id_column = next(
            column
            for column in self._stream.columns(self._config.table)
            if column.name == fields.id
        )
        table = sql.Identifier(*self._config.table.split(".", 1))
        match = sql.SQL("{} = ANY(%s::{}[])").format(
            sql.Identifier(fields.id), sql.Identifier(id_column.sql_type)
        )
        if self._config.remove is Removal.DELETE:
            statement = sql.SQL("DELETE FROM {} WHERE {}").format(table, match)
        else:
            assert self._config.mark_column is not None
            mark = next(
                column
                for column in self._stream.columns(self._config.table)
                if column.name == self._config.mark_column
            )
            value = sql.SQL("true" if mark.sql_type == "bool" else "now()")
            statement = sql.SQL("UPDATE {} SET {} = {} WHERE {}").format(
                table, sql.Identifier(mark.name), value, match
            )
        self._stream.execute(statement, (list(ids),))

    def _records(self, change: Change) -> Sequence[SourceRecord]:
        if change.op not in ("r", "c") or change.after is None:
            return []
        fields = self._config.columns
        row = change.after
        raw = {name: value for name, value in row.items() if isinstance(value, str | None)}
        kind = row.get(fields.aggregatetype)
        product = self._config.products.get(str(kind))
        if product is None:
            self._context.dead_letter(
                change.table, f"no product for aggregate type {kind!r} (see products)", raw
            )
            return []
        try:
            value = _payload(row.get(fields.payload))
            headers = {"id": str(row[fields.id]), "type": str(row.get(fields.type) or "")}
            if fields.headers is not None and row.get(fields.headers) is not None:
                extra = json.loads(str(row[fields.headers]))
                if not isinstance(extra, dict):
                    raise ValueError(f"column '{fields.headers}' is not a JSON object")
                headers |= {str(name): str(text) for name, text in extra.items()}
        except (ValueError, KeyError) as exc:
            self._context.dead_letter(change.table, str(exc), raw)
            return []
        return [
            SourceRecord(
                product,
                row.get(fields.aggregateid),
                value,
                {},
                change.commit_time_ms,
                headers,
                change.table,
            )
        ]


def _payload(text: Any) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(str(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the payload is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("the payload is not a JSON object")
    return value


def _required(config: Config) -> tuple[str, ...]:
    fields = config.columns
    named = (fields.id, fields.aggregatetype, fields.aggregateid, fields.type, fields.payload)
    optional = (fields.headers, config.mark_column)
    return (*named, *(column for column in optional if column is not None))


def _unmarked(column: str) -> str:
    return f'"{column}" IS NULL OR "{column}"::text = \'false\''


def create(config: Config, context: ConnectorContext) -> OutboxSource | OutboxPollingSource:
    """The ``outbox`` source of a connector: change data capture on PostgreSQL; polling on
    SQLite (a ``sqlite:///`` url, see :mod:`streammesh.connect.outbox_polling`)."""
    if outbox_polling.is_sqlite(config.url):
        settings = outbox_polling.Config.from_outbox(config.model_dump(exclude_unset=True))
        return outbox_polling.create(settings, context)
    return OutboxSource(config, context)
