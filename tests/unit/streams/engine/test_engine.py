"""The stateless engine over the embedded log: ksqlDB-style cases (statements, input records,
expected output records) run through ``run_test``, plus dead letters, timestamps, restarts
and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.streams.engine import StreamApplication, UnsupportedPlan
from streammesh.streams.engine.harness import run_test
from streammesh.streams.functions import udf
from streammesh.streams.functions.builtins import builtin_registry
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements
from streammesh.streams.testing import MalformedTestFile, parse_records


def check(sql: str, inputs: list[dict[str, object]], outputs: list[dict[str, object]]) -> str:
    given = parse_records(json.dumps({"inputs": inputs}), "inputs", "input.json")
    expected = parse_records(json.dumps({"outputs": outputs}), "outputs", "output.json")
    comparison = run_test(sql, given, expected)
    assert comparison.passed, comparison.render()
    return comparison.render()


TRADES = (
    "CREATE STREAM trades (id INT KEY, symbol STRING, price DOUBLE, qty INT)"
    " WITH (kafka_topic='trades', value_format='JSON');\n"
)


def trade(key: int, symbol: str | None, price: float, qty: int, ts: int) -> dict[str, object]:
    value = {"symbol": symbol, "price": price, "qty": qty}
    return {"topic": "trades", "key": key, "value": value, "timestamp": ts}


def test_filter_and_projection_keep_key_and_timestamp() -> None:
    check(
        TRADES + "CREATE STREAM big AS SELECT id, UCASE(symbol) AS sym, price * qty AS total"
        " FROM trades WHERE price > 500 AND qty > 2;",
        [trade(1, "abc", 600.0, 3, 10), trade(2, "x", 6.0, 3, 11), trade(3, "q", 700.0, 1, 12)],
        [{"topic": "BIG", "key": 1, "value": {"SYM": "ABC", "TOTAL": 1800.0}, "timestamp": 10}],
    )


def test_case_cast_and_functions() -> None:
    check(
        TRADES + "CREATE STREAM out AS SELECT id, CASE WHEN qty > 10 THEN 'large' ELSE 'small'"
        " END AS sz, CAST(price AS INT) AS p, CONCAT(symbol, '!') AS s,"
        " SUBSTRING(symbol, 2) AS tail FROM trades;",
        [trade(1, "abc", 9.7, 20, 1), trade(2, "xy", 1.2, 1, 2)],
        [
            {"topic": "OUT", "key": 1, "value": {"SZ": "large", "P": 9, "S": "abc!", "TAIL": "bc"}},
            {"topic": "OUT", "key": 2, "value": {"SZ": "small", "P": 1, "S": "xy!", "TAIL": "y"}},
        ],
    )


def test_nulls_follow_ksqldb() -> None:
    # A record without a value is not a row of a stream; NULL in arithmetic is NULL; a WHERE
    # that is NULL drops the row.
    check(
        TRADES + "CREATE STREAM out AS SELECT id, price + qty AS s, symbol IS NULL AS missing"
        " FROM trades WHERE qty <> 0;",
        [
            {"topic": "trades", "key": 9, "value": None, "timestamp": 1},
            {"topic": "trades", "key": 1, "value": {"symbol": None, "price": None, "qty": 1}},
            {"topic": "trades", "key": 2, "value": {"symbol": "a", "price": 1.0, "qty": None}},
            {"topic": "trades", "key": None, "value": {"symbol": "b", "price": 2.0, "qty": 3}},
        ],
        [
            {"topic": "OUT", "key": 1, "value": {"S": None, "MISSING": True}},
            {"topic": "OUT", "key": None, "value": {"S": 5.0, "MISSING": False}},
        ],
    )


def test_partition_by_rekeys_and_delimited_output() -> None:
    check(
        TRADES + "CREATE STREAM bysym WITH (value_format='DELIMITED') AS SELECT symbol, id, price"
        " FROM trades PARTITION BY symbol;",
        [trade(1, "abc", 1.5, 1, 5), trade(2, None, 2.5, 1, 6)],
        [
            {"topic": "BYSYM", "key": "abc", "value": "1,1.5", "timestamp": 5},
            {"topic": "BYSYM", "key": None, "value": "2,2.5", "timestamp": 6},
        ],
    )


def test_delimited_input_and_kafka_value_format() -> None:
    check(
        "CREATE STREAM raw (id BIGINT KEY, name STRING, age INT)"
        " WITH (kafka_topic='raw', value_format='DELIMITED');\n"
        "CREATE STREAM names WITH (kafka_topic='names', value_format='KAFKA') AS"
        " SELECT id, name FROM raw WHERE age >= 18;",
        [
            {"topic": "raw", "key": 1, "value": "alice,30"},
            {"topic": "raw", "key": 2, "value": "bob,12"},
        ],
        [{"topic": "names", "key": 1, "value": "alice"}],
    )


def test_insert_into_merges_two_streams() -> None:
    check(
        TRADES + "CREATE STREAM other (id INT KEY, symbol STRING, price DOUBLE, qty INT)"
        " WITH (kafka_topic='other', value_format='JSON');\n"
        "CREATE STREAM all_trades AS SELECT id, symbol FROM trades;\n"
        "INSERT INTO all_trades SELECT id, symbol FROM other;",
        [trade(1, "a", 1.0, 1, 1), {"topic": "other", "key": 2, "value": {"symbol": "b"}}],
        [
            {"topic": "ALL_TRADES", "key": 1, "value": {"SYMBOL": "a"}},
            {"topic": "ALL_TRADES", "key": 2, "value": {"SYMBOL": "b"}},
        ],
    )


def test_a_query_reading_another_querys_output() -> None:
    check(
        TRADES + "CREATE STREAM big AS SELECT id, symbol, qty FROM trades WHERE qty > 1;\n"
        "CREATE STREAM bigger AS SELECT id, symbol FROM big WHERE qty > 5;",
        [trade(1, "a", 1.0, 2, 1), trade(2, "b", 1.0, 9, 2)],
        [{"topic": "BIGGER", "key": 2, "value": {"SYMBOL": "b"}, "timestamp": 2}],
    )


def test_timestamp_column_sets_rowtime() -> None:
    check(
        "CREATE STREAM ev (id INT KEY, ts BIGINT, v STRING)"
        " WITH (kafka_topic='ev', value_format='JSON', timestamp='ts');\n"
        "CREATE STREAM out AS SELECT id, v, ROWTIME AS rt FROM ev;",
        [{"topic": "ev", "key": 1, "value": {"ts": 5000, "v": "x"}, "timestamp": 1}],
        [{"topic": "OUT", "key": 1, "value": {"V": "x", "RT": 5000}, "timestamp": 5000}],
    )


def test_a_table_query_deletes_what_its_where_drops() -> None:
    check(
        "CREATE TABLE users (id INT PRIMARY KEY, name STRING, region STRING)"
        " WITH (kafka_topic='users', value_format='JSON');\n"
        "CREATE TABLE eu AS SELECT id, UCASE(name) AS name FROM users WHERE region = 'EU';",
        [
            {"topic": "users", "key": 1, "value": {"name": "ann", "region": "EU"}},
            {"topic": "users", "key": 2, "value": {"name": "bob", "region": "US"}},
            {"topic": "users", "key": 1, "value": None},
        ],
        [
            {"topic": "EU", "key": 1, "value": {"NAME": "ANN"}},
            {"topic": "EU", "key": 2, "value": None},
            {"topic": "EU", "key": 1, "value": None},
        ],
    )


def test_a_difference_is_rendered() -> None:
    given = parse_records(json.dumps({"inputs": [trade(1, "a", 1.0, 1, 7)]}), "inputs", "i")
    expected = parse_records(
        json.dumps({"outputs": [{"topic": "OUT", "key": 1, "value": {"SYMBOL": "b"}}]}),
        "outputs",
        "o",
    )
    comparison = run_test(
        TRADES + "CREATE STREAM out AS SELECT id, symbol FROM trades;", given, expected
    )
    assert not comparison.passed
    assert 'value.SYMBOL: expected "b"' in comparison.render()


def test_input_for_an_undeclared_topic_is_refused() -> None:
    given = parse_records(
        json.dumps({"inputs": [{"topic": "nope", "value": 1}]}), "inputs", "i.json"
    )
    expected = parse_records(
        json.dumps({"outputs": [{"topic": "OUT", "value": 1}]}), "outputs", "o"
    )
    with pytest.raises(
        MalformedTestFile, match=r"input.json: at \$.inputs\[0\].topic: topic 'nope'"
    ):
        run_test(TRADES + "CREATE STREAM out AS SELECT id, symbol FROM trades;", given, expected)


# -- the application over a log ---------------------------------------------------------


def read(log: EventLog, topic: str) -> list[tuple[bytes | None, bytes | None, int]]:
    partitions = [TopicPartition(topic, p) for p in range(log.describe_topic(topic).partitions)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    with log.consumer(options) as reader:
        reader.assign(partitions)
        ends = reader.end_offsets(partitions)
        records = []
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            records.extend(reader.poll(timeout=0.1))
    return [(r.key, r.value, r.timestamp_ms) for r in records]


def test_failing_udf_and_bad_bytes_go_to_dead_letters(tmp_path: Path) -> None:
    registry = builtin_registry()

    @udf(name="checked", registry=registry)
    def checked(text: str) -> str:
        if text == "boom":
            raise ValueError("refused boom")
        return text

    text = (
        "CREATE STREAM s (v STRING) WITH (kafka_topic='s', value_format='JSON');\n"
        "CREATE STREAM out AS SELECT CHECKED(v) AS c FROM s;"
    )
    script = plan_statements(parse_statements(text), text=text, registry=registry)
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("s"))
    with log.producer() as producer:
        for value in (b'{"V": "a"}', b'{"V": "boom"}', b"not json", b'{"V": "b"}'):
            producer.send("s", value, timestamp_ms=3)
    with StreamApplication(log, script.queries[0], "app", registry=registry) as app:
        assert app.guarantee == "exactly_once"
        assert app.run_until_idle() == 4
        assert app.stats()[0].dead_letters == 2
    assert [value for _, value, _ in read(log, "OUT")] == [b'{"C":"a"}', b'{"C":"b"}']
    letters = [json.loads(value or b"") for _, value, _ in read(log, "app.dead-letter")]
    assert [(letter["offset"], letter["query"]) for letter in letters] == [
        (1, "CSAS_OUT_0"),
        (2, "CSAS_OUT_0"),
    ]
    assert "refused boom" in letters[0]["reason"]
    assert "cannot deserialize a JSON record" in letters[1]["reason"]
    log.close()


def test_a_restarted_application_resumes_after_its_committed_input(tmp_path: Path) -> None:
    text = TRADES + "CREATE STREAM out AS SELECT id, qty FROM trades;"
    script = plan_statements(parse_statements(text), text=text)
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("trades", partitions=2))
    with log.producer() as producer:
        for i in range(10):
            producer.send("trades", b'{"QTY": %d}' % i, key=b"\x00\x00\x00\x01", partition=i % 2)
    with StreamApplication(log, script.queries[0], "app") as app:
        assert app.run_until_idle() == 10
        assert sorted(app.stats()) == [0, 1]
    assert log.describe_topic("OUT").partitions == 2
    with StreamApplication(log, script.queries[0], "app") as again:
        assert again.run_until_idle() == 0
    assert len(read(log, "OUT")) == 10
    log.close()


def test_a_group_by_over_a_join_is_refused_by_name(tmp_path: Path) -> None:
    text = TRADES + (
        "CREATE TABLE users (id INT PRIMARY KEY, name STRING)"
        " WITH (kafka_topic='users', value_format='JSON');"
        "CREATE TABLE named AS SELECT u.name, COUNT(*) AS n FROM trades t"
        " JOIN users u ON t.id = u.id GROUP BY u.name;"
    )
    script = plan_statements(parse_statements(text), text=text)
    log = open_log(f"embedded://{tmp_path}/log")
    with pytest.raises(UnsupportedPlan, match="CTAS_NAMED_0: a GROUP BY over a JOIN"):
        StreamApplication(log, script.queries[0], "app")
    log.close()


def test_sink_timestamp_column_sets_the_output_timestamp() -> None:
    check(
        TRADES + "CREATE STREAM out WITH (timestamp='event_at') AS"
        " SELECT id, ROWTIME + qty AS event_at FROM trades;",
        [trade(1, "a", 1.0, 5, 100)],
        [{"topic": "OUT", "key": 1, "value": {"EVENT_AT": 105}, "timestamp": 105}],
    )
