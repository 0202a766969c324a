"""``kind: postgres-cdc`` against a real PostgreSQL with ``wal_level=logical``: the snapshot
while writers go on, commit order, tombstones, Debezium's envelope, restarts from a stored
position (no gap, no duplicate), a column added, and what polling misses that CDC sees."""

from __future__ import annotations

import datetime
import decimal
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import psycopg
import pytest
from pydantic import ValidationError

from streammesh.connect.base import SourceRecord
from streammesh.connect.postgres.cdc import Config, PostgresCdcSource, create
from streammesh.connect.postgres.errors import SlotMissing, TableNotFound
from tests.integration.connect.conftest import drop_database_and_slots, drop_slot_once_released
from tests.support.postgres import EmbeddedPostgres
from tests.support.source_runner import SourceRunner


@pytest.fixture
def database_url(logical_postgres: EmbeddedPostgres) -> Iterator[str]:
    url = logical_postgres.create_database().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, "
            "amount numeric(10,2), placed date)"
        )
    yield url
    drop_database_and_slots(logical_postgres, url)


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def runner(tmp_path: Path) -> SourceRunner:
    return SourceRunner("orders-cdc", tmp_path)


def cdc(url: str, runner: SourceRunner, **settings: Any) -> PostgresCdcSource:
    config = Config.model_validate(
        {"url": url, "tables": {"orders": "shop.orders"}, "batch_size": 50, **settings}
    )
    return create(config, runner.context())


def changes(records: list[SourceRecord]) -> list[tuple[Any, Any]]:
    return [(r.key, None if r.value is None else r.value["customer"]) for r in records]


