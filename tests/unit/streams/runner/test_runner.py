"""``StreamsRunner``: every persistent query of a script in one process over the embedded log,
stopped by a flag, resumed without duplicates; and what ``query_layouts`` says a query
creates."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
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
from streammesh.streams import QueryProgress, StreamsRunner, query_layouts
from streammesh.streams.planner import Script, plan_statements
from streammesh.streams.sql import parse_statements

SCRIPT = """
CREATE STREAM trades (id INT KEY, price INT) WITH (kafka_topic='trades', key_format='JSON',
  value_format='JSON');
CREATE STREAM expensive AS SELECT id, price FROM trades WHERE price > 500 EMIT CHANGES;
CREATE STREAM very AS SELECT id, price * 2 AS doubled FROM expensive WHERE price > 650;
"""


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = open_log(f"embedded://{tmp_path / 'log'}")
    try:
        yield opened
    finally:
        opened.close()


def _script(text: str = SCRIPT) -> Script:
    return plan_statements(parse_statements(text), text=text)


def _send(log: EventLog, prices: list[int]) -> None:
    with log.producer() as producer:
        for n, price in enumerate(prices):
            producer.send("trades", json.dumps({"PRICE": price}).encode(), key=str(n).encode())
        producer.flush()


def _read(log: EventLog, topic: str) -> list[dict[str, int]]:
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED)
    with log.consumer(options) as consumer:
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek_to_beginning()
        return [json.loads(r.value or b"null") for r in consumer.poll(timeout=0.5)]


def _run_until(runner: StreamsRunner, done: int) -> list[list[int]]:
    """Run until the queries wrote ``done`` records in all; the records out per report."""
    reports: list[list[int]] = []
    stop = threading.Event()

    def report(progress: Sequence[QueryProgress]) -> None:
        counts = [item.records_out for item in progress]
        reports.append(counts)
        if sum(counts) >= done:
            stop.set()

    runner.run(stop.is_set, report=report, interval=0.05)
    return reports


def test_every_query_runs_and_a_restart_outputs_nothing_twice(log: EventLog) -> None:
    log.create_topic(TopicSpec("trades", partitions=1))
    _send(log, [100, 600, 700, 900])
    script = _script()
    with StreamsRunner(log, script.queries, "chain") as runner:
        assert [app.name for app in runner.applications] == [
            "chain-csas_expensive_0",
            "chain-csas_very_1",
        ]
        _run_until(runner, 5)
        [first, second] = runner.progress()
        assert (first.records_in, first.records_out, first.lag) == (4, 3, 0)
        assert (second.sink, second.records_out) == ("VERY", 2)
    _send(log, [800])
    with StreamsRunner(log, script.queries, "chain") as runner:
        _run_until(runner, 2)
        assert [item.records_in for item in runner.progress()] == [1, 1]
    assert [row["PRICE"] for row in _read(log, "EXPENSIVE")] == [600, 700, 900, 800]
    assert [row["DOUBLED"] for row in _read(log, "VERY")] == [1400, 1800, 1600]


def test_a_single_query_runs_as_the_application_itself(log: EventLog) -> None:
    [query, _] = _script().queries
    runner = StreamsRunner(log, [query], "alone")
    assert [app.name for app in runner.applications] == ["alone"]
    runner.close()


def test_a_missing_input_topic_is_refused_before_anything_is_created(log: EventLog) -> None:
    with StreamsRunner(log, _script().queries, "none") as runner, pytest.raises(TopicNotFound):
        runner.check_inputs()  # VERY reads EXPENSIVE, created by the first query: not asked
    assert log.list_topics() == []


def test_layouts_name_stores_changelogs_and_dead_letters(log: EventLog) -> None:
    script = _script(
        SCRIPT + "CREATE TABLE counts AS SELECT id, COUNT(*) AS n FROM trades"
        " WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY id;"
    )
    layouts = query_layouts(log, script.queries, "app")
    assert layouts[0].state_stores == ()
    assert layouts[0].internal_topics == ("app-csas_expensive_0.dead-letter",)
    counts = layouts[2]
    store = "CTAS_COUNTS_2-Aggregate-Materialize"
    assert (store, f"app-ctas_counts_2-{store}-changelog") in counts.state_stores
    assert counts.not_supported is None
    assert log.list_topics() == []  # nothing created


JOIN = """
CREATE STREAM clicks (user_id INT KEY, url STRING) WITH (kafka_topic='clicks', key_format='JSON',
  value_format='JSON');
CREATE TABLE users (id INT PRIMARY KEY, name STRING) WITH (kafka_topic='users',
  key_format='JSON', value_format='JSON');
CREATE STREAM named AS SELECT c.user_id, c.url, u.name FROM clicks c
  JOIN users u ON c.user_id = u.id EMIT CHANGES;
"""


def test_a_join_reads_both_inputs_and_has_its_table_store(log: EventLog) -> None:
    queries = _script(JOIN).queries
    [layout] = query_layouts(log, queries, "joiner")
    assert layout.not_supported is None
    assert ("CSAS_NAMED_0-Join-table", "joiner-CSAS_NAMED_0-Join-table-changelog") in [
        (store, topic) for store, topic in layout.state_stores
    ]
    log.create_topic(TopicSpec("clicks", partitions=1))
    with StreamsRunner(log, queries, "joiner") as runner:
        with pytest.raises(TopicNotFound, match="users"):
            runner.check_inputs()
        log.create_topic(TopicSpec("users", partitions=1))
        runner.check_inputs()
        with log.producer() as producer:
            producer.send("users", b'{"NAME": "ada"}', key=b"1")
            producer.send("clicks", b'{"URL": "/a"}', key=b"1")
            producer.flush()
        runner.start()
        [progress] = runner.progress()
        assert progress.lag == 2  # one record on each input
        _run_until(runner, 1)
    assert _read(log, "NAMED") == [{"URL": "/a", "NAME": "ada"}]
