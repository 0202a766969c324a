"""Joins run by the engine over the embedded log: the reference use cases 2 and 3
(stream-table), stream-stream ``WITHIN`` with out-of-order records, table-table with updates
and tombstones, foreign-key joins, a restart restoring join state, co-partitioning."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from streammesh.streams.engine.join_errors import PartitionMismatch
from streammesh.streams.functions import udf
from streammesh.streams.functions.builtins import builtin_registry
from streammesh.streams.plan.errors import PlanError
from streammesh.streams.planner import PersistentQuery, plan_statements
from streammesh.streams.sql import parse_statements
from streammesh.streams.testing import parse_records


def check(sql: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> None:
    given = parse_records(json.dumps({"inputs": inputs}), "inputs", "input.json")
    expected = parse_records(json.dumps({"outputs": outputs}), "outputs", "output.json")
    comparison = run_test(sql, given, expected)
    assert comparison.passed, comparison.render()


STOCKTRADES = """\
CREATE STREAM stocktrades (side STRING, quantity INT, symbol STRING, price INT,
  account STRING, userid STRING) WITH (kafka_topic='stocktrades', value_format='JSON');
CREATE TABLE users (userid STRING PRIMARY KEY, registertime BIGINT, gender STRING,
  regionid STRING) WITH (kafka_topic='users', value_format='JSON');
"""

HIGH_VALUE = (
    STOCKTRADES
    + """\
CREATE STREAM high_value AS
  SELECT t.userid AS userid, u.regionid, t.symbol, t.quantity, t.price, t.account
  FROM stocktrades t JOIN users u ON t.userid = u.userid
  WHERE price > 500 AND quantity > 2500 EMIT CHANGES;
"""
)

US_TRADES = (
    STOCKTRADES
    + """\
CREATE STREAM us_trades AS
  SELECT t.userid AS userid, u.regionid, u.gender, t.symbol, t.quantity
  FROM stocktrades t JOIN users u ON t.userid = u.userid
  WHERE regionid = 'REGION_1' EMIT CHANGES;
