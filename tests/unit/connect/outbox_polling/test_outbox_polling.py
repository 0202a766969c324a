"""The outbox by polling SQLite (``kind: outbox-poll``): Debezium's outbox event router
semantics, commit order, exactly once across restarts, rows deleted or marked only after
the worker committed their events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from streammesh.connect.base import ConnectorContext, SourceRecord
from streammesh.connect.outbox_polling import Config, OutboxNotSafe, OutboxPollingSource, create

OUTBOX = (
    "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
    "aggregatetype TEXT NOT NULL, aggregateid TEXT NOT NULL, type TEXT NOT NULL, "
    "payload TEXT, published_at TIMESTAMP)"
)


class DeadLetters(list[tuple[str, str, Mapping[str, Any]]]):
    def __call__(self, stream: str, reason: str, raw: Mapping[str, Any]) -> None:
        self.append((stream, reason, raw))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """The application's connection: it writes orders and their outbox rows together."""
    connection = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    connection.execute("CREATE TABLE orders (id TEXT PRIMARY KEY, total INTEGER)")
    connection.execute(OUTBOX)
    yield connection
    connection.close()


def place_order(app: sqlite3.Connection, order: str, total: int, event: str) -> None:
    app.execute("BEGIN")
    app.execute("INSERT INTO orders VALUES (?, ?)", (order, total))
    app.execute(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload) "
        "VALUES (?, 'shop.orders', ?, 'OrderPlaced', ?)",
        (event, order, json.dumps({"order": order, "total": total})),
    )
    app.execute("COMMIT")


def source(tmp_path: Path, dead: DeadLetters | None = None, **settings: Any) -> OutboxPollingSource:
    config = Config.model_validate(
        {
            "url": f"sqlite:///{tmp_path / 'shop.db'}",
            "products": {"shop.orders": "shop.orders"},
            "poll_interval": "1ms",
            **settings,
        }
    )
    letters = dead if dead is not None else DeadLetters()
    return create(config, ConnectorContext("orders-outbox", tmp_path / "state", letters))


def drain(task: OutboxPollingSource) -> list[SourceRecord]:
    records: list[SourceRecord] = []
    while batch := task.poll(0.001):
        records.extend(batch)
    return records


def outbox_rows(app: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return app.execute("SELECT id, published_at IS NOT NULL FROM outbox ORDER BY seq").fetchall()


def test_rows_are_published_in_commit_order_as_the_outbox_router_maps_them(
    tmp_path: Path, app: sqlite3.Connection
) -> None:
    place_order(app, "o-2", 20, "e1")
    place_order(app, "o-1", 10, "e2")
    app.execute("BEGIN")
    app.execute(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload) "
        "VALUES ('e3', 'shop.orders', 'o-9', 'OrderPlaced', '{}')"
    )
    app.execute("ROLLBACK")  # never committed: never published
    task = source(tmp_path)
    task.start(None)
    records = drain(task)
    assert [(r.product, r.key, r.value) for r in records] == [
        ("shop.orders", "o-2", {"order": "o-2", "total": 20}),
        ("shop.orders", "o-1", {"order": "o-1", "total": 10}),
    ]
    assert records[0].headers == {"id": "e1", "type": "OrderPlaced"}
    assert [r.position for r in records] == [{"sequence": 1}, {"sequence": 2}]
    assert task.schemas() == {}
    task.close()


def test_rows_are_deleted_only_after_their_events_are_committed(
    tmp_path: Path, app: sqlite3.Connection
) -> None:
    for n in range(3):
        place_order(app, f"o-{n}", n, f"e{n}")
    task = source(tmp_path)
    task.start(None)
    records = drain(task)
    assert len(outbox_rows(app)) == 3  # published, not yet committed by the worker
    task.committed(records[1].position)
    assert outbox_rows(app) == [("e2", 0)]
    task.committed(records[2].position)
    assert outbox_rows(app) == []
    place_order(app, "o-3", 3, "e3")  # a new row id, never one published before
    assert [r.key for r in drain(task)] == ["o-3"]
    task.close()


def test_mark_instead_of_delete(tmp_path: Path, app: sqlite3.Connection) -> None:
    place_order(app, "o-1", 1, "e1")
    place_order(app, "o-2", 2, "e2")
    task = source(tmp_path, remove="mark", mark_column="published_at")
    task.start(None)
    records = drain(task)
    task.committed(records[0].position)
    assert outbox_rows(app) == [("e1", 1), ("e2", 0)]
    task.close()
    # A first start of another deployment skips rows already marked.
    fresh = source(tmp_path, remove="mark", mark_column="published_at")
    fresh.start(None)
    assert [r.key for r in drain(fresh)] == ["o-2"]
    fresh.close()


