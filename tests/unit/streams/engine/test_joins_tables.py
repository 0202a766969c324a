"""Table-table joins on the primary key (Kafka Streams' KTable-KTable semantics table) and on
a foreign key (ksqlDB's FK joins: changed foreign keys, right rows shared by many left rows),
and the layout of the planner's Join rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.streams.engine.join_errors import UnsupportedJoin
from streammesh.streams.engine.join_rows import JoinInput, JoinLayout, JoinOutput
from streammesh.streams.engine.join_tables import ForeignKeyJoin, TableTableJoin
from streammesh.streams.plan.nodes import Join, Project, Sink
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements
from streammesh.streams.sql.statements import JoinKind
from tests.unit.streams.engine.joins_support import (
    LAYOUT,
    SEMANTICS_INPUTS,
    Driver,
    L,
    R,
    open_stores,
)
from tests.unit.streams.state.conftest import Stores


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    with open_stores(tmp_path) as opened:
        yield opened


def table_join(stores: Stores, kind: JoinKind) -> TableTableJoin:
    return TableTableJoin(
        kind, left=stores.key_value("left"), right=stores.key_value("right"), layout=LAYOUT
    )


# Kafka Streams' KTable-KTable table (tombstones shown as null).
TABLE_TABLE = {
    JoinKind.INNER: {
        4: ["[A, a]"],
        5: ["[B, a]"],
        6: ["[B, b]"],
        7: ["null"],
        10: ["[C, c]"],
        11: ["null"],
        15: ["[D, d]"],
    },
    JoinKind.LEFT: {
        3: ["[A, null]"],
        4: ["[A, a]"],
        5: ["[B, a]"],
        6: ["[B, b]"],
        7: ["null"],
        9: ["[C, null]"],
        10: ["[C, c]"],
        11: ["[C, null]"],
        12: ["null"],
        15: ["[D, d]"],
    },
    JoinKind.FULL: {
        3: ["[A, null]"],
        4: ["[A, a]"],
        5: ["[B, a]"],
        6: ["[B, b]"],
        7: ["[null, b]"],
        8: ["null"],
        9: ["[C, null]"],
        10: ["[C, c]"],
        11: ["[C, null]"],
        12: ["null"],
        14: ["[null, d]"],
        15: ["[D, d]"],
    },
}


@pytest.mark.parametrize("kind", [JoinKind.INNER, JoinKind.LEFT, JoinKind.FULL])
def test_table_table_semantics_table(stores: Stores, kind: JoinKind) -> None:
    assert Driver(table_join(stores, kind).process).run(SEMANTICS_INPUTS) == TABLE_TABLE[kind]


def test_right_join_is_the_mirror_of_left_join(stores: Stores) -> None:
    mirrored = [(ts, side.other, value) for ts, side, value in SEMANTICS_INPUTS]
    outputs = Driver(table_join(stores, JoinKind.RIGHT).process).run(mirrored)
    swapped = {
        ts: [text if text == "null" else "[{1}, {0}]".format(*text[1:-1].split(", "))]
        for ts, (text,) in TABLE_TABLE[JoinKind.LEFT].items()
    }
    assert outputs == swapped


def test_table_table_timestamps_repeated_rows_and_tombstones_of_missing_keys(
    stores: Stores,
) -> None:
    driver = Driver(table_join(stores, JoinKind.INNER).process)
    assert driver.feed(100, R, "a") == []
    assert driver.feed(50, L, "A") == ["[A, a]@100"]  # the later of the two rows' times
    assert driver.feed(60, L, "A") == ["[A, a]@100"]  # the same row again is output again
    assert driver.feed(70, L, None, key="missing") == []  # a tombstone of a missing key is not
    assert driver.feed(200, R, None) == ["null"]


NULL_NAME = "<null>"


def test_ksqldb_table_to_table_wrapped_single_field(stores: Stores) -> None:
    # ksqlDB's test "table to table wrapped single field value schema on inputs": a row whose
    # value column is NULL is a row, not a tombstone; (ID) alone is a tombstone.
    join = table_join(stores, JoinKind.INNER)
    inputs = [
        (L, "a", 0), (R, "b", 10), (L, NULL_NAME, 20), (R, NULL_NAME, 30), (L, NULL_NAME, 40),
        (L, None, 50), (R, None, 60),
    ]  # fmt: skip
    produced = []
    for side, name, ts in inputs:
        row = None if name is None else (0, None if name is NULL_NAME else name)
        for output in join.process(side, JoinInput((0,), row, ts)).outputs:
            shown = None if output.row is None else (output.row[1], output.row[3])
            produced.append((output.key[0], shown, output.timestamp))
    assert produced == [
        (0, ("a", "b"), 10),
        (0, (None, "b"), 20),
        (0, (None, None), 30),
        (0, (None, None), 40),
        (0, None, 50),
    ]


# -- foreign-key joins --------------------------------------------------------------------------
# Left rows: (order id, customer id, item); right rows: (customer id, name).

FK_LAYOUT = JoinLayout(left_width=3, right_width=2)


def fk_join(stores: Stores, kind: JoinKind) -> ForeignKeyJoin:
    return ForeignKeyJoin(
        kind,
        left=stores.key_value("orders"),
        right=stores.key_value("customers"),
        subscriptions=stores.key_value("subscriptions"),
        foreign_key_column=1,
        layout=FK_LAYOUT,
    )


def order(order_id: int, customer: int | None, item: str | None, ts: int) -> JoinInput:
    return JoinInput((order_id,), None if item is None else (order_id, customer, item), ts)


def customer(customer_id: int, name: str | None, ts: int) -> JoinInput:
    return JoinInput((customer_id,), None if name is None else (customer_id, name), ts)


def shown(outputs: tuple[JoinOutput, ...]) -> list[tuple[object, ...]]:
    return [(*output.key, output.row, output.timestamp) for output in outputs]


def test_foreign_key_inner_join(stores: Stores) -> None:
    join = fk_join(stores, JoinKind.INNER)
    assert shown(join.left(order(1, 10, "pen", 1)).outputs) == []  # no customer 10 yet
    assert shown(join.right(customer(10, "Ann", 2)).outputs) == [(1, (1, 10, "pen", 10, "Ann"), 2)]
    assert shown(join.left(order(2, 10, "ink", 3)).outputs) == [(2, (2, 10, "ink", 10, "Ann"), 3)]
    # A change of the right row updates every left row pointing at it, keyed by the left key.
    assert shown(join.right(customer(10, "Anne", 4)).outputs) == [
        (1, (1, 10, "pen", 10, "Anne"), 4),
        (2, (2, 10, "ink", 10, "Anne"), 4),
    ]
    # Order 1 moves to customer 20, who does not exist: its old result is retracted.
    assert shown(join.left(order(1, 20, "pen", 5)).outputs) == [(1, None, 5)]
    assert shown(join.right(customer(10, "Ann B", 6)).outputs) == [
        (2, (2, 10, "ink", 10, "Ann B"), 6)
    ]
    assert shown(join.right(customer(20, "Bob", 7)).outputs) == [(1, (1, 20, "pen", 20, "Bob"), 7)]
    assert shown(join.right(customer(10, None, 8)).outputs) == [(2, None, 8)]
    assert shown(join.left(order(1, None, None, 9)).outputs) == [(1, None, 9)]
    assert shown(join.right(customer(20, "Bo", 10)).outputs) == []  # nobody points at 20


def test_foreign_key_left_join(stores: Stores) -> None:
    join = fk_join(stores, JoinKind.LEFT)
    assert shown(join.left(order(1, 10, "pen", 1)).outputs) == [(1, (1, 10, "pen", None, None), 1)]
    assert shown(join.right(customer(10, "Ann", 2)).outputs) == [(1, (1, 10, "pen", 10, "Ann"), 2)]
    assert shown(join.left(order(1, None, "pen", 3)).outputs) == [
        (1, (1, None, "pen", None, None), 3)
    ]  # a NULL foreign key joins nothing
    assert shown(join.right(customer(10, "Anne", 4)).outputs) == []  # no longer subscribed
    assert shown(join.left(order(1, 10, "pen", 5)).outputs) == [(1, (1, 10, "pen", 10, "Anne"), 5)]
    assert shown(join.right(customer(10, None, 6)).outputs) == [(1, (1, 10, "pen", None, None), 6)]
    assert shown(join.left(order(1, 10, None, 7)).outputs) == [(1, None, 7)]


def test_foreign_keys_that_share_a_prefix_do_not_mix(stores: Stores) -> None:
    join = ForeignKeyJoin(
        JoinKind.INNER,
        left=stores.key_value("orders"),
        right=stores.key_value("customers"),
        subscriptions=stores.key_value("subscriptions"),
        foreign_key_column=1,
        layout=FK_LAYOUT,
    )
    join.left(JoinInput((1,), (1, "ab", "x"), 1))
    join.left(JoinInput((2,), (2, "a", "y"), 1))
    (output,) = join.right(JoinInput(("a",), ("a", "A"), 2)).outputs
    assert output.key == (2,)


# ksqlDB's tests "Should support inner/left join with left value-column expression": left rows
# (L_ID, NAME, FOREIGN_KEY), right rows (R_ID, F1); outputs (L_ID, R_ID, NAME, F1) or a
# tombstone (L_ID, None).
KSQLDB_FK_INNER = (
    [(R, 0, ("blah",), 0), (L, 1, ("zero", 0), 10000), (L, 0, ("foo", 100), 13000),
     (R, 0, ("a",), 15000), (L, 10, ("bar", 0), 16000), (R, 0, None, 17000),
     (L, 1, None, 18000)],
    [(1, (0, "zero", "blah"), 10000), (1, (0, "zero", "a"), 15000), (10, (0, "bar", "a"), 16000),
     (1, None, 17000), (10, None, 17000), (1, None, 18000)],
)  # fmt: skip
KSQLDB_FK_LEFT = (
    [(L, 1, ("zero", 0), 0), (R, 0, ("blah",), 10000), (L, 1, ("zero", 0), 11000),
     (L, 0, ("foo", 100), 13000), (R, 0, ("a",), 15000), (L, 10, ("bar", 0), 16000),
     (R, 0, None, 17000), (L, 1, None, 18000), (L, 0, None, 19000)],
    [(1, (None, "zero", None), 0), (1, (0, "zero", "blah"), 10000),
     (1, (0, "zero", "blah"), 11000), (0, (None, "foo", None), 13000),
     (1, (0, "zero", "a"), 15000), (10, (0, "bar", "a"), 16000),
     (1, (None, "zero", None), 17000), (10, (None, "bar", None), 17000), (1, None, 18000),
     (0, None, 19000)],
)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "case"), [(JoinKind.INNER, KSQLDB_FK_INNER), (JoinKind.LEFT, KSQLDB_FK_LEFT)]
)
def test_ksqldb_foreign_key_join_cases(
    stores: Stores, kind: JoinKind, case: tuple[list[Any], list[Any]]
) -> None:
    inputs, expected = case
    join = ForeignKeyJoin(
        kind,
        left=stores.key_value("l"),
        right=stores.key_value("r"),
        subscriptions=stores.key_value("s"),
        foreign_key_column=2,
        layout=JoinLayout(left_width=3, right_width=2),
    )
    produced = []
    for side, key, value, ts in inputs:
        row = None if value is None else (key, *value)
        for output in join.process(side, JoinInput((key,), row, ts)).outputs:
            shown = None if output.row is None else (output.row[3], output.row[1], output.row[4])
            produced.append((output.key[0], shown, output.timestamp))
    assert produced == expected


@pytest.mark.parametrize("kind", [JoinKind.RIGHT, JoinKind.FULL])
def test_foreign_key_outer_joins_are_refused(stores: Stores, kind: JoinKind) -> None:
    with pytest.raises(UnsupportedJoin, match="ksqlDB supports only INNER and LEFT"):
        fk_join(stores, kind)


# -- the planner's Join rows --------------------------------------------------------------------


def test_layout_of_a_planned_join_puts_the_join_key_first() -> None:
    text = """
    CREATE STREAM trades (id INT KEY, user_id STRING, price DOUBLE)
      WITH (kafka_topic='t', value_format='JSON');
    CREATE TABLE users (uid STRING PRIMARY KEY, region STRING)
      WITH (kafka_topic='u', value_format='JSON');
    CREATE STREAM enriched AS SELECT t.user_id, t.price, u.region FROM trades t
      LEFT JOIN users u ON t.user_id = u.uid;
    """
    (query,) = plan_statements(parse_statements(text), text=text).queries
    sink = query.plan
    assert isinstance(sink, Sink) and isinstance(sink.input, Project)
    join = sink.input.input
    assert isinstance(join, Join)
    layout = JoinLayout.of(join)
    trade = (
        "7",
        "alice",
        512.5,
        1000,
        0,
        3,
    )  # ID, USER_ID, PRICE, ROWTIME, ROWPARTITION, ROWOFFSET
    user = ("alice", "EU", 900, 0, 8)
    row = layout.row(("alice",), trade, user)
    assert len(row) == len(join.schema.columns)
    assert join.schema.columns[0].name == "USER_ID"
    assert row[0] == "alice" and row[1] == "7" and row[2] == 512.5
    assert row[-4] == "EU"
    assert layout.row(("alice",), trade, None)[-5:] == (None,) * 5
