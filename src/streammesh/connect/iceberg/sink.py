"""``IcebergSink``: products land in Apache Iceberg tables, one snapshot per flush.

Exactly once: every snapshot the sink commits carries, in its summary, the connector's name
(``streammesh.connector``) and the offsets its table's data covers
(``streammesh.offsets`` = ``{"topic": {"partition": next}}``). ``open`` walks each table's
snapshots back from the current one to the connector's last and returns those offsets; a record
below them is skipped by ``put``. The catalog's commit (one row update in its database) is the
atomic step: a crash before it leaves only unreferenced data files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import CommitFailedException, TableAlreadyExistsError, ValidationError
from pyiceberg.expressions import BooleanExpression, In
from pyiceberg.table import Table
from pyiceberg.table.snapshots import ancestors_of
from pyiceberg.transforms import DayTransform, HourTransform, Transform
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from streammesh.connect.base import ConnectorContext, SinkRecord
from streammesh.connect.iceberg.config import Config, Partitioning, Tombstones
from streammesh.connect.iceberg.errors import (
    CatalogUnavailable,
    IncompatibleSchemaChange,
    MissingKey,
    ReservedColumn,
)
from streammesh.connect.iceberg.layout import IcebergLayout, iceberg_layout

OFFSETS_PROPERTY = "streammesh.offsets"
"""Snapshot summary property: the offsets its table's data covers,
``{topic: {partition: next}}``."""
CONNECTOR_PROPERTY = "streammesh.connector"
"""Snapshot summary property: the connector that committed the snapshot."""
PRODUCT_PROPERTY = "streammesh.product"
"""Table property: the product the table lands."""

PARTITION_COLUMN = "_partition"
OFFSET_COLUMN = "_offset"
TIMESTAMP_COLUMN = "_timestamp"
_META_FIELDS = (
    pa.field(PARTITION_COLUMN, pa.int32(), nullable=False),
    pa.field(OFFSET_COLUMN, pa.int64(), nullable=False),
    pa.field(TIMESTAMP_COLUMN, pa.timestamp("us", tz="UTC"), nullable=False),
)
_META_NAMES = frozenset(meta.name for meta in _META_FIELDS)
_VERSION = re.compile(r"v\d+")
_TYPE_CHANGE = re.compile(
    r"Cannot change column type: (?P<field>[^:]+): (?P<old>.+) -> (?P<new>.+)"
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Offsets = dict[tuple[str, int], int]
_T = TypeVar("_T")


@dataclass(slots=True)
class _Landing:
    """One product's table and what is buffered for it."""

    table: Table
    name: str
    records: dict[int, IcebergLayout] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    deletes: set[Any] = field(default_factory=set)
    stored: Offsets = field(default_factory=dict)
    pending: Offsets = field(default_factory=dict)


