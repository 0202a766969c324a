"""``kind: outbox`` on a real PostgreSQL with ``wal_level=logical``: outbox rows written with
business changes become events of the products their aggregate types name, in commit order,
exactly once, and are removed (or marked) once on the product."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from streammesh.connect.postgres.outbox import Config, OutboxSource, create
from tests.integration.connect.conftest import drop_database_and_slots
from tests.support.postgres import EmbeddedPostgres
from tests.support.source_runner import SourceRunner

PRODUCTS = {"Order": "shop.order-events", "Customer": "crm.customer-events"}


@pytest.fixture
def database_url(logical_postgres: EmbeddedPostgres) -> Iterator[str]:
    url = logical_postgres.create_database().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text)")
        connection.execute(
            "CREATE TABLE outbox (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
            "aggregatetype varchar(255) NOT NULL, aggregateid varchar(255) NOT NULL, "
            "type varchar(255) NOT NULL, payload jsonb, headers jsonb, published_at timestamptz)"
        )
    yield url
    drop_database_and_slots(logical_postgres, url)


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def runner(tmp_path: Path) -> SourceRunner:
    return SourceRunner("orders-outbox", tmp_path)


def outbox(url: str, runner: SourceRunner, **settings: Any) -> OutboxSource:
    config = Config.model_validate(
        {"url": url, "products": PRODUCTS, "columns": {"headers": "headers"}, **settings}
    )
    return create(config, runner.context())


def place_order(
    db: psycopg.Connection[Any], order_id: int, kind: str = "Order", headers: Any = None
) -> None:
    """The business change and its event, in one transaction."""
    with db.transaction():
        db.execute("INSERT INTO orders VALUES (%s, 'placed')", (order_id,))
        db.execute(
            "INSERT INTO outbox (aggregatetype, aggregateid, type, payload, headers) "
            "VALUES (%s, %s, 'OrderPlaced', %s, %s)",
            (
                kind,
                str(order_id),
                json.dumps({"order_id": order_id, "status": "placed"}),
                None if headers is None else json.dumps(headers),
            ),
        )


def outbox_rows(db: psycopg.Connection[Any], where: str = "true") -> int:
    row = db.execute(f"SELECT count(*) FROM outbox WHERE {where}").fetchone()
    assert row is not None
    return int(row[0])


def test_outbox_rows_become_events_in_commit_order_and_are_then_deleted(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    place_order(db, 1)  # waiting before the first start: published by the snapshot
    source = outbox(database_url, runner)
    source.start(None)
    place_order(db, 2, headers={"trace": "abc"})
    place_order(db, 3, kind="Customer")
    db.execute("UPDATE outbox SET type = 'Ignored'")  # updates of outbox rows are no events
    place_order(db, 4, kind="Unknown")
    place_order(db, 5)
    written = runner.run(source, lambda written: len(written) == 4)
    source.close()
    assert [(r.product, r.key) for r in written] == [
        ("shop.order-events", "1"),
        ("shop.order-events", "2"),
        ("crm.customer-events", "3"),
        ("shop.order-events", "5"),
    ]
    assert written[1].value == {"order_id": 2, "status": "placed"}
    assert written[1].headers["type"] == "OrderPlaced"
    assert written[1].headers["trace"] == "abc"
    assert len(written[1].headers["id"]) == 36
    assert source.schemas() == {}
    [(stream, reason, raw)] = runner.dead
    assert stream == "public.outbox"
    assert "'Unknown'" in reason and raw["aggregateid"] == "4"
    # Every published row is gone; the one that went to the dead letters stays.
    assert outbox_rows(db) == 1


def test_a_crash_between_the_product_and_the_removal_publishes_nothing_twice(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    source = outbox(database_url, runner, snapshot="never")
    source.start(None)
    for order_id in range(1, 4):
        place_order(db, order_id)
    # The worker writes the events and their position, then dies before `committed`.
    batch = []
    while len(batch) < 3:
        batch.extend(source.poll(0.5))
    runner.written.extend(batch)
    runner.position = batch[-1].position
    source.close()
    assert outbox_rows(db) == 3
    place_order(db, 4)
    source = outbox(database_url, runner, snapshot="never")
    source.start(runner.position)
    written = runner.run(source, lambda written: len(written) == 4)
    place_order(db, 5)
    written = runner.run(source, lambda written: len(written) == 5)
    source.close()
    assert [r.key for r in written] == ["1", "2", "3", "4", "5"]
    assert outbox_rows(db) == 0


def test_marked_rows_stay_in_the_table_and_are_never_published_again(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    settings = {"remove": "mark", "mark_column": "published_at"}
    source = outbox(database_url, runner, **settings)
    source.start(None)
    place_order(db, 1)
    place_order(db, 2)
    runner.run(source, lambda written: len(written) == 2)
    source.close()
    assert outbox_rows(db, "published_at IS NOT NULL") == 2
    # A fresh start (its offsets deleted) snapshots only what waits: nothing here.
    place_order(db, 3)
    fresh = SourceRunner("orders-outbox", runner.state_dir)
    source = outbox(database_url, fresh, **settings)
    source.start(None)
    written = fresh.run(source, lambda written: len(written) == 1)
    place_order(db, 4)
    written = fresh.run(source, lambda written: len(written) == 2)
    source.close()
    assert [r.key for r in written] == ["3", "4"]
    assert outbox_rows(db, "published_at IS NULL") == 0


def test_mark_without_a_column_is_refused(database_url: str) -> None:
    with pytest.raises(ValidationError, match="mark_column"):
        Config.model_validate({"url": database_url, "products": PRODUCTS, "remove": "mark"})


def test_a_missing_outbox_column_is_named(database_url: str, runner: SourceRunner) -> None:
    from streammesh.connect.postgres.errors import ColumnMissing

    source = outbox(database_url, runner, remove="mark", mark_column="sent_at")
    with pytest.raises(ColumnMissing, match=r"no column 'sent_at'"):
        source.start(None)
    source.close()
