"""Several StreamApplication objects with one name share the input through the consumer group,
on the embedded log and on Kafka (tansu): each runs the tasks of the partitions it is given;
when one closes, another takes its partitions over and restores their state from the
changelogs — every record processed once, none missed."""

from __future__ import annotations

import json
import struct
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    Record,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.streams.engine import StreamApplication
from streammesh.streams.engine.instance import claim_instance
from streammesh.streams.planner import PersistentQuery, plan_statements
from streammesh.streams.runner import StreamsRunner
from streammesh.streams.sql import parse_statements
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

PARTITIONS = 4
WAIT_S = 30.0


@pytest.fixture(
    params=[
        pytest.param("embedded", id="embedded"),
        pytest.param("kafka", id="kafka", marks=pytest.mark.kafka),
    ]
)
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    if request.param == "embedded":
        url = f"embedded://{tmp_path}/log"
    else:
        url = f"kafka://{request.getfixturevalue('kafka_bootstrap')}"
    opened = open_log(url)
    yield opened
    opened.close()


@pytest.fixture
def names() -> Callable[[str], str]:
    """Topic and application names unique to the test (the Kafka broker is shared)."""
    suffix = uuid.uuid4().hex[:8]
    return lambda name: f"{name}-{suffix}"


def query(sql: str) -> PersistentQuery:
    return plan_statements(parse_statements(sql), text=sql).queries[0]


def application(log: EventLog, sql: str, name: str, state: Path) -> StreamApplication:
    return StreamApplication(
        log,
        query(sql),
        name,
        state_dir=state,
        session_timeout_ms=GROUP_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=GROUP_HEARTBEAT_INTERVAL_MS,
    )


def int_key(value: int) -> bytes:
    return struct.pack(">i", value)  # the KAFKA format of an INT key


def processed(log: EventLog, group: str, topics: Sequence[str]) -> bool:
    """The group committed every record of ``topics``."""
    for topic in topics:
        ends = log.describe_topic(topic).end_offsets
        committed = log.committed_offsets(group, topic)
        if any((committed.get(p) or 0) < end for p, end in ends.items()):
            return False
    return True


def drive(apps: Sequence[StreamApplication], until: Callable[[], bool]) -> None:
    """Poll every application in turn (group membership moves only while members poll)
    until ``until()``."""
    deadline = time.monotonic() + WAIT_S
    while not until():
        assert time.monotonic() < deadline, [sorted(app.stats()) for app in apps]
        for app in apps:
            app.poll_once(timeout=0.05)


def split(apps: Sequence[StreamApplication]) -> bool:
    """Every partition runs in exactly one application, and every application runs some."""
    owned = [sorted(app.stats()) for app in apps]
    held = [p for partitions in owned for p in partitions]
    return all(owned) and sorted(held) == list(range(PARTITIONS))


