"""The Iceberg sink on real pyiceberg: a SQL catalog in a SQLite file (and once in
PostgreSQL), a warehouse folder, DuckDB reading what it wrote."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table
from pyiceberg.transforms import DayTransform

from streammesh.connect import ConnectorContext, SinkRecord
from streammesh.connect.iceberg import (
    OFFSETS_PROPERTY,
    CatalogUnavailable,
    Config,
    IcebergSink,
    IncompatibleSchemaChange,
    NoCatalogGiven,
    UnsupportedAvroType,
    create,
)

TOPIC = "shop.orders.v1"
FIELDS_V1: list[dict[str, Any]] = [
    {"name": "order_id", "type": "long"},
    {"name": "customer", "type": "string"},
    {
        "name": "amount",
        "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
    },
    {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
]
NOTE = {"name": "note", "type": ["null", "string"], "default": None}


def avro(fields: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": fields})


SCHEMA_V1 = avro(FIELDS_V1)
SCHEMA_V2 = avro([*FIELDS_V1, NOTE])
DAY = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def order(
    offset: int,
    *,
    partition: int = 0,
    schema: str = SCHEMA_V1,
    schema_id: int = 1,
    extra: Mapping[str, Any] | None = None,
    tombstone_of: int | None = None,
) -> SinkRecord:
    order_id = partition * 1000 + offset
    value = {
        "order_id": order_id,
        "customer": f"c{order_id}",
        "amount": Decimal(order_id) / 4,
        "placed_at": DAY + dt.timedelta(hours=offset),
        "ref": uuid.UUID(int=order_id),
        **(extra or {}),
    }
    return SinkRecord(
        product="shop.orders.v1",
        topic=TOPIC,
        partition=partition,
        offset=offset,
        key=order_id if tombstone_of is None else tombstone_of,
        value=None if tombstone_of is not None else value,
        timestamp_ms=int((DAY + dt.timedelta(days=offset // 10)).timestamp() * 1000),
        schema_id=schema_id,
        schema=schema,
    )


@pytest.fixture
def mesh(tmp_path: Path) -> Path:
    return tmp_path / "mesh"


def context(mesh: Path, name: str = "orders-lake") -> ConnectorContext:
    state = mesh / "connect" / name
    state.mkdir(parents=True, exist_ok=True)
    return ConnectorContext(name=name, state_dir=state, dead_letter=lambda *_: None)


def sink(mesh: Path, name: str = "orders-lake", **settings: Any) -> IcebergSink:
    config = Config.model_validate(
        {"catalog_url": f"sqlite:///{mesh / 'meta.db'}", "warehouse": mesh / "wh", **settings}
    )
    task = create(config, context(mesh, name))
    assert isinstance(task, IcebergSink)
    return task


def load(mesh: Path, identifier: str = "shop.orders") -> Table:
    catalog = SqlCatalog(
        "streammesh", uri=f"sqlite:///{mesh / 'meta.db'}", warehouse=(mesh / "wh").as_uri()
    )
    return catalog.load_table(identifier)


@pytest.fixture
def opened(mesh: Path) -> Iterator[IcebergSink]:
    task = sink(mesh)
    task.open()
    yield task
    task.close()


def test_each_flush_appends_one_snapshot_that_duckdb_reads(mesh: Path, opened: IcebergSink) -> None:
    opened.put([order(0), order(1), order(0, partition=1)])
    assert opened.flush() == {(TOPIC, 0): 2, (TOPIC, 1): 1}
    opened.put([order(2), order(3)])
    assert opened.flush() == {(TOPIC, 0): 4, (TOPIC, 1): 1}
    assert opened.flush() == {(TOPIC, 0): 4, (TOPIC, 1): 1}  # nothing new: no snapshot

    table = load(mesh)
    assert [s.summary.operation.value for s in table.snapshots() if s.summary] == [
        "append",
        "append",
    ]
    rows = table.scan().to_arrow().sort_by("order_id").to_pylist()
    assert [row["order_id"] for row in rows] == [0, 1, 2, 3, 1000]
    assert rows[1]["amount"] == Decimal("0.25")
    assert rows[1]["placed_at"] == DAY + dt.timedelta(hours=1)
    assert rows[1]["ref"] == str(uuid.UUID(int=1))
    assert (rows[1]["_partition"], rows[1]["_offset"]) == (0, 1)

    # DuckDB's iceberg extension cannot be installed offline here: DuckDB reads the data
    # files of the table's current snapshot (the files pyiceberg's scan plans) as Parquet.
    files = [task.file.file_path.removeprefix("file://") for task in table.scan().plan_files()]
    got = duckdb.sql(
        "SELECT order_id, customer, amount, placed_at, _offset "
        f"FROM read_parquet({files!r}) ORDER BY order_id"
    ).fetchall()
    assert [row[0] for row in got] == [0, 1, 2, 3, 1000]
    assert got[1][2] == Decimal("0.25")
    assert got[1][3] == DAY + dt.timedelta(hours=1)


def test_offsets_round_trip_and_a_replay_is_skipped(mesh: Path, opened: IcebergSink) -> None:
    opened.put([order(0), order(1), order(2), order(0, partition=1)])
    opened.flush()
    opened.close()

    again = sink(mesh)
    assert again.open() == {(TOPIC, 0): 3, (TOPIC, 1): 1}
    again.put([order(1), order(2), order(3), order(0, partition=1), order(1, partition=1)])
    again.flush()
    again.close()
    assert sink(mesh, name="another-lake").open() == {}

    offsets = [
        (row["_partition"], row["_offset"])
        for row in load(mesh).scan(selected_fields=("_partition", "_offset")).to_arrow().to_pylist()
    ]
    assert sorted(offsets) == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1)]
    summary = load(mesh).current_snapshot().summary  # type: ignore[union-attr]
    assert json.loads(summary.additional_properties[OFFSETS_PROPERTY]) == {TOPIC: {"0": 4, "1": 2}}


def test_tables_are_partitioned_by_day_of_the_event_time(mesh: Path, opened: IcebergSink) -> None:
    opened.put([order(offset) for offset in range(25)])
    opened.flush()
    table = load(mesh)
    (field,) = table.spec().fields
    assert isinstance(field.transform, DayTransform)
    days = {task.file.partition[0] for task in table.scan().plan_files()}
    assert len(days) == 3  # offsets 0-9, 10-19, 20-24 are a day apart


def test_no_partitioning_when_asked(mesh: Path) -> None:
    task = sink(mesh, partition_by="none")
    task.open()
    task.put([order(0), order(10)])
    task.flush()
    assert load(mesh).spec().fields == ()


def test_a_compatible_schema_change_adds_a_column(mesh: Path, opened: IcebergSink) -> None:
    opened.put([order(0)])
    opened.flush()
    ids_before = {f.name: f.field_id for f in load(mesh).schema().fields}

    opened.put([order(1, schema=SCHEMA_V2, schema_id=2, extra={"note": "gift"}), order(2)])
    opened.flush()

    table = load(mesh)
    assert table.schema().find_field("note").required is False
    assert {f.name: f.field_id for f in table.schema().fields if f.name != "note"} == ids_before
    rows = table.scan().to_arrow().sort_by("order_id").to_pylist()
    assert [(row["order_id"], row["note"]) for row in rows] == [(0, None), (1, "gift"), (2, None)]


def test_an_incompatible_schema_change_is_refused_naming_the_column(
    mesh: Path, opened: IcebergSink
) -> None:
    opened.put([order(0)])
    opened.flush()
    changed = [dict(f, type="long") if f["name"] == "customer" else f for f in FIELDS_V1]
    with pytest.raises(IncompatibleSchemaChange) as caught:
        opened.put([order(1, schema=avro(changed), schema_id=3, extra={"customer": 7})])
    assert caught.value.field == "customer"
    assert "'customer'" in str(caught.value) and "'shop.orders'" in str(caught.value)
    table = load(mesh)
    assert table.schema().find_field("customer").field_type.__str__() == "string"
    assert len(table.snapshots()) == 1


def test_tombstones_delete_by_key_when_configured(mesh: Path) -> None:
    task = sink(mesh, tombstones="delete", key_field="order_id")
    task.open()
    task.put([order(0), order(1), order(2)])
    task.flush()
    # A tombstone for order 1 (committed earlier) and for order 3 (put in the same batch).
    task.put([order(3), order(4, tombstone_of=1), order(5, tombstone_of=3), order(6)])
    task.put([order(7, tombstone_of=99)])  # order 99 never landed: nothing to delete
    assert task.flush() == {(TOPIC, 0): 8}
    ids = sorted(load(mesh).scan().to_arrow().column("order_id").to_pylist())
    assert ids == [0, 2, 6]


def test_tombstones_are_skipped_by_default(mesh: Path, opened: IcebergSink) -> None:
    opened.put([order(0), order(1), order(2, tombstone_of=0)])
    assert opened.flush() == {(TOPIC, 0): 3}
    assert len(load(mesh).scan().to_arrow()) == 2


def test_the_catalog_defaults_to_the_mesh_store_and_warehouse(mesh: Path) -> None:
    state = mesh / "connect" / "orders-lake"
    state.mkdir(parents=True)
    given = ConnectorContext(
        "orders-lake",
        state,
        lambda *_: None,
        mesh_home=mesh,
        store_url=f"sqlite:///{mesh / 'meta.db'}",
    )
    task = create(Config(), given)
    task.open()
    task.put([order(0)])
    task.flush()
    with sqlite3.connect(mesh / "meta.db") as db:
        tables = db.execute("SELECT table_namespace, table_name FROM iceberg_tables").fetchall()
    assert tables == [("shop", "orders")]
    assert (mesh / "warehouse" / "shop").is_dir()


def test_outside_a_mesh_worker_the_catalog_and_warehouse_must_be_given(mesh: Path) -> None:
    with pytest.raises(NoCatalogGiven, match=r"set config\.catalog_url and config\.warehouse"):
        create(Config(), context(mesh))
    with pytest.raises(NoCatalogGiven, match=r"set config\.warehouse$"):
        create(Config.model_validate({"catalog_url": "sqlite:///x.db"}), context(mesh))


def test_a_catalog_in_postgresql(mesh: Path, postgres_url: str) -> None:
    config = Config.model_validate({"catalog_url": postgres_url, "warehouse": mesh / "wh"})
    task = create(config, context(mesh))
    assert task.open() == {}
    task.put([order(0), order(1)])
    task.flush()
    task.close()
    again = create(config, context(mesh))
    assert again.open() == {(TOPIC, 0): 2}
    again.close()


RICH = avro(
    [
        {"name": "order_id", "type": "long"},
        {"name": "at_time", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {
            "name": "shipping",
            "type": {
                "type": "record",
                "name": "Shipping",
                "fields": [
                    {"name": "due", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                    {"name": "lines", "type": {"type": "array", "items": "string"}},
                ],
            },
        },
        {"name": "tags", "type": {"type": "map", "values": "long"}},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
    ]
)


def test_nested_and_temporal_types_land_in_iceberg_units(mesh: Path) -> None:
    task = sink(mesh, partition_by="hour")
    task.open()
    value = {
        "order_id": 1,
        "at_time": dt.time(9, 30, 15, 250_000),
        "local": dt.datetime(2026, 12, 7, 9, 30),
        "shipping": {"due": DAY, "lines": ["a", "b"]},
        "tags": {"gift": 1},
        "day": None,
    }
    record = SinkRecord("shop.orders.v1", TOPIC, 0, 0, 1, value, 0, 9, RICH)
    task.put([record])
    task.flush()
    table = load(mesh)
    assert str(table.schema().find_field("at_time").field_type) == "time"
    assert str(table.schema().find_field("shipping.due").field_type) == "timestamptz"
    assert str(table.spec().fields[0].transform) == "hour"
    (row,) = table.scan().to_arrow().to_pylist()
    assert row["at_time"] == dt.time(9, 30, 15, 250_000)
    assert row["local"] == dt.datetime(2026, 12, 7, 9, 30)
    assert row["shipping"] == {"due": DAY, "lines": ["a", "b"]}
    assert row["tags"] == [("gift", 1)]
    assert row["day"] is None


def test_a_decimal_iceberg_cannot_hold_is_refused_naming_the_field(mesh: Path) -> None:
    wide = {"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": 2}
    task = sink(mesh)
    task.open()
    record = order(0, schema=avro([{"name": "total", "type": wide}]), extra={"total": 1})
    with pytest.raises(UnsupportedAvroType, match="'total'"):
        task.put([record])
    task.close()
    assert not (mesh / "wh" / "shop").exists()


def test_an_unreachable_catalog_is_named_without_its_password(mesh: Path) -> None:
    url = "postgresql+psycopg://lake:s3cret-pw@127.0.0.1:9/catalog"
    task = create(
        Config.model_validate({"catalog_url": url, "warehouse": mesh / "wh"}), context(mesh)
    )
    with pytest.raises(CatalogUnavailable) as caught:
        task.open()
    assert "127.0.0.1:9/catalog" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(Config.model_validate({"catalog_url": url}))