class IcebergSink:
    """A sink task writing each product to its Iceberg table (see the module).

    Args:
        config: The connector's settings.
        context: What the worker gives the connector.
        catalog_url: The catalog database's SQLAlchemy URL (resolved default).
        warehouse: The warehouse folder (resolved default).
    """

    def __init__(
        self, config: Config, context: ConnectorContext, catalog_url: str, warehouse: Path
    ) -> None:
        self._config = config
        self._context = context
        self._catalog_url = catalog_url
        self._warehouse = warehouse
        self._catalog: Catalog | None = None
        self._landings: dict[str, _Landing] = {}
        self._stored_by_table: dict[str, Offsets] = {}
        self._next: Offsets = {}

    def open(self) -> Mapping[tuple[str, int], int]:
        """Connect to the catalog; the offsets every table's last snapshot by this connector
        covers."""
        self._warehouse.mkdir(parents=True, exist_ok=True)
        catalog = self._guarded(
            lambda: SqlCatalog(
                self._config.catalog_name,
                uri=self._catalog_url,
                warehouse=self._warehouse.resolve().as_uri(),
            )
        )
        self._catalog = catalog
        offsets: Offsets = {}
        try:
            for namespace in catalog.list_namespaces():
                for identifier in catalog.list_tables(namespace):
                    stored = stored_offsets(catalog.load_table(identifier), self._context.name)
                    if stored:
                        self._stored_by_table[".".join(identifier)] = stored
                        offsets.update(stored)
        except (SQLAlchemyError, CommitFailedException, OSError) as exc:
            raise CatalogUnavailable(self._context.name, self._url_text(), str(exc)) from exc
        self._next = dict(offsets)
        return offsets

    def put(self, records: Sequence[SinkRecord]) -> None:
        """Buffer records, skipping those a committed snapshot already covers."""
        for record in records:
            position = (record.topic, record.partition)
            if record.offset < self._next.get(position, 0):
                continue
            landing = self._landing(record)
            if record.value is not None:
                row = landing.records[record.schema_id].row(record.value)
                row[PARTITION_COLUMN] = record.partition
                row[OFFSET_COLUMN] = record.offset
                row[TIMESTAMP_COLUMN] = _EPOCH + dt.timedelta(milliseconds=record.timestamp_ms)
                landing.rows.append(row)
            elif self._config.tombstones is Tombstones.DELETE:
                self._tombstone(landing, record)
            landing.pending[position] = record.offset + 1
            self._next[position] = record.offset + 1

    def flush(self) -> Mapping[tuple[str, int], int]:
        """Commit one snapshot per table with buffered records; the offsets now durable."""
        for landing in self._landings.values():
            if landing.pending:
                self._commit(landing)
        durable: Offsets = {}
        for stored in self._stored_by_table.values():
            durable.update(stored)
        return durable

    def close(self) -> None:
        """Flush, then let go of the catalog; idempotent."""
        if self._catalog is None:
            return
        catalog = self._catalog
        try:
            self.flush()
        finally:
            self._catalog = None
            self._landings.clear()
            catalog.close()  # the SQLAlchemy engine's pooled connections

    # --- tables -------------------------------------------------------------------------

    def _landing(self, record: SinkRecord) -> _Landing:
        domain, short = _product_parts(record.product)
        landing = self._landings.get(f"{domain}.{short}")
        if landing is not None and record.schema_id in landing.records:
            return landing
        described = iceberg_layout(record.product, record.schema)
        for name in described.schema.names:
            if name in _META_NAMES:
                raise ReservedColumn(record.product, name)
        if landing is None:
            table = self._table(domain, short, described.schema)
            name = ".".join(table.name())
            landing = _Landing(table, name, stored=dict(self._stored_by_table.get(name, {})))
            self._landings[f"{domain}.{short}"] = landing
        _evolve(landing, described.schema)
        landing.records[record.schema_id] = described
        return landing

    def _table(self, domain: str, short: str, schema: pa.Schema) -> Table:
        catalog = self._catalog
        if catalog is None:
            raise CatalogUnavailable(self._context.name, self._url_text(), "open() was not called")
        namespace = self._config.namespace or domain
        name = self._config.tables.get(f"{domain}.{short}") or short.replace("-", "_")
        identifier = (namespace, name)
        self._guarded(lambda: catalog.create_namespace_if_not_exists(namespace))
        if self._guarded(lambda: catalog.table_exists(identifier)):
            return self._guarded(lambda: catalog.load_table(identifier))
        full = pa.schema([*schema, *_META_FIELDS])
        transform: Transform[Any, Any] | None = {
            Partitioning.DAY: DayTransform(),
            Partitioning.HOUR: HourTransform(),
        }.get(self._config.partition_by)
        try:
            # One commit creates the table with its partition spec: never a table without it.
            with catalog.create_table_transaction(
                identifier, schema=full, properties={PRODUCT_PROPERTY: f"{domain}.{short}"}
            ) as created:
                if transform is not None:
                    with created.update_spec() as spec:
                        spec.add_field(
                            TIMESTAMP_COLUMN, transform, f"{TIMESTAMP_COLUMN}_{transform}"
                        )
        except (TableAlreadyExistsError, CommitFailedException):
            # Created meanwhile by another task: use it.
            if not self._guarded(lambda: catalog.table_exists(identifier)):
                raise
        except (SQLAlchemyError, OSError) as exc:
            raise CatalogUnavailable(self._context.name, self._url_text(), str(exc)) from exc
        return self._guarded(lambda: catalog.load_table(identifier))

    def _tombstone(self, landing: _Landing, record: SinkRecord) -> None:
        key_field = self._config.key_field
        assert key_field is not None  # the config refuses tombstones: delete without it
        key = record.key.get(key_field) if isinstance(record.key, Mapping) else record.key
        if key is None:
            where = f"{record.topic}/{record.partition}@{record.offset}"
            raise MissingKey(landing.name, key_field, where)
        convert = landing.records[record.schema_id].converters.get(key_field)
        key = convert(key) if convert is not None else key
        landing.rows = [row for row in landing.rows if row.get(key_field) != key]
        landing.deletes.add(key)

    def _commit(self, landing: _Landing) -> None:
        covered = {**landing.stored, **landing.pending}
        properties = {
            CONNECTOR_PROPERTY: self._context.name,
            OFFSETS_PROPERTY: _offsets_json(covered),
        }
        table = landing.table
        data = pa.Table.from_pylist(landing.rows, schema=table.schema().as_arrow())
        try:
            with table.transaction() as transaction:
                if landing.deletes and self._config.key_field is not None:
                    with warnings.catch_warnings():
                        # "Delete operation did not match any records": a key never landed.
                        warnings.simplefilter("ignore", UserWarning)
                        transaction.delete(
                            _in(self._config.key_field, landing.deletes),
                            snapshot_properties=properties,
                        )
                # Appended even when empty: the snapshot carries the offsets.
                transaction.append(data, snapshot_properties=properties)
        except (SQLAlchemyError, CommitFailedException, OSError) as exc:
            raise CatalogUnavailable(self._context.name, self._url_text(), str(exc)) from exc
        landing.stored = covered
        landing.pending = {}
        landing.rows = []
        landing.deletes = set()
        self._stored_by_table[landing.name] = dict(covered)

    # --- errors -------------------------------------------------------------------------

    def _url_text(self) -> str:
        try:
            return make_url(self._catalog_url).render_as_string(hide_password=True)
        except Exception:
            return "(the catalog URL)"

    def _guarded(self, call: Callable[[], _T]) -> _T:
        try:
            result = call()
        except (SQLAlchemyError, CommitFailedException, OSError) as exc:
            raise CatalogUnavailable(self._context.name, self._url_text(), str(exc)) from exc
        return result