"""
)


def user(userid: str, region: str | None, ts: int, gender: str = "FEMALE") -> dict[str, Any]:
    value = None if region is None else {"registertime": 1, "gender": gender, "regionid": region}
    return {"topic": "users", "key": userid, "value": value, "timestamp": ts}


def stocktrade(userid: str | None, quantity: int, price: int, ts: int) -> dict[str, Any]:
    value = {"side": "BUY", "quantity": quantity, "symbol": "ZVV", "price": price,
             "account": "ABC123", "userid": userid}  # fmt: skip
    return {"topic": "stocktrades", "key": None, "value": value, "timestamp": ts}


def test_reference_use_case_2_high_value_trades() -> None:
    inputs = [
        user("User_1", "REGION_1", 0),
        user("User_2", "REGION_2", 0),
        stocktrade("User_1", 3000, 600, 10),  # joined, passes the WHERE
        stocktrade("User_1", 100, 600, 11),  # joined, too few
        stocktrade("User_9", 3000, 900, 12),  # no such user: an inner join drops it
        stocktrade(None, 3000, 900, 13),  # no user id: dropped
        user("User_2", "REGION_3", 14),  # an update: later trades see it
        stocktrade("User_2", 2600, 501, 15),
        user("User_1", None, 16),  # deleted: later trades of User_1 find no one
        stocktrade("User_1", 3000, 600, 17),
    ]
    outputs = [
        {"topic": "HIGH_VALUE", "key": "User_1", "timestamp": 10,
         "value": {"REGIONID": "REGION_1", "SYMBOL": "ZVV", "QUANTITY": 3000, "PRICE": 600,
                   "ACCOUNT": "ABC123"}},
        {"topic": "HIGH_VALUE", "key": "User_2", "timestamp": 15,
         "value": {"REGIONID": "REGION_3", "SYMBOL": "ZVV", "QUANTITY": 2600, "PRICE": 501,
                   "ACCOUNT": "ABC123"}},
    ]  # fmt: skip
    check(HIGH_VALUE, inputs, outputs)


def test_reference_use_case_3_us_trades() -> None:
    inputs = [
        user("User_1", "REGION_1", 0, gender="MALE"),
        user("User_2", "REGION_2", 0),
        stocktrade("User_1", 5, 10, 10),
        stocktrade("User_2", 5, 10, 11),
        user("User_2", "REGION_1", 12),
        stocktrade("User_2", 7, 10, 13),
    ]
    outputs = [
        {"topic": "US_TRADES", "key": "User_1", "timestamp": 10,
         "value": {"REGIONID": "REGION_1", "GENDER": "MALE", "SYMBOL": "ZVV", "QUANTITY": 5}},
        {"topic": "US_TRADES", "key": "User_2", "timestamp": 13,
         "value": {"REGIONID": "REGION_1", "GENDER": "FEMALE", "SYMBOL": "ZVV",
                   "QUANTITY": 7}},
    ]  # fmt: skip
    check(US_TRADES, inputs, outputs)


def test_stream_table_left_join_keeps_unmatched_stream_rows() -> None:
    sql = STOCKTRADES + (
        "CREATE STREAM all_trades AS SELECT t.userid AS userid, u.regionid, t.quantity"
        " FROM stocktrades t LEFT JOIN users u ON t.userid = u.userid;"
    )
    inputs = [user("User_1", "REGION_1", 0), stocktrade("User_7", 1, 1, 5)]
    inputs.append(stocktrade("User_1", 2, 1, 6))
    outputs = [
        {"topic": "ALL_TRADES", "key": "User_7", "value": {"REGIONID": None, "QUANTITY": 1},
         "timestamp": 5},
        {"topic": "ALL_TRADES", "key": "User_1",
         "value": {"REGIONID": "REGION_1", "QUANTITY": 2}, "timestamp": 6},
    ]  # fmt: skip
    check(sql, inputs, outputs)


CLICKS = """\
CREATE STREAM views (id INT KEY, page STRING) WITH (kafka_topic='views', value_format='JSON');
CREATE STREAM clicks (id INT KEY, button STRING) WITH (kafka_topic='clicks', value_format='JSON');
CREATE STREAM view_clicks AS SELECT v.id AS id, v.page, c.button
  FROM views v LEFT JOIN clicks c WITHIN 10 MILLISECONDS GRACE PERIOD 5 MILLISECONDS
  ON v.id = c.id;
"""


def test_stream_stream_join_within_and_out_of_order_records() -> None:
    def view(key: int, page: str, ts: int) -> dict[str, Any]:
        return {"topic": "views", "key": key, "value": {"page": page}, "timestamp": ts}

    def click(key: int, button: str, ts: int) -> dict[str, Any]:
        return {"topic": "clicks", "key": key, "value": {"button": button}, "timestamp": ts}

    inputs = [
        view(1, "home", 100),
        view(2, "cart", 100),
        click(1, "buy", 108),  # within 10 of the view: joined, at the later time
        click(2, "late", 95),  # out of order but within 10 before: joined
        view(3, "faq", 101),  # no click: output alone once its window closes
        click(1, "again", 200),  # moves stream time past 101 + 10 + 5
        click(3, "too-late", 80),  # 21 before the view: not joined
    ]
    outputs = [
        {"topic": "VIEW_CLICKS", "key": 1, "value": {"PAGE": "home", "BUTTON": "buy"},
         "timestamp": 108},
        {"topic": "VIEW_CLICKS", "key": 2, "value": {"PAGE": "cart", "BUTTON": "late"},
         "timestamp": 100},
        {"topic": "VIEW_CLICKS", "key": 3, "value": {"PAGE": "faq", "BUTTON": None},
         "timestamp": 101},
    ]  # fmt: skip
    check(CLICKS, inputs, outputs)


TABLES = """\
CREATE TABLE accounts (id INT PRIMARY KEY, owner STRING)
  WITH (kafka_topic='accounts', value_format='JSON');
CREATE TABLE limits (id INT PRIMARY KEY, amount INT)
  WITH (kafka_topic='limits', value_format='JSON');