def test_inserts_updates_and_deletes_arrive_in_commit_order_with_tombstones(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    db.execute("INSERT INTO orders VALUES (1, 'ann', 10.5, '2026-12-07')")
    source = cdc(database_url, runner)
    source.start(None)
    runner.run(source, lambda written: len(written) == 1)
    with db.transaction():
        db.execute("INSERT INTO orders VALUES (2, 'bob', 3, NULL)")
        db.execute("UPDATE orders SET customer = 'ann b' WHERE id = 1")
    # Begun first, committed last: the later commit comes first.
    with psycopg.connect(database_url) as early:
        early.execute("INSERT INTO orders VALUES (3, 'cy', 1, NULL)")
        db.execute("DELETE FROM orders WHERE id = 2")
        early.commit()
    written = runner.run(source, lambda written: len(written) == 5)
    source.close()
    assert changes(written) == [(1, "ann"), (2, "bob"), (1, "ann b"), (2, None), (3, "cy")]
    assert written[0].value == {
        "id": 1,
        "customer": "ann",
        "amount": decimal.Decimal("10.50"),
        "placed": datetime.date(2026, 12, 7),
    }
    assert written[3].value is None  # the delete: a tombstone for key 2
    assert all(r.product == "shop.orders" and r.stream == "public.orders" for r in written)
    schema = json.loads(source.schemas()["shop.orders"])
    parsed = fastavro.parse_schema(schema)
    assert all(fastavro.validate(r.value, parsed) for r in written if r.value is not None)
    assert schema["name"] == "orders"
    assert schema["fields"][0] == {"name": "id", "type": "long"}
    assert schema["fields"][2]["type"][1]["logicalType"] == "decimal"


def test_snapshot_takes_no_lock_and_loses_or_doubles_nothing_while_a_writer_inserts(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    db.execute("INSERT INTO orders SELECT n, 'pre-' || n, n, NULL FROM generate_series(1, 3000) n")
    stop = threading.Event()
    inserted: list[int] = []

    def write() -> None:
        with psycopg.connect(database_url, autocommit=True) as writer:
            next_id = 100_000
            while not stop.is_set():
                writer.execute("INSERT INTO orders VALUES (%s, 'live', 1, NULL)", (next_id,))
                inserted.append(next_id)
                next_id += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        source = cdc(database_url, runner, envelope="debezium")
        source.start(None)
        during_snapshot = len(inserted)
        runner.run(source, lambda written: any(r.value["op"] != "r" for r in written if r.value))
        # The writer was never blocked: it went on while the snapshot was read.
        assert len(inserted) > during_snapshot
    finally:
        stop.set()
        thread.join()
    expected = set(range(1, 3001)) | set(inserted)
    runner.run(source, lambda written: {r.key for r in written} >= expected)
    source.close()
    counts = Counter(r.key for r in runner.written)
    assert set(counts) == expected
    assert max(counts.values()) == 1
    ops = [r.value["op"] for r in runner.written if r.value]
    snapshot = ops.count("r")
    assert snapshot >= 3000 and ops[:snapshot] == ["r"] * snapshot
    assert set(ops[snapshot:]) == {"c"}
    assert runner.written[snapshot - 1].value["source"]["snapshot"] == "last"


def test_debezium_envelope_field_names_and_delete_then_tombstone(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    db.execute("ALTER TABLE orders REPLICA IDENTITY FULL")
    source = cdc(database_url, runner, envelope="debezium", snapshot="never")
    source.start(None)
    db.execute("INSERT INTO orders VALUES (7, 'ann', 2.5, NULL)")
    db.execute("UPDATE orders SET amount = 3 WHERE id = 7")
    db.execute("DELETE FROM orders WHERE id = 7")
    written = runner.run(source, lambda written: len(written) == 4)
    source.close()
    create_, update, delete, tombstone = written
    assert create_.value is not None and update.value is not None and delete.value is not None
    assert set(create_.value) == {"before", "after", "op", "ts_ms", "source"}
    assert (create_.value["op"], create_.value["before"]) == ("c", None)
    assert update.value["op"] == "u"
    assert update.value["before"]["amount"] == decimal.Decimal("2.50")
    assert update.value["after"]["amount"] == decimal.Decimal("3.00")
    assert (delete.value["op"], delete.value["after"]) == ("d", None)
    assert delete.value["before"]["customer"] == "ann"
    assert (tombstone.key, tombstone.value) == (7, None)
    source_block = update.value["source"]
    assert source_block["connector"] == "postgresql"
    assert source_block["name"] == "orders-cdc"
    assert (source_block["schema"], source_block["table"]) == ("public", "orders")
    assert source_block["db"] == database_url.rsplit("/", 1)[1]
    assert source_block["snapshot"] == "false"
    assert isinstance(source_block["txId"], int) and isinstance(source_block["lsn"], int)
    envelope = json.loads(source.schemas()["shop.orders"])
    assert [f["name"] for f in envelope["fields"]] == ["before", "after", "op", "ts_ms", "source"]
    # Every event, a delete's key-only `before` included, is valid against that schema.
    parsed = fastavro.parse_schema(envelope)
    assert all(fastavro.validate(r.value, parsed) for r in written if r.value is not None)


def test_a_delete_without_replica_identity_full_has_only_the_key_in_before(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    source = cdc(database_url, runner, envelope="debezium", snapshot="never")
    source.start(None)
    db.execute("INSERT INTO orders VALUES (8, 'bo', 1, NULL)")
    db.execute("DELETE FROM orders WHERE id = 8")
    written = runner.run(source, lambda written: len(written) == 3)
    parsed = fastavro.parse_schema(json.loads(source.schemas()["shop.orders"]))
    source.close()
    delete = written[1].value
    assert delete is not None and delete["op"] == "d"
    assert delete["before"] == {"id": 8, "customer": None, "amount": None, "placed": None}
    assert fastavro.validate(delete, parsed)
    assert (written[2].key, written[2].value) == (8, None)


def test_a_restart_from_the_stored_position_has_no_gap_and_no_duplicate(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    db.execute("INSERT INTO orders SELECT n, 'pre', 1, NULL FROM generate_series(1, 5) n")
    source = cdc(database_url, runner)
    source.start(None)
    runner.run(source, lambda written: len(written) == 2, max_records=2)  # inside the snapshot
    source.close()  # a crash: nothing more is written
    source = cdc(database_url, runner)
    source.start(runner.position)
    runner.run(source, lambda written: len(written) == 7)
    source.close()
    for txn in range(10):
        with db.transaction():
            for row in range(3):
                db.execute("INSERT INTO orders VALUES (%s, 'txn', 1, NULL)", (100 + txn * 3 + row,))
    # Crashes after 7, 11 and 20 of the 30 changes: inside and at the end of transactions.
    for stop_after in (7, 4, 9):
        source = cdc(database_url, runner)
        source.start(runner.position)
        before = len(runner.written)
        runner.run(
            source, lambda written, n=before + stop_after: len(written) >= n, max_records=stop_after
        )
        source.close()
    source = cdc(database_url, runner)
    source.start(runner.position)
    expected = set(range(1, 6)) | set(range(100, 130))
    runner.run(source, lambda written: {r.key for r in written} >= expected)
    db.execute("INSERT INTO orders VALUES (999, 'last', 1, NULL)")
    runner.run(source, lambda written: written[-1].key == 999)
    source.close()
    keys = [r.key for r in runner.written]
    # The first two snapshot rows come again: a snapshot cut by a crash is taken anew.
    assert Counter(keys[2:]) == Counter(sorted(expected | {999}))
    assert keys[-31:] == [*range(100, 130), 999]


def test_a_restart_at_a_transactions_end_keeps_the_next_whose_commit_follows_it_at_once(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    """Two writers: ``late`` writes its rows first and commits right after ``db``'s one-row
    transaction, so its commit record starts where that transaction ends (no WAL between).
    A crash once the one row is on the product (position: that end) resumes with every row
    of ``late``'s transaction, not only its last."""
    source = cdc(database_url, runner, snapshot="never")
    source.start(None)
    for attempt in range(5):  # the server may log a WAL record of its own in between
        base = 10 * (attempt + 1)
        with psycopg.connect(database_url) as late:
            for row in range(3):
                late.execute("INSERT INTO orders VALUES (%s, 'late', 1, NULL)", (base + row,))
            db.execute("INSERT INTO orders VALUES (%s, 'first', 1, NULL)", (base + 9,))
            late.commit()
        before = len(runner.written)
        runner.run(source, lambda w, n=before + 1: len(w) >= n, max_records=1)
        source.close()  # a crash right after the first transaction is on the product
        end = runner.position
        assert end is not None and "txn" not in end
        source = cdc(database_url, runner, snapshot="never")
        source.start(end)
        runner.run(source, lambda w, n=before + 4: len(w) >= n, timeout=10)
        resumed = runner.written[before + 1 :]
        assert [r.key for r in resumed] == [base, base + 1, base + 2]
        if resumed[0].position.get("txn") == end["lsn"]:
            break  # the case: the next transaction's commit record starts at `end`
    else:
        pytest.fail("no attempt had a commit record right after the previous transaction")
    source.close()


def confirmed_flush(db: psycopg.Connection[Any]) -> str:
    row = db.execute(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
        "WHERE slot_name = 'streammesh_orders_cdc'"
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_the_slot_is_confirmed_only_once_the_worker_committed(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    source = cdc(database_url, runner, snapshot="never")
    source.start(None)
    start = confirmed_flush(db)
    db.execute("INSERT INTO orders VALUES (1, 'ann', 1, NULL)")
    batch: list[SourceRecord] = []
    while not batch:
        batch = list(source.poll(0.5))
    time.sleep(0.3)
    assert confirmed_flush(db) == start  # read, not yet on the product: the WAL stays
    source.committed(batch[-1].position)
    deadline = time.monotonic() + 10
    while confirmed_flush(db) != batch[-1].position["lsn"] and time.monotonic() < deadline:
        time.sleep(0.05)
    source.close()
    assert confirmed_flush(db) == batch[-1].position["lsn"]


def test_a_restart_after_the_slot_is_gone_says_so(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    source = cdc(database_url, runner, snapshot="never")
    source.start(None)
    db.execute("INSERT INTO orders VALUES (1, 'ann', 1, NULL)")
    runner.run(source, lambda written: len(written) == 1)
    source.close()
    drop_slot_once_released(database_url, "streammesh_orders_cdc")
    with pytest.raises(SlotMissing, match="streammesh_orders_cdc"):
        cdc(database_url, runner).start(runner.position)


def test_an_added_column_changes_the_schema_and_reaches_the_events(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    source = cdc(database_url, runner, snapshot="never")
    source.start(None)
    db.execute("INSERT INTO orders VALUES (1, 'ann', 1, NULL)")
    runner.run(source, lambda written: len(written) == 1)
    before = json.loads(source.schemas()["shop.orders"])
    db.execute("ALTER TABLE orders ADD COLUMN note varchar(20)")
    db.execute("INSERT INTO orders VALUES (2, 'bob', 1, NULL, 'fragile')")
    written = runner.run(source, lambda written: len(written) == 2)
    after = json.loads(source.schemas()["shop.orders"])
    source.close()
    assert "note" not in [f["name"] for f in before["fields"]]
    assert after["fields"][-1] == {"name": "note", "type": ["null", "string"], "default": None}
    assert written[1].value is not None and written[1].value["note"] == "fragile"


def test_a_row_that_will_not_convert_goes_to_the_dead_letters_and_the_rest_go_on(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    source = cdc(database_url, runner, snapshot="never")
    source.start(None)
    db.execute("INSERT INTO orders VALUES (1, 'ann', 1, 'infinity')")
    db.execute("INSERT INTO orders VALUES (2, 'bob', 1, '2026-01-01')")
    written = runner.run(source, lambda written: len(written) == 1)
    source.close()
    assert changes(written) == [(2, "bob")]
    [(stream, reason, raw)] = runner.dead
    assert stream == "public.orders"
    assert "column 'placed'" in reason and "infinity" in reason
    assert raw["after"]["id"] == "1"


def test_an_unchanged_large_value_needs_replica_identity_full(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    """PostgreSQL does not send a TOASTed value an update left unchanged: without the old row
    (REPLICA IDENTITY FULL) the update cannot be a whole row, and goes to the dead letters."""
    db.execute("ALTER TABLE orders ADD COLUMN doc text")
    db.execute("ALTER TABLE orders ALTER COLUMN doc SET STORAGE EXTERNAL")  # TOASTed, as is
    big = "x" * 10_000
    db.execute("INSERT INTO orders VALUES (1, 'ann', 1, NULL, %s)", (big,))
    source = cdc(database_url, runner, snapshot="never")
    source.start(None)
    db.execute("UPDATE orders SET customer = 'ann b' WHERE id = 1")
    db.execute("ALTER TABLE orders REPLICA IDENTITY FULL")
    db.execute("UPDATE orders SET customer = 'ann c' WHERE id = 1")
    written = runner.run(source, lambda written: len(written) == 1)
    source.close()
    [(_, reason, raw)] = runner.dead
    assert "column 'doc'" in reason and "REPLICA IDENTITY FULL" in reason
    assert raw["after"]["customer"] == "ann b"
    assert written[0].value is not None
    assert (written[0].value["customer"], written[0].value["doc"]) == ("ann c", big)


def test_robert_bob_robert_cdc_delivers_every_change_polling_only_the_last(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner, tmp_path: Path
) -> None:
    from streammesh.connect.polling import Config as PollingConfig
    from streammesh.connect.polling import create as create_polling

    db.execute("INSERT INTO orders VALUES (1, 'Robert', 1, NULL)")
    source = cdc(database_url, runner)
    source.start(None)
    polling_runner = SourceRunner("orders-poll", tmp_path / "poll")
    polling = create_polling(
        PollingConfig.model_validate(
            {
                "url": database_url,
                "tables": {"orders": "shop.orders"},
                "key": ["id"],
                "mode": "bulk",
                "poll_interval": "1ms",
            }
        ),
        polling_runner.context(),
    )
    polling.start(None)
    runner.run(source, lambda written: len(written) == 1)
    polling_runner.run(polling, lambda written: len(written) == 1)
    # Between two reads: Robert → Bob → Robert.
    db.execute("UPDATE orders SET customer = 'Bob' WHERE id = 1")
    db.execute("UPDATE orders SET customer = 'Robert' WHERE id = 1")
    runner.run(source, lambda written: len(written) == 3)
    polling_runner.run(polling, lambda written: len(written) == 2)
    source.close()
    polling.close()
    assert changes(runner.written) == [(1, "Robert"), (1, "Bob"), (1, "Robert")]
    assert changes(polling_runner.written) == [(1, "Robert"), (1, "Robert")]


def test_configuration_mistakes_are_named(database_url: str, runner: SourceRunner) -> None:
    with pytest.raises(ValidationError, match="not a table name"):
        Config.model_validate({"url": database_url, "tables": {"orders; drop": "shop.orders"}})
    with pytest.raises(ValidationError, match="envelope"):
        Config.model_validate(
            {"url": database_url, "tables": {"orders": "shop.orders"}, "envelope": "xml"}
        )
    source = cdc(database_url, runner, tables={"missing": "shop.missing"})
    with pytest.raises(TableNotFound, match=r"'public\.missing'"):
        source.start(None)
    source.close()


def test_an_unreachable_database_is_named_without_its_password(runner: SourceRunner) -> None:
    from streammesh.connect.postgres.errors import ReplicationUnavailable

    url = "postgresql://app:hunter2@127.0.0.1:1/shop"
    source = cdc(url, runner)
    with pytest.raises(ReplicationUnavailable) as caught:
        source.start(None)
    source.close()
    assert "orders-cdc" in str(caught.value)
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)
    assert "hunter2" not in repr(Config.model_validate({"url": url, "tables": {"t": "p.t"}}))


def test_postgres_types_and_a_composite_key_through_replication(
    database_url: str, db: psycopg.Connection[Any], runner: SourceRunner
) -> None:
    db.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
    db.execute(
        "CREATE TABLE lines (order_id bigint, line int, ref uuid NOT NULL, doc jsonb, "
        "tags text[], feeling mood, at timestamptz, raw bytea, PRIMARY KEY (order_id, line))"
    )
    source = cdc(database_url, runner, tables={"lines": "shop.lines"}, snapshot="never")
    source.start(None)
    db.execute(
        "INSERT INTO lines VALUES (7, 2, '0b7e6a8e-6f56-4b43-9d1f-5a2f0f7a1c11', "
        """'{"a": [1, 2]}', '{x,"y z",NULL}', 'sad', '2026-12-07 10:00:00+02', '\\x0aff')"""
    )
    [record] = runner.run(source, lambda written: len(written) == 1)
    schema = json.loads(source.schemas()["shop.lines"])
    source.close()
    assert record.key == {"order_id": 7, "line": 2}
    assert record.value == {
        "order_id": 7,
        "line": 2,
        "ref": "0b7e6a8e-6f56-4b43-9d1f-5a2f0f7a1c11",
        "doc": '{"a": [1, 2]}',
        "tags": ["x", "y z", None],
        "feeling": "sad",
        "at": datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.UTC),
        "raw": b"\n\xff",
    }
    types = {field["name"]: field["type"] for field in schema["fields"]}
    assert types["order_id"] == "long" and types["line"] == "int"
    assert types["ref"] == {"type": "string", "logicalType": "uuid"}
    assert types["doc"][1] == {"type": "string", "connect.type": "json"}
    assert types["tags"][1] == {"type": "array", "items": ["null", "string"]}
    assert types["feeling"][1] == {"type": "string", "connect.type": "mood"}
    assert fastavro.validate(record.value, fastavro.parse_schema(schema))
