"""A stream-table join run by the engine on Kafka (the tansu broker): exactly-once with Kafka
transactions, its table restored from the changelog in another process, the inputs
repartitioned across partitions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.streams.engine import StreamApplication
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

pytestmark = pytest.mark.kafka


@pytest.fixture
def log(kafka_bootstrap: str) -> Iterator[EventLog]:
    opened = open_log(f"kafka://{kafka_bootstrap}")
    yield opened
    opened.close()


def read_all(log: EventLog, topic: str, partitions: int) -> list[Any]:
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    found = []
    with log.consumer(options) as reader:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        reader.assign(tps)
        reader.seek_to_beginning()
        ends = reader.end_offsets(tps)
        while any(reader.position(tp) < ends[tp] for tp in tps):
            found.extend(reader.poll(timeout=0.5))
    return [json.loads(record.value or b"null") for record in found]


@pytest.mark.slow
def test_stream_table_join_on_kafka_is_exactly_once_across_a_restart(
    log: EventLog, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    trades, users, out = f"trades-{suffix}", f"users-{suffix}", f"high-{suffix}"
    sql = f"""
    CREATE STREAM stocktrades (quantity INT, price INT, userid STRING)
      WITH (kafka_topic='{trades}', value_format='JSON');
    CREATE TABLE users (userid STRING PRIMARY KEY, regionid STRING)
      WITH (kafka_topic='{users}', value_format='JSON');
    CREATE STREAM high_value WITH (kafka_topic='{out}') AS
      SELECT t.userid, u.regionid, t.quantity FROM stocktrades t
      JOIN users u ON t.userid = u.userid WHERE price > 500 AND quantity > 2500;
    """
    query = plan_statements(parse_statements(sql), text=sql).queries[0]
    for topic in (trades, users):
        log.create_topic(TopicSpec(topic, partitions=2))
    names = [f"User_{n}" for n in range(6)]
    with log.producer() as producer:
        for name in names:
            producer.send(users, b'{"regionid": "R1"}', key=name.encode(), timestamp_ms=0)
        for ts, name in enumerate(names):  # keyless: spread, repartitioned by userid
            value = {"quantity": 3000 + ts, "price": 600, "userid": name}
            producer.send(trades, json.dumps(value).encode(), timestamp_ms=10 + ts)
    application = f"review-{suffix}"
    with StreamApplication(log, query, application, state_dir=tmp_path / "a") as app:
        assert app.guarantee == "exactly_once"
        app.run_until_idle(timeout=120)
    with log.producer() as producer:
        for ts, name in enumerate(names):
            value = {"quantity": 4000 + ts, "price": 600, "userid": name}
            producer.send(trades, json.dumps(value).encode(), timestamp_ms=100 + ts)
    # Another process without the first one's files: the users come back from the changelog.
    with StreamApplication(log, query, application, state_dir=tmp_path / "b") as again:
        again.run_until_idle(timeout=120)
    quantities = sorted(row["QUANTITY"] for row in read_all(log, out, 2))
    assert quantities == sorted([3000 + n for n in range(6)] + [4000 + n for n in range(6)])