def stored_offsets(table: Table, connector: str) -> Offsets:
    """The offsets of the latest snapshot ``connector`` committed to ``table`` (empty if none).

    Snapshots of other writers (a compaction, another connector) are walked past: the data the
    connector committed is still in the table.
    """
    for snapshot in ancestors_of(table.current_snapshot(), table.metadata):
        summary = snapshot.summary
        properties = summary.additional_properties if summary is not None else {}
        if properties.get(CONNECTOR_PROPERTY) == connector and OFFSETS_PROPERTY in properties:
            stored = json.loads(properties[OFFSETS_PROPERTY])
            return {
                (topic, int(partition)): int(next_offset)
                for topic, partitions in stored.items()
                for partition, next_offset in partitions.items()
            }
    return {}


def _in(column: str, values: set[Any]) -> BooleanExpression:
    # pyiceberg's In is a pydantic model whose __new__ takes (term, literals); mypy sees
    # only the model's fields.
    return cast(BooleanExpression, cast(Any, In)(column, values))


def _offsets_json(offsets: Offsets) -> str:
    nested: dict[str, dict[str, int]] = {}
    for (topic, partition), next_offset in sorted(offsets.items()):
        nested.setdefault(topic, {})[str(partition)] = next_offset
    return json.dumps(nested, separators=(",", ":"), sort_keys=True)


def _product_parts(product: str) -> tuple[str, str]:
    """``shop.orders.v1`` → (``shop``, ``orders``)."""
    parts = product.split(".")
    if len(parts) > 2 and _VERSION.fullmatch(parts[-1]):
        parts = parts[:-1]
    return parts[0], ".".join(parts[1:]) or parts[0]


def _evolve(landing: _Landing, schema: pa.Schema) -> None:
    """Bring the table's schema to ``schema``'s columns: add new ones (optional: older rows
    lack them), widen types Iceberg can widen, make columns the schema dropped optional.

    Raises:
        IncompatibleSchemaChange: A column's type changes in a way Iceberg cannot widen.
    """
    table = landing.table
    current = {column.name: column for column in table.schema().as_arrow()}
    target: list[pa.Field] = []
    changed = False
    for column in schema:
        existing = current.get(column.name)
        if existing is None:
            target.append(column.with_nullable(True))
            changed = True
            continue
        kept, widened = _merge_type(landing.name, column.name, existing.type, column.type)
        nullable = existing.nullable or column.nullable
        target.append(pa.field(column.name, kept, nullable=nullable))
        changed = changed or widened or nullable != existing.nullable
    dropped = [
        name
        for name, column in current.items()
        if name not in schema.names and name not in _META_NAMES and not column.nullable
    ]
    if not changed and not dropped:
        return
    try:
        with table.update_schema() as update:
            update.union_by_name(pa.schema(target))
            for name in dropped:
                update.make_column_optional(name)
    except ValidationError as exc:
        match = _TYPE_CHANGE.search(str(exc))
        if match is None:
            raise IncompatibleSchemaChange(landing.name, "(nested)", "?", str(exc)) from exc
        raise IncompatibleSchemaChange(
            landing.name, match["field"], match["old"], match["new"]
        ) from exc


def _merge_type(
    table: str, name: str, old: pa.DataType, new: pa.DataType
) -> tuple[pa.DataType, bool]:
    """The column's type after ``new`` arrives, and whether the table must change for it."""
    old_flat, new_flat = _small(old), _small(new)
    if old_flat.equals(new_flat):
        return old, False
    if pa.types.is_nested(old_flat) and pa.types.is_nested(new_flat):
        # Structs, lists and maps: pyiceberg's union compares them member by member.
        return new, True
    if _widens(new_flat, old_flat):
        return old, False  # the table's column already holds the narrower values
    if _widens(old_flat, new_flat):
        return new, True
    raise IncompatibleSchemaChange(table, name, _iceberg_name(old_flat), _iceberg_name(new_flat))


def _widens(narrow: pa.DataType, wide: pa.DataType) -> bool:
    if pa.types.is_int32(narrow) and pa.types.is_int64(wide):
        return True
    if pa.types.is_float32(narrow) and pa.types.is_float64(wide):
        return True
    return bool(
        pa.types.is_decimal(narrow)
        and pa.types.is_decimal(wide)
        and narrow.scale == wide.scale
        and narrow.precision <= wide.precision
    )


def _small(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(kind):
        return pa.string()
    if pa.types.is_large_binary(kind):
        return pa.binary()
    return kind


_ICEBERG_NAMES = {"int32": "int", "int64": "long", "float": "float", "double": "double"}


def _iceberg_name(kind: pa.DataType) -> str:
    text = str(kind)
    if pa.types.is_timestamp(kind):
        return "timestamptz" if kind.tz else "timestamp"
    return _ICEBERG_NAMES.get(text, text)
