"""``kind: postgres-cdc`` through the worker into a product whose contract was written by
hand: a record named ``Order`` (not after the table) with an enum ``status``. The derived
schema is fitted to the product's (record name, enum, docs, field order), so under the
mesh's default compatibility (FULL_TRANSITIVE) every change lands and the product keeps its
schema version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from streammesh.config import MeshConfig
from streammesh.connect import WorkerOptions, parse_definition
from streammesh.identity import AccountKind
from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh
from tests.integration.connect.conftest import drop_database_and_slots
from tests.integration.connect.test_worker import dead_letters, read_topic
from tests.support.postgres import EmbeddedPostgres
from tests.unit.cli.invoking import invoke_cli

FAST = WorkerOptions(poll_timeout_s=0.05, flush_interval_s=0.2)
PRINCIPAL = "orders-cdc-sa"
SYMBOLS = ["PLACED", "PAID", "SHIPPED", "CANCELLED"]
CONTRACT = {
    "type": "record",
    "name": "Order",
    "namespace": "com.example.shop",
    "doc": "The state of one order.",
    "fields": [
        {"name": "orders_id", "type": "string", "doc": "The order's id."},
        {"name": "customer_email", "type": "string", "doc": "Who ordered (PII)."},
        {
            "name": "status",
            "type": {"type": "enum", "name": "OrderStatus", "symbols": SYMBOLS},
            "doc": "Where the order is in its life.",
        },
        {"name": "amount", "type": "double", "doc": "The total."},
        {
            "name": "updated_at",
            "type": {"type": "long", "logicalType": "timestamp-millis"},
            "doc": "When it last changed.",
        },
    ],
}


@pytest.fixture
def database_url(logical_postgres: EmbeddedPostgres) -> Iterator[str]:
    url = logical_postgres.create_database().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE TYPE order_status AS ENUM ({', '.join(map(repr, SYMBOLS))})")
        # Columns in another order than the contract's fields, types as a DBA writes them.
        connection.execute(
            "CREATE TABLE orders (orders_id text PRIMARY KEY, status order_status NOT NULL, "
            "updated_at timestamptz NOT NULL DEFAULT now(), amount double precision NOT NULL, "
            "customer_email text NOT NULL)"
        )
    yield url
    drop_database_and_slots(logical_postgres, url)


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "repo" / "sales"
    descriptor = folder / "orders.yaml"
    descriptor.write_text(descriptor.read_text().replace("status: draft", "status: published"))
    (folder / "orders.avsc").write_text(json.dumps(CONTRACT))
    with MeshRuntime.open(MeshConfig.load(tmp_path / "mesh")) as runtime:
        InProcessMesh(runtime, actor="owner").apply([folder])
        runtime.access.create_account(
            PRINCIPAL, AccountKind.SERVICE_ACCOUNT, team="sales-team", description="", actor="a"
        )
        yield runtime


def orders(runtime: MeshRuntime) -> list[tuple[str, dict[str, Any] | None]]:
    decoder = runtime.data.decoder("sales.orders", reader=None, actor="test")
    topic = runtime.plane.product("sales.orders").topic
    events = [decoder.event(record) for record in read_topic(runtime, topic)]
    return [(str(event.key), event.value) for event in events]


def test_changes_land_in_a_product_with_a_named_record_and_an_enum(
    mesh: MeshRuntime, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(
            "INSERT INTO orders (orders_id, status, amount, customer_email) VALUES "
            "('o-1', 'PLACED', 12.5, 'ann@example.com'), ('o-2', 'PAID', 30, 'bo@example.com')"
        )
        definition = parse_definition(
            json.dumps(
                {
                    "name": "orders-cdc",
                    "kind": "postgres-cdc",
                    "principal": PRINCIPAL,
                    "config": {"url": database_url, "tables": {"orders": "sales.orders"}},
                }
            )
        )
        before = mesh.plane.product("sales.orders").schema_version
        with mesh.connect.worker(definition, FAST) as worker:
            worker.run(lambda: worker.progress().records_in >= 2)
            db.execute("UPDATE orders SET status = 'SHIPPED' WHERE orders_id = 'o-1'")
            db.execute(
                "INSERT INTO orders (orders_id, status, amount, customer_email) "
                "VALUES ('o-3', 'CANCELLED', 7.25, 'cy@example.com')"
            )
            worker.run(lambda: worker.progress().records_in >= 4)
            progress = worker.progress()

    assert dead_letters(mesh, "orders-cdc") == []
    assert progress.last_error is None
    landed = [(key, value["status"] if value else None) for key, value in orders(mesh)]
    assert sorted(landed) == [
        ("o-1", "PLACED"),
        ("o-1", "SHIPPED"),
        ("o-2", "PAID"),
        ("o-3", "CANCELLED"),
    ]
    # The product kept its contract: no new version named after the table.
    record = mesh.plane.product("sales.orders")
    assert record.schema_version == before
    schema = json.loads(mesh.registry.schema(record.schema_id).schema)
    assert (schema["name"], schema["fields"][2]["type"]["type"]) == ("Order", "enum")


def test_a_value_outside_the_contracts_enum_goes_to_the_dead_letters_alone(
    mesh: MeshRuntime, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute("ALTER TYPE order_status ADD VALUE 'REFUNDED'")
        db.execute(
            "INSERT INTO orders (orders_id, status, amount, customer_email) VALUES "
            "('o-1', 'PAID', 1, 'a@example.com'), ('o-2', 'REFUNDED', 2, 'b@example.com'), "
            "('o-3', 'PLACED', 3, 'c@example.com')"
        )
    definition = parse_definition(
        json.dumps(
            {
                "name": "orders-cdc",
                "kind": "postgres-cdc",
                "principal": PRINCIPAL,
                "config": {"url": database_url, "tables": {"orders": "sales.orders"}},
            }
        )
    )
    with mesh.connect.worker(definition, FAST) as worker:
        worker.run(lambda: worker.progress().records_in >= 3)

    assert sorted(key for key, _ in orders(mesh)) == ["o-1", "o-3"]
    letters = dead_letters(mesh, "orders-cdc")
    assert len(letters) == 1
    assert "o-2" in json.dumps(letters[0]["raw"])
    assert "REFUNDED" in letters[0]["reason"]