def test_restarts_publish_each_row_exactly_once(tmp_path: Path, app: sqlite3.Connection) -> None:
    for n in range(5):
        place_order(app, f"o-{n}", n, f"e{n}")
    task = source(tmp_path, batch_size=2)
    task.start(None)
    first = task.poll(0.001)
    assert [r.key for r in first] == ["o-0", "o-1"]
    task.close()  # killed before the worker committed anything
    again = source(tmp_path, batch_size=2)
    again.start(None)
    published = drain(again)
    assert [r.key for r in published] == ["o-0", "o-1", "o-2", "o-3", "o-4"]
    again.close()  # killed after committing up to o-2, before deleting anything
    committed = json.loads(json.dumps(published[2].position))
    last = source(tmp_path)
    last.start(committed)  # releases what the committed position covers
    assert outbox_rows(app) == [("e3", 0), ("e4", 0)]
    assert [r.key for r in drain(last)] == ["o-3", "o-4"]
    last.close()


def test_bad_rows_go_to_the_dead_letters_and_null_payloads_are_tombstones(
    tmp_path: Path, app: sqlite3.Connection
) -> None:
    rows = [
        ("e1", "shop.orders", "o-1", "not json"),
        ("e2", "shop.orders", "o-2", "[1]"),
        ("e3", "billing.invoices", "i-1", "{}"),
        ("e4", "shop.orders", "o-1", None),
        ("e5", "shop.orders", "o-5", '{"total": 5}'),
    ]
    app.executemany(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload) "
        "VALUES (?, ?, ?, 'OrderPlaced', ?)",
        rows,
    )
    dead = DeadLetters()
    task = source(tmp_path, dead, products={"shop.orders": "shop.orders-v"})
    task.start(None)
    records = drain(task)
    assert [(r.product, r.key, r.value) for r in records] == [
        ("shop.orders-v", "o-1", None),
        ("shop.orders-v", "o-5", {"total": 5}),
    ]
    assert [(stream, raw["id"]) for stream, _, raw in dead] == [
        ("shop.orders", "e1"),
        ("shop.orders", "e2"),
        ("billing.invoices", "e3"),
    ]
    assert "payload is not JSON" in dead[0][1]
    assert "no product in 'products'" in dead[2][1]
    task.close()


def test_deleting_from_a_table_whose_row_ids_sqlite_reuses_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute(OUTBOX.replace(" AUTOINCREMENT", ""))
    db.close()
    task = source(tmp_path)
    with pytest.raises(OutboxNotSafe, match="remove: mark"):
        task.start(None)
    task.close()
    marking = source(tmp_path, remove="mark", mark_column="published_at")
    marking.start(None)
    marking.close()


def test_a_url_that_is_not_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="starts with sqlite"):
        Config.model_validate({"url": "postgresql://u:pw@h/db", "products": {"a": "b.c"}})


def test_a_headers_column_and_a_boolean_mark(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    db.execute(
        "CREATE TABLE events (event_id TEXT, kind TEXT, agg TEXT, agg_id TEXT, body TEXT, "
        "extra TEXT, sent BOOLEAN NOT NULL DEFAULT 0)"
    )
    db.execute(
        "INSERT INTO events VALUES ('e1', 'Paid', 'Invoice', 'i-1', '{\"paid\": true}', "
        '\'{"trace": "t-1"}\', 0)'
    )
    task = source(
        tmp_path,
        table="events",
        products={"Invoice": "billing.invoices"},
        columns={
            "id": "event_id",
            "type": "kind",
            "aggregatetype": "agg",
            "aggregateid": "agg_id",
            "payload": "body",
            "headers": "extra",
        },
        remove="mark",
        mark_column="sent",
    )
    task.start(None)
    [record] = drain(task)
    assert (record.product, record.key, record.value) == ("billing.invoices", "i-1", {"paid": True})
    assert record.headers == {"trace": "t-1", "id": "e1", "type": "Paid"}
    task.committed(record.position)
    assert db.execute("SELECT sent FROM events").fetchall() == [(1,)]
    db.close()


def test_kind_outbox_with_a_sqlite_url_polls(tmp_path: Path, app: sqlite3.Connection) -> None:
    """One ``kind: outbox`` definition: change data capture on PostgreSQL, polling on
    SQLite — with the same settings (``snapshot: never`` skips the rows already waiting)."""
    from streammesh.connect.postgres import outbox

    place_order(app, "o-1", 1, "e1")
    config = outbox.Config.model_validate(
        {
            "url": f"sqlite:///{tmp_path / 'shop.db'}",
            "table": "outbox",
            "products": {"shop.orders": "shop.order-events"},
            "remove": "mark",
            "mark_column": "published_at",
            "snapshot": "never",
        }
    )
    task = outbox.create(config, ConnectorContext("orders-outbox", tmp_path, DeadLetters()))
    assert isinstance(task, OutboxPollingSource)
    task.start(None)
    place_order(app, "o-2", 2, "e2")
    [record] = drain(task)
    assert (record.product, record.key) == ("shop.order-events", "o-2")
    task.committed(record.position)
    assert outbox_rows(app) == [("e1", 0), ("e2", 1)]
    task.close()