def read_committed(log: EventLog, topic: str) -> list[Record]:
    partitions = [TopicPartition(topic, p) for p in range(log.describe_topic(topic).partitions)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    found: list[Record] = []
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        deadline = time.monotonic() + WAIT_S
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline
            found.extend(reader.poll(timeout=0.2))
    return found


def values(records: Sequence[Record]) -> list[Any]:
    return [json.loads(record.value or b"null") for record in records]


def test_two_applications_split_the_partitions_and_process_each_record_once(
    log: EventLog, names: Callable[[str], str], tmp_path: Path
) -> None:
    trades, out, name = names("trades"), names("big"), names("share")
    sql = (
        f"CREATE STREAM trades (id INT KEY, qty INT) WITH (kafka_topic='{trades}',"
        " value_format='JSON');\n"
        f"CREATE STREAM big WITH (kafka_topic='{out}') AS SELECT id, qty FROM trades"
        " WHERE qty % 2 = 0;"
    )
    log.create_topic(TopicSpec(trades, partitions=PARTITIONS))
    first = application(log, sql, name, tmp_path / "first")
    second = application(log, sql, name, tmp_path / "second")
    with first, second:
        first.start()
        second.start()
        # Split first, then the records: on a loaded machine the first member could process
        # them all before the second one joined.
        drive([first, second], lambda: split([first, second]))
        with log.producer() as producer:
            for n in range(200):
                producer.send(trades, b'{"QTY": %d}' % n, key=int_key(n % 20), timestamp_ms=1 + n)
        drive([first, second], lambda: split([first, second]) and processed(log, name, [trades]))
        assert len(first.stats()) == len(second.stats()) == 2
        assert first.instance is not None and second.instance is not None
        assert first.instance != second.instance
        totals = [first.totals().records_in, second.totals().records_in]
    assert sum(totals) == 200 and all(totals)
    quantities = Counter(value["QTY"] for value in values(read_committed(log, out)))
    assert quantities == Counter(range(0, 200, 2))  # each even quantity once


COUNTS = """
CREATE STREAM clicks (id INT KEY, page STRING) WITH (kafka_topic='{clicks}', value_format='JSON');
CREATE TABLE counts WITH (kafka_topic='{out}') AS
  SELECT id, COUNT(*) AS n FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY id EMIT CHANGES;
"""


def test_a_windowed_count_moves_to_the_remaining_application_with_its_state(
    log: EventLog, names: Callable[[str], str], tmp_path: Path
) -> None:
    clicks, out, name = names("clicks"), names("counts"), names("counter")
    sql = COUNTS.format(clicks=clicks, out=out)
    log.create_topic(TopicSpec(clicks, partitions=PARTITIONS))
    expected: Counter[bytes] = Counter()

    def send(start: int, count: int) -> None:
        with log.producer() as producer:
            for n in range(start, start + count):
                # Every key in three windows (a timestamp of 0 would mean "now" to librdkafka).
                key, ts = n % 12, 10_000 + (n % 3) * 10_000
                producer.send(clicks, b'{"PAGE": "p"}', key=int_key(key), timestamp_ms=ts)
                expected[int_key(key) + struct.pack(">q", ts)] += 1

    send(0, 120)
    staying = application(log, sql, name, tmp_path / "staying")
    leaving = application(log, sql, name, tmp_path / "leaving")
    with staying:
        with leaving:
            staying.start()
            leaving.start()
            both = [staying, leaving]
            drive(both, lambda: split(both) and processed(log, name, [clicks]))
            assert len(leaving.stats()) == 2
        send(120, 120)  # the same keys and windows: their counts go on from the first half
        drive([staying], lambda: split([staying]) and processed(log, name, [clicks]))
        assert sorted(staying.stats()) == list(range(PARTITIONS))
    final = {record.key: json.loads(record.value or b"null") for record in read_committed(log, out)}
    assert {key: value["N"] for key, value in final.items()} == dict(expected)


JOIN = """
CREATE STREAM trades (id INT KEY, qty INT) WITH (kafka_topic='{trades}', value_format='JSON');
CREATE TABLE users (id INT PRIMARY KEY, region STRING)
  WITH (kafka_topic='{users}', value_format='JSON');
CREATE STREAM enriched WITH (kafka_topic='{out}') AS
  SELECT t.id, u.region, t.qty FROM trades t JOIN users u ON t.id = u.id EMIT CHANGES;
"""


def test_a_stream_table_join_moves_to_the_remaining_application_with_its_table(
    log: EventLog, names: Callable[[str], str], tmp_path: Path
) -> None:
    trades, users, out, name = names("trades"), names("users"), names("out"), names("join")
    sql = JOIN.format(trades=trades, users=users, out=out)
    for topic in (trades, users):
        log.create_topic(TopicSpec(topic, partitions=PARTITIONS))

    def send(start: int, count: int) -> None:
        with log.producer() as producer:
            for n in range(start, start + count):
                value = b'{"QTY": %d}' % n
                producer.send(trades, value, key=int_key(n % 12), timestamp_ms=1_000 + n)

    with log.producer() as producer:  # the table, read before any trade (earlier times)
        for user in range(12):
            region = b'{"REGION": "R%d"}' % user
            producer.send(users, region, key=int_key(user), timestamp_ms=1)
    send(0, 60)
    staying = application(log, sql, name, tmp_path / "staying")
    leaving = application(log, sql, name, tmp_path / "leaving")
    with staying:
        with leaving:
            staying.start()
            leaving.start()
            both = [staying, leaving]
            drive(both, lambda: split(both) and processed(log, name, [trades, users]))
            assert len(leaving.stats()) == 2
        # The remaining application takes every partition over first: a rebalance in the
        # middle of its transactions would abort one, and tansu (unlike Kafka) hands an
        # aborted transaction's records to read_committed readers (seen once under load).
        drive([staying], lambda: split([staying]))
        # Trades of the users whose rows the closed application held: joined only if the
        # table is restored from its changelog.
        send(60, 60)
        drive([staying], lambda: split([staying]) and processed(log, name, [trades, users]))
    joined = values(read_committed(log, out))
    assert sorted(value["QTY"] for value in joined) == list(range(120))
    assert all(value["REGION"] == f"R{value['QTY'] % 12}" for value in joined)


def test_an_instance_id_is_kept_for_the_next_process_with_the_same_state_dir(
    tmp_path: Path,
) -> None:
    first = claim_instance(tmp_path / "app")
    second = claim_instance(tmp_path / "app")  # another process running at the same time
    assert first.id != second.id
    first.release()
    again = claim_instance(tmp_path / "app")  # a restart after the first one ended
    assert again.id == first.id
    again.release()
    second.release()


def test_streams_runners_of_one_application_report_the_partitions_each_runs(
    tmp_path: Path,
) -> None:
    log = open_log(f"embedded://{tmp_path}/log")
    sql = (
        "CREATE STREAM trades (id INT KEY, qty INT) WITH (kafka_topic='trades',"
        " value_format='JSON');\nCREATE STREAM big AS SELECT id, qty FROM trades;"
    )
    log.create_topic(TopicSpec("trades", partitions=PARTITIONS))
    with log.producer() as producer:
        for n in range(40):
            producer.send("trades", b'{"QTY": %d}' % n, key=int_key(n), timestamp_ms=1 + n)
    runners = [
        StreamsRunner(log, [query(sql)], "shared", state_dir=tmp_path / f"state-{n}")
        for n in range(2)
    ]
    try:
        for runner in runners:
            runner.start()
        deadline = time.monotonic() + WAIT_S
        while True:
            for runner in runners:
                runner.poll_round()
            progress = [runner.progress()[0] for runner in runners]
            if sum(item.records_in for item in progress) == 40 and all(
                item.partitions for item in progress
            ):
                break
            assert time.monotonic() < deadline, progress
    finally:
        for runner in runners:
            runner.close()
        log.close()
    assert sorted(p for item in progress for p in item.partitions) == list(range(PARTITIONS))
