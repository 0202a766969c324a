"""The stream-application lifecycle on Kafka (the tansu broker): lag per input partition read
from the group's committed offsets, and a reset that moves them back to the beginning and
deletes the changelog, so the next run counts every input record again."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    TopicNotFound,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.store import MetadataStore, default_store_url, open_store
from streammesh.streams import Placement, StreamsRunner
from streammesh.streams.apps import AppLifecycle, AppStore
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

pytestmark = pytest.mark.kafka


@pytest.fixture
def log(kafka_bootstrap: str) -> Iterator[EventLog]:
    opened = open_log(f"kafka://{kafka_bootstrap}")
    yield opened
    opened.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    opened = open_store(default_store_url(tmp_path))
    yield opened
    opened.close()


def _run(log: EventLog, sql: str, name: str, records: int, state: Path) -> int:
    """Run ``sql`` as ``name`` until it read ``records`` input records; how many it wrote."""
    queries = plan_statements(parse_statements(sql), text=sql).queries
    with StreamsRunner(log, queries, name, state_dir=state) as runner:
        runner.start()
        deadline = time.monotonic() + 60
        while sum(item.records_in for item in runner.progress()) < records:
            assert time.monotonic() < deadline, runner.progress()
            runner.poll_round(timeout=0.5)
        return sum(item.records_out for item in runner.progress())


@pytest.mark.slow
def test_lag_and_reset_on_kafka(log: EventLog, store: MetadataStore, tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:8]
    trades, counts, name = f"trades-{suffix}", f"counts-{suffix}", f"counts-app-{suffix}"
    sql = f"""
    CREATE STREAM trades (id VARCHAR KEY, price INT)
      WITH (kafka_topic='{trades}', key_format='KAFKA', value_format='JSON');
    CREATE TABLE counts WITH (kafka_topic='{counts}') AS
      SELECT id, COUNT(*) AS n FROM trades GROUP BY id EMIT CHANGES;
    """
    log.create_topic(TopicSpec(trades, partitions=2))

    def send(keys: str) -> None:
        with log.producer() as producer:
            for key in keys:
                producer.send(trades, json.dumps({"PRICE": 1}).encode(), key=key.encode())
            producer.flush()

    send("abcab")
    lifecycle = AppLifecycle(AppStore(store), log)
    queries = plan_statements(parse_statements(sql), text=sql).queries
    app = lifecycle.deploy(
        name, sql, queries, descriptor=None, principal=None, placement=Placement.PROCESS, actor="a"
    )
    [changelog] = app.queries[0].changelogs
    assert lifecycle.status(name).lag == 5  # nothing committed yet: every record

    assert _run(log, sql, name, 5, tmp_path / "one") == 5
    send("cd")
    status = lifecycle.status(name)
    assert status.lag == 2
    assert {(p.topic, p.partition) for p in status.queries[0].partitions} == {
        (trades, 0),
        (trades, 1),
    }
    log.describe_topic(changelog)

    assert lifecycle.reset(name, actor="a").epoch == 1

    assert log.committed_offsets(name, trades) == {0: 0, 1: 0}
    assert lifecycle.status(name).lag == 7
    deadline = time.monotonic() + 30
    while True:  # Kafka deletes topics asynchronously
        try:
            log.describe_topic(changelog)
        except TopicNotFound:
            break
        assert time.monotonic() < deadline, f"{changelog} was not deleted"
        time.sleep(0.2)
    # Every record is counted again, from an empty state: no count goes past 2 (restored
    # state would have counted a and b up to 4).
    assert _run(log, sql, name, 7, tmp_path / "two") == 7
    counted = _read(log, counts, 2)
    assert len(counted) == 12 and max(value["N"] for value in counted) == 2


def _read(log: EventLog, topic: str, partitions: int) -> list[dict[str, int]]:
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    found = []
    with log.consumer(options) as reader:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        reader.assign(tps)
        reader.seek_to_beginning()
        ends = reader.end_offsets(tps)
        deadline = time.monotonic() + 30
        while any(reader.position(tp) < ends[tp] for tp in tps):
            assert time.monotonic() < deadline
            found.extend(reader.poll(timeout=0.5))
    return [json.loads(record.value or b"null") for record in found]
