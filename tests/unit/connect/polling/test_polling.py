"""The polling source (``kind: jdbc-poll``) against real SQLite files: Kafka Connect's JDBC
modes, their order and ties, soft deletes, restarts from a position, dead letters."""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import pytest

from streammesh.connect.base import ConnectorContext, SourceRecord
from streammesh.connect.polling import ColumnNotFound, Config, PollingSource, create


class DeadLetters(list[tuple[str, str, Mapping[str, Any]]]):
    def __call__(self, stream: str, reason: str, raw: Mapping[str, Any]) -> None:
        self.append((stream, reason, raw))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    connection.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "balance DECIMAL(10,2), updated_at TIMESTAMP, deleted_at TIMESTAMP)"
    )
    yield connection
    connection.close()


@pytest.fixture
def dead_letters() -> DeadLetters:
    return DeadLetters()


def source(tmp_path: Path, dead_letters: DeadLetters, **settings: Any) -> PollingSource:
    config = Config.model_validate(
        {
            "url": f"sqlite:///{tmp_path / 'shop.db'}",
            "tables": {"customers": "crm.customers"},
            "key": "id",
            "poll_interval": "1ms",
            **settings,
        }
    )
    return create(config, ConnectorContext("customers-poll", tmp_path / "state", dead_letters))


def insert(
    db: sqlite3.Connection, id_: int, name: str, at: str, deleted_at: str | None = None
) -> None:
    db.execute(
        "INSERT INTO customers VALUES (?, ?, 1.50, ?, ?)",
        (id_, name, f"2026-01-01 {at}", deleted_at),
    )


def update(db: sqlite3.Connection, id_: int, name: str, at: str) -> None:
    db.execute(
        "UPDATE customers SET name = ?, updated_at = ? WHERE id = ?",
        (name, f"2026-01-01 {at}", id_),
    )


def drain(task: PollingSource) -> list[SourceRecord]:
    """Everything the source has now: polls until one comes back empty."""
    records: list[SourceRecord] = []
    while batch := task.poll(0.01):
        records.extend(batch)
    return records


def names(records: Sequence[SourceRecord]) -> list[tuple[Any, Any]]:
    return [(r.key, None if r.value is None else r.value["name"]) for r in records]


