"""The table sink on real SQLite files and a real PostgreSQL database: tables created from
the schema, upsert and delete by key, append, schema evolution, offsets read back."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from streammesh.connect.base import ConnectorContext, SinkRecord
from streammesh.connect.tables import Config, TableSink
from streammesh.connect.tables.errors import IncompatibleTableChange

T0 = int(datetime(2026, 12, 7, 10, 5, tzinfo=UTC).timestamp() * 1000)
CUSTOMERS = "shop.customers.v1"
VIEWS = "web.page-views.v1"
FIELDS: list[dict[str, Any]] = [
    {"name": "customer_id", "type": "string"},
    {"name": "name", "type": "string"},
    {
        "name": "balance",
        "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
    },
    {"name": "seen_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "born", "type": ["null", {"type": "int", "logicalType": "date"}], "default": None},
    {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
    {
        "name": "address",
        "type": {
            "type": "record",
            "name": "Address",
            "fields": [{"name": "city", "type": "string"}],
        },
    },
]


def _schema(*extra: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "Customer", "fields": [*FIELDS, *extra]})


def _dead_letter(stream: str, reason: str, raw: Mapping[str, Any]) -> None:
    raise AssertionError(reason)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sink.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        return connection.execute(sql).fetchall()  # type: ignore[arg-type]


def _sink(url: str, **config: Any) -> TableSink:
    sink = TableSink(
        Config.model_validate({"url": url, **config}),
        ConnectorContext("customers-db", Path("/nonexistent"), _dead_letter),
    )
    sink.open()
    return sink


def _customer(n: int, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": f"c{n}",
        "name": name,
        "balance": Decimal("12.34") + n,
        "seen_at": datetime.fromtimestamp(T0 / 1000, tz=UTC),
        "born": date(1990, 1, n + 1),
        "ref": uuid.UUID(int=n),
        "address": {"city": f"city {n}"},
        **extra,
    }


def _record(
    offset: int,
    value: Mapping[str, Any] | None,
    *,
    key: str = "c0",
    product: str = CUSTOMERS,
    schema: str | None = None,
    schema_id: int = 1,
    partition: int = 0,
) -> SinkRecord:
    return SinkRecord(
        product, product, partition, offset, key, value, T0, schema_id, schema or _schema()
    )


def test_a_state_product_is_upserted_by_key_and_deleted_on_tombstone(url: str) -> None:
    sink = _sink(url, products={CUSTOMERS: {"key": "customer_id", "table": "customers"}})
    sink.put(
        [
            _record(0, _customer(0, "Robert"), key="c0"),
            _record(1, _customer(1, "Alice"), key="c1"),
            _record(2, _customer(0, "Bob"), key="c0"),
            _record(3, _customer(2, "Carol"), key="c2"),
            _record(4, None, key="c1"),
        ]
    )
    assert sink.flush() == {(CUSTOMERS, 0): 5}
    sink.put([_record(5, _customer(0, "Robert"), key="c0"), _record(6, None, key="c2")])
    sink.close()

    rows = _rows(url, "SELECT customer_id, name, balance, born, ref, address FROM customers")
    assert len(rows) == 1
    customer_id, name, balance, born, ref, address = rows[0]
    assert (customer_id, name) == ("c0", "Robert")
    assert Decimal(str(balance)) == Decimal("12.34")
    assert str(born) == "1990-01-01"
    assert str(ref) == str(uuid.UUID(int=0))
    assert (json.loads(address) if isinstance(address, str) else address) == {"city": "city 0"}


def test_other_products_are_appended_and_tombstones_skipped(url: str) -> None:
    sink = _sink(url)
    sink.put(
        [
            _record(0, _customer(0, "a"), product=VIEWS),
            _record(1, _customer(0, "a"), product=VIEWS),
            _record(2, None, product=VIEWS),
        ]
    )
    sink.close()
    assert _rows(url, "SELECT name FROM web_page_views_v1") == [("a",), ("a",)]


def test_offsets_are_stored_with_the_rows_and_replays_are_skipped(url: str) -> None:
    sink = _sink(url, products={"shop.customers": {"table": "log"}}, batch_size=2)
    sink.put([_record(n, _customer(n, f"n{n}")) for n in range(3)])
    # two rows went in a transaction of their own (batch_size), the third waits
    assert _rows(url, "SELECT count(*) FROM log") == [(2,)]
    assert _rows(url, "SELECT next_offset FROM streammesh_sink_offsets") == [(2,)]
    sink.put([_record(0, _customer(0, "p1"), partition=1)])
    sink.close()

    again = TableSink(
        Config.model_validate({"url": url, "products": {"shop.customers": {"table": "log"}}}),
        ConnectorContext("customers-db", Path("/nonexistent"), _dead_letter),
    )
    assert again.open() == {(CUSTOMERS, 0): 3, (CUSTOMERS, 1): 1}
    again.put([_record(n, _customer(n, f"n{n}")) for n in range(5)])
    again.close()
    assert _rows(url, "SELECT name FROM log ORDER BY name") == [
        ("n0",),
        ("n1",),
        ("n2",),
        ("n3",),
        ("n4",),
        ("p1",),
    ]
    assert _rows(
        url, "SELECT count(*) FROM streammesh_sink_offsets WHERE connector = 'customers-db'"
    ) == [(2,)]


def test_a_new_optional_field_adds_a_nullable_column(url: str) -> None:
    sink = _sink(url, products={CUSTOMERS: {"key": "customer_id", "table": "customers"}})
    sink.put([_record(0, _customer(0, "Robert"))])
    sink.flush()
    v2 = _schema({"name": "tier", "type": ["null", "string"], "default": None})
    sink.put([_record(1, _customer(1, "Alice", tier="gold"), key="c1", schema=v2, schema_id=2)])
    sink.close()
    assert _rows(url, "SELECT customer_id, tier FROM customers ORDER BY customer_id") == [
        ("c0", None),
        ("c1", "gold"),
    ]


def test_an_incompatible_change_stops_with_a_clear_error(url: str) -> None:
    sink = _sink(url, products={CUSTOMERS: {"key": "customer_id", "table": "customers"}})
    sink.put([_record(0, _customer(0, "Robert"))])
    sink.flush()
    changed = json.dumps(
        {
            "type": "record",
            "name": "Customer",
            "fields": [*FIELDS[:1], {"name": "name", "type": "long"}, *FIELDS[2:]],
        }
    )
    with pytest.raises(IncompatibleTableChange, match=r"table 'customers', column 'name'"):
        sink.put([_record(1, {**_customer(1, "x"), "name": 5}, schema=changed, schema_id=2)])
    required = _schema({"name": "tier", "type": "string"})
    with pytest.raises(IncompatibleTableChange, match=r"column 'tier'.*required"):
        sink.put([_record(1, _customer(1, "x", tier="a"), schema=required, schema_id=3)])
    sink.close()
    assert _rows(url, "SELECT count(*) FROM customers") == [(1,)]


def test_a_row_the_database_refuses_goes_to_the_dead_letters(url: str) -> None:
    letters: list[tuple[str, str, Mapping[str, Any]]] = []
    sink = TableSink(
        Config.model_validate(
            {"url": url, "products": {CUSTOMERS: {"key": "customer_id", "table": "customers"}}}
        ),
        ConnectorContext(
            "customers-db",
            Path("/nonexistent"),
            lambda stream, reason, raw: letters.append((stream, reason, raw)),
        ),
    )
    sink.open()
    no_key = {**_customer(1, "Nobody"), "customer_id": None}
    sink.put(
        [
            _record(0, _customer(0, "Robert")),
            _record(1, no_key, key=None),
            _record(2, _customer(2, "Carol"), key="c2"),
        ]
    )  # type: ignore[arg-type]
    assert sink.flush() == {(CUSTOMERS, 0): 3}
    sink.close()

    assert _rows(url, "SELECT customer_id FROM customers ORDER BY customer_id") == [
        ("c0",),
        ("c2",),
    ]
    [(stream, reason, raw)] = letters
    assert stream == CUSTOMERS and "offset 1" in reason
    assert raw == {"topic": CUSTOMERS, "partition": 0, "offset": 1}


def test_an_int_field_promoted_to_long_widens_its_column(url: str) -> None:
    counted = _schema({"name": "visits", "type": "int"})
    sink = _sink(url, products={CUSTOMERS: {"key": "customer_id", "table": "customers"}})
    sink.put([_record(0, _customer(0, "Robert", visits=1), schema=counted)])
    sink.flush()
    promoted = _schema({"name": "visits", "type": "long"})
    sink.put([_record(1, _customer(0, "Robert", visits=2**40), schema=promoted, schema_id=2)])
    sink.close()
    assert _rows(url, "SELECT visits FROM customers") == [(2**40,)]