"""


def test_table_table_join_with_updates_and_tombstones() -> None:
    sql = TABLES + (
        "CREATE TABLE account_limits AS SELECT a.id AS id, a.owner, l.amount"
        " FROM accounts a LEFT JOIN limits l ON a.id = l.id;"
    )

    def row(topic: str, key: int, value: dict[str, Any] | None, ts: int) -> dict[str, Any]:
        return {"topic": topic, "key": key, "value": value, "timestamp": ts}

    inputs = [
        row("accounts", 1, {"owner": "ann"}, 1),
        row("limits", 1, {"amount": 10}, 2),
        row("limits", 2, {"amount": 20}, 3),  # no account 2: a LEFT join outputs nothing
        row("limits", 1, {"amount": 15}, 4),  # an update
        row("limits", 1, None, 5),  # the limit is deleted: the account alone
        row("accounts", 1, None, 6),  # the account is deleted: a tombstone
        row("accounts", 3, None, 7),  # a tombstone of a key never seen: nothing
    ]

    def out(value: dict[str, Any] | None, ts: int) -> dict[str, Any]:
        return {"topic": "ACCOUNT_LIMITS", "key": 1, "value": value, "timestamp": ts}

    outputs = [
        out({"OWNER": "ann", "AMOUNT": None}, 1),
        out({"OWNER": "ann", "AMOUNT": 10}, 2),
        out({"OWNER": "ann", "AMOUNT": 15}, 4),
        out({"OWNER": "ann", "AMOUNT": None}, 5),
        out(None, 6),
    ]
    check(sql, inputs, outputs)


def plan_of(sql: str) -> PersistentQuery:
    return plan_statements(parse_statements(sql), text=sql).queries[-1]


def send(log: EventLog, topic: str, key: str, value: dict[str, Any] | None, ts: int) -> None:
    with log.producer() as producer:
        data = None if value is None else json.dumps(value).encode()
        producer.send(topic, data, key=key.encode(), timestamp_ms=ts)


def read(log: EventLog, topic: str) -> list[tuple[str | None, Any, int]]:
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    with log.consumer(options) as reader:
        partition = TopicPartition(topic, 0)
        reader.assign([partition])
        reader.seek_to_beginning()
        end = reader.end_offsets([partition])[partition]
        found = []
        while reader.position(partition) < end:
            found.extend(reader.poll(timeout=0.2))
    return [
        (
            None if r.key is None else r.key.decode(),
            None if r.value is None else json.loads(r.value),
            r.timestamp_ms,
        )
        for r in found
    ]


def test_a_restart_restores_the_join_state_from_its_changelog(tmp_path: Path) -> None:
    log = open_log(f"embedded://{tmp_path}/log")
    for topic in ("stocktrades", "users"):
        log.create_topic(TopicSpec(topic, partitions=1))
    query = plan_of(HIGH_VALUE)
    trade = {"side": "BUY", "quantity": 3000, "symbol": "Z", "price": 600, "account": "A"}
    send(log, "users", "User_1", {"registertime": 1, "gender": "F", "regionid": "R1"}, 0)
    send(log, "stocktrades", "", {**trade, "userid": "User_1"}, 5)
    with StreamApplication(log, query, "review", state_dir=tmp_path / "first") as app:
        assert app.run_until_idle() == 2
        assert app.stats()[0].records_out == 1
    # Another process, without the first one's files: the users table comes back from the
    # changelog, and what was committed is not read again.
    send(log, "stocktrades", "", {**trade, "userid": "User_1", "quantity": 4000}, 6)
    with StreamApplication(log, query, "review", state_dir=tmp_path / "second") as again:
        assert again.run_until_idle() == 1
    outputs = read(log, "HIGH_VALUE")
    assert [(key, value["QUANTITY"], ts) for key, value, ts in outputs] == [
        ("User_1", 3000, 5),
        ("User_1", 4000, 6),
    ]
    assert "review-CSAS_HIGH_VALUE_0-Join-table-changelog" in {
        topic.name for topic in log.list_topics()
    }
    log.close()


def test_inputs_with_different_partition_counts_are_refused(tmp_path: Path) -> None:
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=2))
    log.create_topic(TopicSpec("users", partitions=1))
    with (
        StreamApplication(log, plan_of(HIGH_VALUE), "review") as app,
        pytest.raises(PartitionMismatch) as raised,
    ):
        app.start()
    assert str(raised.value) == (
        "Can't join `T` with `U` since the number of partitions don't match. `T` partitions"
        " = 2; `U` partitions = 1. Please repartition either one so that the number of"
        " partitions match."
    )
    assert "HIGH_VALUE" not in {topic.name for topic in log.list_topics()}  # nothing written
    log.close()


ORDERS = """\
CREATE TABLE orders (id INT PRIMARY KEY, customer INT, item STRING)
  WITH (kafka_topic='orders', value_format='JSON');