def test_incrementing_snapshots_then_reads_new_rows_only(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    for id_, name in [(3, "Carol"), (1, "Ann"), (2, "Bob")]:
        insert(database, id_, name, "10:00:00")
    task = source(tmp_path, dead_letters, mode="incrementing", incrementing_column="id")
    task.start(None)
    snapshot = drain(task)
    assert names(snapshot) == [(1, "Ann"), (2, "Bob"), (3, "Carol")]
    assert snapshot[-1].position == {"tables": {"customers": {"incrementing": 3}}}
    assert all(r.product == "crm.customers" and r.stream == "customers" for r in snapshot)
    update(database, 1, "Annie", "11:00:00")  # incrementing mode does not see updates
    insert(database, 4, "Dan", "11:00:00")
    assert names(drain(task)) == [(4, "Dan")]
    task.close()


def test_incrementing_restart_from_a_position_has_no_gap_and_no_duplicate(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    for id_ in range(1, 8):
        insert(database, id_, f"c{id_}", "10:00:00")
    settings = {"mode": "incrementing", "incrementing_column": "id", "batch_max_rows": 3}
    task = source(tmp_path, dead_letters, **settings)
    task.start(None)
    first = task.poll(0.01)
    assert [r.key for r in first] == [1, 2, 3]  # one batch of batch_max_rows
    committed = first[1].position  # the worker committed up to id 2, then crashed
    task.close()
    restarted = source(tmp_path, dead_letters, **settings)
    restarted.start(json.loads(json.dumps(committed)))  # positions are JSON
    assert [r.key for r in drain(restarted)] == [3, 4, 5, 6, 7]
    restarted.close()


def test_timestamp_mode_reads_updates_in_timestamp_order_and_misses_later_ties(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    insert(database, 1, "Ann", "10:00:02")
    insert(database, 2, "Bob", "10:00:01")
    task = source(tmp_path, dead_letters, mode="timestamp", timestamp_column="updated_at")
    task.start(None)
    snapshot = drain(task)
    assert names(snapshot) == [(2, "Bob"), (1, "Ann")]
    assert snapshot[-1].position == {"tables": {"customers": {"timestamp": "2026-01-01 10:00:02"}}}
    assert snapshot[-1].timestamp_ms == int(
        datetime.datetime(2026, 1, 1, 10, 0, 2, tzinfo=datetime.UTC).timestamp() * 1000
    )
    update(database, 2, "Bobby", "10:00:05")
    # Kafka Connect's tie rule: a row written after the poll with the timestamp last read
    # (10:00:02) is not read in timestamp mode (timestamp+incrementing reads it).
    insert(database, 3, "Carol", "10:00:02")
    assert names(drain(task)) == [(2, "Bobby")]
    task.close()


def test_timestamp_mode_never_cuts_a_batch_inside_equal_timestamps(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    for id_ in (1, 2, 3):
        insert(database, id_, f"c{id_}", "10:00:00")
    insert(database, 4, "c4", "10:00:01")
    settings = {"mode": "timestamp", "timestamp_column": "updated_at", "batch_max_rows": 2}
    task = source(tmp_path, dead_letters, **settings)
    task.start(None)
    first = task.poll(0.01)
    assert [r.key for r in first] == [1, 2, 3]
    restarted = source(tmp_path, dead_letters, **settings)
    restarted.start(first[-1].position)
    assert [r.key for r in drain(restarted)] == [4]
    task.close()
    restarted.close()


def test_timestamp_incrementing_breaks_ties_by_the_incrementing_column(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    insert(database, 2, "Bob", "10:00:00")
    insert(database, 1, "Ann", "10:00:00")
    settings = {
        "mode": "timestamp+incrementing",
        "timestamp_column": "updated_at",
        "incrementing_column": "id",
        "batch_max_rows": 1,
    }
    task = source(tmp_path, dead_letters, **settings)
    task.start(None)
    first = task.poll(0.01)
    assert names(first) == [(1, "Ann")]
    assert first[0].position == {
        "tables": {"customers": {"timestamp": "2026-01-01 10:00:00", "incrementing": 1}}
    }
    insert(database, 3, "Carol", "10:00:00")  # the same timestamp, a higher id: read
    update(database, 1, "Annie", "10:00:03")  # an update: read again, after the ties
    assert names(drain(task)) == [(2, "Bob"), (3, "Carol"), (1, "Annie")]
    restarted = source(tmp_path, dead_letters, **settings)
    restarted.start(first[0].position)
    assert names(drain(restarted)) == [(2, "Bob"), (3, "Carol"), (1, "Annie")]
    task.close()
    restarted.close()


def test_timestamp_delay_interval_holds_back_recent_rows(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    insert(database, 1, "Ann", "10:00:00")
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    database.execute("INSERT INTO customers VALUES (2, 'Bob', 0, ?, NULL)", (now,))
    settings = {
        "mode": "timestamp+incrementing",
        "timestamp_column": "updated_at",
        "incrementing_column": "id",
        "timestamp_delay_interval": "1h",
    }
    task = source(tmp_path, dead_letters, **settings)
    task.start(None)
    assert names(drain(task)) == [(1, "Ann")]
    task.close()
    no_delay = source(tmp_path, dead_letters, **{**settings, "timestamp_delay_interval": 0})
    no_delay.start(None)
    assert names(drain(no_delay)) == [(1, "Ann"), (2, "Bob")]
    no_delay.close()


def test_bulk_reads_the_whole_table_every_poll(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    insert(database, 1, "Ann", "10:00:00")
    task = source(tmp_path, dead_letters, mode="bulk")
    task.start(None)
    assert names(task.poll(0.01)) == [(1, "Ann")]
    insert(database, 2, "Bob", "10:00:00")
    assert names(task.poll(0.5)) == [(1, "Ann"), (2, "Bob")]
    task.close()


def test_a_soft_deleted_row_becomes_a_tombstone_for_its_key(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    insert(database, 1, "Ann", "10:00:00")
    insert(database, 2, "Bob", "10:00:00", deleted_at="2026-01-01 09:00:00")
    task = source(
        tmp_path,
        dead_letters,
        mode="timestamp+incrementing",
        timestamp_column="updated_at",
        incrementing_column="id",
        soft_delete={"column": "deleted_at"},
    )
    task.start(None)
    assert names(drain(task)) == [(1, "Ann"), (2, None)]
    database.execute(
        "UPDATE customers SET deleted_at = '2026-01-01 10:00:09', "
        "updated_at = '2026-01-01 10:00:09' WHERE id = 1"
    )
    tombstones = drain(task)
    assert [(r.key, r.value) for r in tombstones] == [(1, None)]
    task.close()


def test_soft_delete_by_a_boolean_column(tmp_path: Path, dead_letters: DeadLetters) -> None:
    db = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, is_deleted BOOLEAN)")
    db.executemany("INSERT INTO customers VALUES (?, ?, ?)", [(1, "Ann", 0), (2, "Bob", 1)])
    db.close()
    task = source(
        tmp_path,
        dead_letters,
        mode="incrementing",
        incrementing_column="id",
        soft_delete={"column": "is_deleted", "when": "true"},
    )
    task.start(None)
    assert names(drain(task)) == [(1, "Ann"), (2, None)]
    task.close()


def test_polling_sees_only_the_last_state_between_two_polls(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    """Robert → Bob → Robert between two polls: polling delivers no change at all (the CDC
    half of this story is in tests/integration/connect/test_polling_postgres.py)."""
    insert(database, 1, "Robert", "10:00:00")
    task = source(
        tmp_path,
        dead_letters,
        mode="timestamp+incrementing",
        timestamp_column="updated_at",
        incrementing_column="id",
    )
    task.start(None)
    assert names(drain(task)) == [(1, "Robert")]
    update(database, 1, "Bob", "10:00:01")
    update(database, 1, "Robert", "10:00:02")
    assert names(drain(task)) == [(1, "Robert")]  # Bob was never seen
    task.close()


def test_a_row_that_does_not_convert_goes_to_the_dead_letters_and_the_rest_goes_on(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    insert(database, 1, "Ann", "10:00:00")
    database.execute("INSERT INTO customers VALUES (2, 'Bob', 'lots', NULL, NULL)")
    insert(database, 3, "Carol", "10:00:00")
    task = source(tmp_path, dead_letters, mode="incrementing", incrementing_column="id")
    task.start(None)
    records = drain(task)
    assert names(records) == [(1, "Ann"), (3, "Carol")]
    assert records[-1].value is not None
    assert str(records[-1].value["balance"]) == "1.50"
    [(stream, reason, raw)] = dead_letters
    assert stream == "customers"
    assert "'balance'" in reason and "lots" in reason
    assert raw["id"] == 2
    task.close()


def test_schemas_are_derived_from_the_table(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    task = source(tmp_path, dead_letters, mode="bulk")
    task.start(None)
    schema = json.loads(task.schemas()["crm.customers"])
    fields = {field["name"]: field["type"] for field in schema["fields"]}
    assert fields["id"] == "long"  # the primary key is required
    assert fields["name"] == "string"
    assert fields["balance"][1] == {
        "type": "bytes",
        "logicalType": "decimal",
        "precision": 10,
        "scale": 2,
    }
    assert fields["updated_at"][1]["logicalType"] == "timestamp-micros"
    task.close()


def test_a_column_the_table_lacks_is_named_and_the_url_is_never_shown(
    tmp_path: Path, database: sqlite3.Connection, dead_letters: DeadLetters
) -> None:
    task = source(tmp_path, dead_letters, mode="incrementing", incrementing_column="seq")
    with pytest.raises(ColumnNotFound) as caught:
        task.start(None)
    assert "'seq'" in str(caught.value) and "'customers'" in str(caught.value)
    assert "incrementing_column" in str(caught.value)
    assert "shop.db" not in str(caught.value)
    task.close()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mode": "incrementing"}, "needs 'incrementing_column'"),
        ({"mode": "timestamp"}, "needs 'timestamp_column'"),
        ({"mode": "bulk", "key": [], "soft_delete": {"column": "d"}}, "'soft_delete' needs"),
        ({"mode": "bulk", "tables": {"a;drop": "x.y"}}, "not a table name"),
        ({"mode": "sideways"}, "'timestamp+incrementing'"),
        ({"mode": "bulk", "url": "mysql://secret@h/db"}, "must start with sqlite"),
    ],
)
def test_a_bad_config_is_refused_naming_the_setting(settings: dict[str, Any], message: str) -> None:
    data = {"url": "sqlite:///x.db", "tables": {"t": "a.b"}, "key": "id", **settings}
    with pytest.raises(pydantic.ValidationError) as caught:
        Config.model_validate(data)
    messages = " ".join(error["msg"] for error in caught.value.errors())
    assert message in messages
    assert "secret" not in messages  # what the definition's errors show