CREATE TABLE customers (cid INT PRIMARY KEY, name STRING)
  WITH (kafka_topic='customers', value_format='JSON');
"""


def test_foreign_key_join_is_keyed_by_the_left_primary_key() -> None:
    sql = ORDERS + (
        "CREATE TABLE enriched AS SELECT o.id AS id, o.item, c.name"
        " FROM orders o LEFT JOIN customers c ON o.customer = c.cid;"
    )

    def row(topic: str, key: int, value: dict[str, Any] | None, ts: int) -> dict[str, Any]:
        return {"topic": topic, "key": key, "value": value, "timestamp": ts}

    inputs = [
        row("customers", 7, {"name": "ann"}, 1),
        row("orders", 1, {"customer": 7, "item": "pen"}, 2),
        row("orders", 2, {"customer": 8, "item": "ink"}, 3),  # no customer 8: alone
        row("customers", 7, {"name": "bob"}, 4),  # every order of customer 7 again
        row("orders", 1, None, 5),  # the order is deleted
    ]

    def out(key: int, value: dict[str, Any] | None, ts: int) -> dict[str, Any]:
        return {"topic": "ENRICHED", "key": key, "value": value, "timestamp": ts}

    outputs = [
        out(1, {"ITEM": "pen", "NAME": "ann"}, 2),
        out(2, {"ITEM": "ink", "NAME": None}, 3),
        out(1, {"ITEM": "pen", "NAME": "bob"}, 4),
        out(1, None, 5),
    ]
    check(sql, inputs, outputs)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            STOCKTRADES + "CREATE STREAM o AS SELECT t.userid AS userid, u.regionid"
            " FROM stocktrades t FULL OUTER JOIN users u ON t.userid = u.userid;",
            "Invalid join type: full-outer join not supported for stream-table join. Got"
            " STOCKTRADES [FULL] OUTER JOIN USERS.",
        ),
        (
            STOCKTRADES + "CREATE STREAM o AS SELECT t.userid AS userid, u.regionid"
            " FROM stocktrades t RIGHT JOIN users u ON t.userid = u.userid;",
            "Invalid join order: table-stream joins are not supported; only stream-table"
            " joins. Got USERS LEFT [OUTER] JOIN STOCKTRADES.",
        ),
        (
            ORDERS + "CREATE TABLE o AS SELECT o.id AS id, c.name"
            " FROM orders o FULL JOIN customers c ON o.customer = c.cid;",
            "Invalid join type: full-outer join not supported for foreign-key table-table"
            " join. Got ORDERS [FULL] OUTER JOIN CUSTOMERS.",
        ),
        (
            ORDERS + "CREATE TABLE o AS SELECT o.id AS id, c.name"
            " FROM orders o RIGHT JOIN customers c ON o.customer = c.cid;",
            "Invalid join type: right join not supported for foreign-key table-table join."
            " Got ORDERS RIGHT [OUTER] JOIN CUSTOMERS.",
        ),
        (
            STOCKTRADES + "CREATE TABLE o AS SELECT u.userid AS userid, t.symbol"
            " FROM users u JOIN stocktrades t ON u.userid = t.userid;",
            "Invalid join order: table-stream joins are not supported; only stream-table"
            " joins. Got USERS [INNER] JOIN STOCKTRADES.",
        ),
        (
            STOCKTRADES + "CREATE STREAM o AS SELECT t.userid AS userid, u.gender"
            " FROM stocktrades t LEFT JOIN users u ON t.account = u.regionid;",
            "Invalid join condition: stream-table joins require to join on the table's"
            " primary key. Got T.ACCOUNT = U.REGIONID.",
        ),
        (
            CLICKS.split("CREATE STREAM view_clicks")[0]
            + "CREATE STREAM o AS SELECT v.id AS id, c.button FROM views v"
            " JOIN clicks c ON v.id = c.id;",
            "Stream-Stream joins must have a WITHIN clause specified. None was provided.",
        ),
    ],
)
def test_join_kinds_ksqldb_refuses_are_refused_while_planning(sql: str, message: str) -> None:
    with pytest.raises(PlanError) as raised:
        plan_statements(parse_statements(sql), text=sql)
    assert message in str(raised.value)


def test_a_side_not_keyed_by_its_join_value_is_repartitioned(tmp_path: Path) -> None:
    log = open_log(f"embedded://{tmp_path}/log")
    for topic in ("stocktrades", "users"):
        log.create_topic(TopicSpec(topic, partitions=3))
    users = [f"User_{n}" for n in range(12)]
    with log.producer() as producer:
        for ts, name in enumerate(users):
            value = {"registertime": ts, "gender": "F", "regionid": f"R{ts}"}
            producer.send("users", json.dumps(value).encode(), key=name.encode(), timestamp_ms=0)
        for ts, name in enumerate(users * 2):  # keyless trades: spread over the partitions
            value = {"side": "BUY", "quantity": 3000 + ts, "symbol": "Z", "price": 600,
                     "account": "A", "userid": name}  # fmt: skip
            producer.send("stocktrades", json.dumps(value).encode(), timestamp_ms=10 + ts)
    with StreamApplication(log, plan_of(HIGH_VALUE), "review") as app:
        app.run_until_idle()
        assert app.stats()[0].dead_letters == 0
    topic = "review-CSAS_HIGH_VALUE_0-repartition-left"
    assert log.describe_topic(topic).partitions == 3
    found = []
    for partition in range(3):
        options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED)
        with log.consumer(options) as reader:
            reader.assign([TopicPartition("HIGH_VALUE", partition)])
            reader.seek_to_beginning()
            found.extend(reader.poll(timeout=0.5, max_records=1000))
    joined = sorted((json.loads(r.value or b"{}")["QUANTITY"], r.key) for r in found)
    expected = sorted((3000 + ts, name.encode()) for ts, name in enumerate(users * 2))
    assert joined == expected  # every trade joined its user once, in the user's partition
    assert {r.partition for r in found} == {0, 1, 2}
    log.close()


def test_a_foreign_key_join_over_several_partitions_is_refused(tmp_path: Path) -> None:
    sql = ORDERS + (
        "CREATE TABLE enriched AS SELECT o.id AS id, c.name"
        " FROM orders o JOIN customers c ON o.customer = c.cid;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    for topic in ("orders", "customers"):
        log.create_topic(TopicSpec(topic, partitions=2))
    with (
        StreamApplication(log, plan_of(sql), "fk") as app,
        pytest.raises(UnsupportedPlan, match="a foreign-key JOIN over 2 partitions"),
    ):
        app.start()
    log.close()


ONE = (1).to_bytes(4, "big")
"""The INT key 1 in the KAFKA key format."""


def test_an_interrupted_join_batch_leaves_no_trace_in_state_or_output(tmp_path: Path) -> None:
    # A batch interrupted half way is aborted: its outputs, join state and both inputs'
    # offsets are dropped; processing it again in the same process outputs every joined
    # change once, and a restart finds nothing left to do.
    registry = builtin_registry()
    interruptions = [1]

    @udf(name="flaky_amount", registry=registry)
    def flaky_amount(amount: int) -> int:
        if amount == 99 and interruptions[0] > 0:
            interruptions[0] -= 1
            raise KeyboardInterrupt
        return amount

    sql = TABLES + (
        "CREATE TABLE account_limits AS SELECT a.id AS id, a.owner, FLAKY_AMOUNT(l.amount) AS x"
        " FROM accounts a JOIN limits l ON a.id = l.id;"
    )
    query = plan_statements(parse_statements(sql), text=sql, registry=registry).queries[0]
    log = open_log(f"embedded://{tmp_path}/log")
    for topic in ("accounts", "limits"):
        log.create_topic(TopicSpec(topic, partitions=1))
    with log.producer() as producer:
        for ts, (topic, key, value) in enumerate(
            [
                ("accounts", ONE, {"owner": "ann"}),
                ("limits", ONE, {"amount": 10}),
                ("limits", ONE, {"amount": 99}),
                ("accounts", ONE, {"owner": "bob"}),
            ]
        ):
            producer.send(topic, json.dumps(value).encode(), key=key, timestamp_ms=ts)
    state = tmp_path / "state"
    with StreamApplication(log, query, "limits", registry=registry, state_dir=state) as app:
        with pytest.raises(KeyboardInterrupt):
            app.poll_once()
        assert read(log, "ACCOUNT_LIMITS") == []
        assert app.run_until_idle() == 4  # the same batch again, in the same process
    with StreamApplication(log, query, "limits", registry=registry, state_dir=state) as app:
        assert app.run_until_idle() == 0
    assert [(value["OWNER"], value["X"], ts) for _, value, ts in read(log, "ACCOUNT_LIMITS")] == [
        ("ann", 10, 1),
        ("ann", 99, 2),
        ("bob", 99, 3),
    ]
    log.close()


def test_a_join_on_an_expression_is_keyed_by_the_column_side() -> None:
    sql = (
        "CREATE STREAM s (k STRING KEY, uid INT) WITH (kafka_topic='s', value_format='JSON');"
        "CREATE TABLE t (id BIGINT PRIMARY KEY, name STRING)"
        " WITH (kafka_topic='t', value_format='JSON');"
        "CREATE STREAM o AS SELECT t.id, s.uid, t.name FROM s"
        " LEFT JOIN t ON CAST(s.uid AS BIGINT) = t.id;"
    )
    inputs = [
        {"topic": "t", "key": 5, "value": {"name": "x"}, "timestamp": 0},
        {"topic": "s", "key": "a", "value": {"uid": 5}, "timestamp": 1},
        {"topic": "s", "key": "b", "value": {"uid": 6}, "timestamp": 2},
    ]
    outputs = [
        {"topic": "O", "key": 5, "value": {"UID": 5, "NAME": "x"}, "timestamp": 1},
        {"topic": "O", "key": 6, "value": {"UID": 6, "NAME": None}, "timestamp": 2},
    ]
    check(sql, inputs, outputs)


def test_a_stream_stream_join_restores_its_windows_and_waiting_rows(tmp_path: Path) -> None:
    log = open_log(f"embedded://{tmp_path}/log")
    for topic in ("views", "clicks"):
        log.create_topic(TopicSpec(topic, partitions=1))
    query = plan_of(CLICKS)

    def send_json(topic: str, key: int, value: dict[str, Any], ts: int) -> None:
        with log.producer() as producer:
            data = json.dumps(value).encode()
            producer.send(topic, data, key=key.to_bytes(4, "big"), timestamp_ms=ts)

    send_json("views", 1, {"page": "home"}, 100)  # waits for a click or its window's end
    send_json("views", 2, {"page": "cart"}, 102)
    with StreamApplication(log, query, "views", state_dir=tmp_path / "first") as app:
        assert app.run_until_idle() == 2
    assert read(log, "VIEW_CLICKS") == []
    # Another process: view 2 is found in the restored window store, view 1 is still waiting
    # in the restored shared store and is output alone once stream time passes its window.
    send_json("clicks", 2, {"button": "buy"}, 105)
    send_json("clicks", 9, {"button": "other"}, 130)
    with StreamApplication(log, query, "views", state_dir=tmp_path / "second") as again:
        assert again.run_until_idle() == 2
    rows = [(value["PAGE"], value["BUTTON"], ts) for _, value, ts in read(log, "VIEW_CLICKS")]
    assert rows == [("cart", "buy", 105), ("home", None, 100)]
    log.close()


def test_join_results_do_not_depend_on_how_polls_cut_the_input(tmp_path: Path) -> None:
    # Each view has its click 3 ms later. Polls of 5 records return one topic at a time; a
    # task still takes its records in time order across both inputs (waiting for a partition
    # known to hold more), so no view or click is output alone before its partner is seen.
    sql = CLICKS.replace("LEFT JOIN", "FULL OUTER JOIN").replace(
        "WITHIN 10 MILLISECONDS GRACE PERIOD 5", "WITHIN 5 MILLISECONDS GRACE PERIOD 0"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    for topic in ("views", "clicks"):
        log.create_topic(TopicSpec(topic, partitions=1))
    with log.producer() as producer:
        for n in range(20):
            key = n.to_bytes(4, "big")
            producer.send("views", b'{"page": "p"}', key=key, timestamp_ms=n * 10)
        for n in range(20):
            key = n.to_bytes(4, "big")
            producer.send("clicks", b'{"button": "b"}', key=key, timestamp_ms=n * 10 + 3)
    with StreamApplication(log, plan_of(sql), "cuts") as app:
        processed = 0
        for _ in range(200):
            processed += app.poll_once(max_records=5)
            if processed == 40:
                break
        assert processed == 40
    rows = [(value["PAGE"], value["BUTTON"], ts) for _, value, ts in read(log, "VIEW_CLICKS")]
    assert rows == [("p", "b", n * 10 + 3) for n in range(20)]
    log.close()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.integers(0, 60)), max_size=25),
    st.integers(1, 7),
)
def test_a_full_join_run_by_the_engine_equals_duckdb_whatever_the_poll_size(
    records: list[tuple[bool, int, int]], poll: int
) -> None:
    # Each topic in timestamp order (as producers of event time write it); the engine reads
    # them in polls of `poll` records. Once every window has closed, the output is DuckDB's
    # FULL JOIN with the window as the join condition.
    views = sorted(((key, ts) for is_view, key, ts in records if is_view), key=lambda r: r[1])
    clicks = sorted(((key, ts) for is_view, key, ts in records if not is_view), key=lambda r: r[1])
    sql = CLICKS.replace("LEFT JOIN", "FULL OUTER JOIN")
    with tempfile.TemporaryDirectory() as directory:
        log = open_log(f"embedded://{directory}/log")
        for topic in ("views", "clicks"):
            log.create_topic(TopicSpec(topic, partitions=1))
        with log.producer() as producer:
            for n, (key, ts) in enumerate(views):
                value = json.dumps({"page": f"v{n}"}).encode()
                producer.send("views", value, key=key.to_bytes(4, "big"), timestamp_ms=ts)
            for n, (key, ts) in enumerate(clicks):
                value = json.dumps({"button": f"c{n}"}).encode()
                producer.send("clicks", value, key=key.to_bytes(4, "big"), timestamp_ms=ts)
            # Records of another key far later close every window.
            producer.send("views", b'{"page": "end"}', key=b"\0\0\0\x09", timestamp_ms=10_000)
            producer.send("clicks", b'{"button": "end"}', key=b"\0\0\0\x09", timestamp_ms=10_000)
        with StreamApplication(log, plan_of(sql), "prop", state_dir=f"{directory}/s") as app:
            processed = 0
            for _ in range(500):
                processed += app.poll_once(timeout=0.01, max_records=poll)
                if processed == len(views) + len(clicks) + 2:
                    break
        produced = Counter(
            (value["PAGE"], value["BUTTON"])
            for _, value, _ in read(log, "VIEW_CLICKS")
            if "end" not in (value["PAGE"], value["BUTTON"])
        )
        log.close()
    connection = duckdb.connect()
    connection.execute("CREATE TABLE v (k INT, ts BIGINT, page TEXT)")
    connection.execute("CREATE TABLE c (k INT, ts BIGINT, button TEXT)")
    for n, (key, ts) in enumerate(views):
        connection.execute("INSERT INTO v VALUES (?, ?, ?)", [key, ts, f"v{n}"])
    for n, (key, ts) in enumerate(clicks):
        connection.execute("INSERT INTO c VALUES (?, ?, ?)", [key, ts, f"c{n}"])
    expected = Counter(
        tuple(row)
        for row in connection.execute(
            "SELECT v.page, c.button FROM v FULL JOIN c"
            " ON v.k = c.k AND c.ts BETWEEN v.ts - 10 AND v.ts + 10"
        ).fetchall()
    )
    assert produced == expected
