"""Stream-stream and stream-table joins: Kafka Streams' semantics tables, windows and grace
periods, late and out-of-order records, NULL keys, and state that survives a restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest

from streammesh.streams.engine.join_errors import JoinStoreTooShort, UnsupportedJoin
from streammesh.streams.engine.join_rows import JoinInput, Side
from streammesh.streams.engine.joins import LEGACY_GRACE_MS, StreamStreamJoin, StreamTableJoin
from streammesh.streams.sql.statements import JoinKind, JoinWindow
from tests.unit.streams.engine.joins_support import (
    LAYOUT,
    SEMANTICS_INPUTS,
    Driver,
    L,
    R,
    open_stores,
)
from tests.unit.streams.state.conftest import Stores

SECOND = 1000


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    with open_stores(tmp_path) as opened:
        yield opened


def stream_join(stores: Stores, kind: JoinKind, window: JoinWindow) -> StreamStreamJoin:
    retention = StreamStreamJoin.retention_ms(window)
    return StreamStreamJoin(
        kind,
        window,
        left_store=stores.window("join-this", retention_ms=retention),
        right_store=stores.window("join-other", retention_ms=retention),
        shared=stores.key_value("join-shared"),
        left_column=0,
        right_column=0,
        layout=LAYOUT,
    )


# Kafka Streams' KStream-KStream table: every record in one window (WITHIN 1 minute here).
ONE_WINDOW_MATCHES = {
    4: ["[A, a]"],
    5: ["[B, a]"],
    6: ["[A, b]", "[B, b]"],
    9: ["[C, a]", "[C, b]"],
    10: ["[A, c]", "[B, c]", "[C, c]"],
    14: ["[A, d]", "[B, d]", "[C, d]"],
    15: ["[D, a]", "[D, b]", "[D, c]", "[D, d]"],
}


@pytest.mark.parametrize("kind", [JoinKind.INNER, JoinKind.LEFT, JoinKind.FULL])
def test_stream_stream_semantics_table_with_grace_period(stores: Stores, kind: JoinKind) -> None:
    # With GRACE PERIOD a left/outer record without a partner waits for its window to close:
    # every record here finds one, so LEFT and FULL give exactly the INNER results.
    join = stream_join(stores, kind, JoinWindow(60 * SECOND, 60 * SECOND, 0))
    driver = Driver(join.process)
    assert driver.run(SEMANTICS_INPUTS) == ONE_WINDOW_MATCHES
    assert driver.dropped == ["null value"] * 7


@pytest.mark.parametrize(
    ("kind", "eager"),
    [
        (JoinKind.INNER, {}),
        (JoinKind.LEFT, {3: ["[A, null]"]}),
        (JoinKind.FULL, {3: ["[A, null]"]}),
    ],
)
def test_stream_stream_semantics_table_without_grace_period(
    stores: Stores, kind: JoinKind, eager: dict[int, list[str]]
) -> None:
    # Without GRACE PERIOD, ksqlDB's old behaviour: A is output alone at once, then joined.
    join = stream_join(stores, kind, JoinWindow(60 * SECOND, 60 * SECOND))
    assert join.grace_ms == LEGACY_GRACE_MS
    expected = {**ONE_WINDOW_MATCHES, **eager}
    assert Driver(join.process).run(SEMANTICS_INPUTS) == dict(sorted(expected.items()))


def test_unmatched_left_record_is_output_when_its_window_closes(stores: Stores) -> None:
    join = stream_join(stores, JoinKind.LEFT, JoinWindow(10 * SECOND, 10 * SECOND, 5 * SECOND))
    driver = Driver(join.process)
    assert driver.feed(0, L, "A") == []
    assert driver.feed(15 * SECOND, R, "x", key="other") == []  # A's window: up to 10 s + 5 s
    # The stream time passes 15 s: A is output alone, with its own timestamp, before the
    # record that closed its window is joined.
    assert driver.feed(15 * SECOND + 1, L, "B", key="other") == ["[A, null]@0", "[B, x]"]
    assert driver.feed(20 * SECOND, R, "y", key="other") == ["[B, y]"]


def test_out_of_order_record_within_grace_joins_and_suppresses_the_left_only_result(
    stores: Stores,
) -> None:
    join = stream_join(stores, JoinKind.LEFT, JoinWindow(10 * SECOND, 10 * SECOND, 5 * SECOND))
    driver = Driver(join.process)
    assert driver.feed(0, L, "A") == []
    assert driver.feed(12 * SECOND, L, "B", key="other") == []  # A's window end passed...
    assert driver.feed(8 * SECOND, R, "a") == ["[A, a]"]  # ...but not its grace period
    assert driver.feed(40 * SECOND, L, "C", key="third") == ["[B, null]@12000"]  # never A


def test_full_outer_outputs_both_sides_alone_in_timestamp_order(stores: Stores) -> None:
    join = stream_join(stores, JoinKind.FULL, JoinWindow(SECOND, SECOND, 0))
    driver = Driver(join.process)
    assert driver.feed(100, R, "r") == []
    assert driver.feed(200, L, "l", key="k2") == []
    assert driver.feed(5000, L, "z", key="k3") == ["[null, r]@100", "[l, null]@200"]


def test_right_join_mirrors_left_join(stores: Stores) -> None:
    join = stream_join(stores, JoinKind.RIGHT, JoinWindow(SECOND, SECOND))
    driver = Driver(join.process)
    assert driver.feed(0, L, "A") == []  # a left record alone is never output
    assert driver.feed(10, R, "a") == ["[A, a]"]
    assert driver.feed(5000, R, "b") == ["[null, b]"]  # no left record within 1 s


MINUTE = 60 * SECOND

# ksqlDB's own tests "stream stream <kind> join with out of order and custom grace period"
# (WITHIN 1 MINUTE GRACE PERIOD 1 MINUTE): records are (side, ID, value, ROWTIME), outputs
# (ID, left value, right value, ROWTIME).
KSQLDB_OUT_OF_ORDER = {
    JoinKind.INNER: (
        [(L, 0, "A", 0), (R, 0, "a", 60000), (L, 1, "B", 330000), (L, 2, "C", 90000),
         (R, 2, "c", 90000), (L, 3, "D", 60000), (R, 3, "d", 60000)],
        [(0, "A", "a", 60000), (2, "C", "c", 90000)],
    ),
    JoinKind.LEFT: (
        [(L, 0, "A", 0), (R, 0, "a", 60000), (L, 1, "B", 330000), (L, 2, "C", 90000),
         (R, 2, "c", 90000), (L, 3, "D", 60000), (R, 3, "d", 60000)],
        [(0, "A", "a", 60000), (2, "C", None, 90000), (2, "C", "c", 90000),
         (3, "D", None, 60000)],
    ),
    JoinKind.RIGHT: (
        [(L, 0, "A", 0), (R, 0, "a", 60000), (L, 1, "B", 330000), (L, 2, "C", 90000),
         (R, 2, "c", 90000), (R, 3, "d", 60000), (L, 3, "D", 90000)],
        [(0, "A", "a", 60000), (2, "C", "c", 90000), (3, None, "d", 60000),
         (3, "D", "d", 90000)],
    ),
    JoinKind.FULL: (
        [(L, 0, "A", 0), (R, 0, "a", 60000), (R, 1, "b", 330000), (R, 2, "c", 90000),
         (L, 2, "C", 90000), (R, 3, "d", 60000), (L, 3, "D", 60000)],
        [(0, "A", "a", 60000), (2, None, "c", 90000), (2, "C", "c", 90000),
         (3, None, "d", 60000), (3, "D", None, 60000)],
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(KSQLDB_OUT_OF_ORDER))
def test_ksqldb_out_of_order_records_and_grace_period(stores: Stores, kind: JoinKind) -> None:
    # Records behind the stream time by more than the grace period are still joined with what
    # the other side keeps (its window store drops whole expired segments of 90 s here, as
    # Kafka Streams' does), and on an outer side a record whose window end has passed is
    # output alone at once.
    inputs, expected = KSQLDB_OUT_OF_ORDER[kind]
    join = stream_join(stores, kind, JoinWindow(MINUTE, MINUTE, MINUTE))
    produced = []
    for side, key, value, ts in inputs:
        for output in join.process(side, JoinInput((key,), (key, value), ts)).outputs:
            assert output.row is not None
            produced.append((output.key[0], output.row[1], output.row[3], output.timestamp))
    assert produced == expected


def test_a_record_of_an_expired_segment_is_not_kept_and_reported_late(stores: Stores) -> None:
    join = stream_join(stores, JoinKind.INNER, JoinWindow(MINUTE, MINUTE, MINUTE))
    driver = Driver(join.process)
    driver.feed(330_000, L, "B", key=1)
    assert driver.feed(60_000, L, "D") == []  # segment [0, 90 s) of the left store expired
    assert driver.dropped == ["late"]
    assert driver.feed(60_000, R, "d") == []  # so D is not there to join
    assert driver.feed(90_000, L, "C") == ["[C, d]"]  # the right store keeps d: its time is 60 s
    assert driver.dropped == ["late"]


def test_within_before_and_after_bound_each_side(stores: Stores) -> None:
    # WITHIN (1 SECOND, 3 SECONDS): a right record may be up to 1 s before the left record
    # and up to 3 s after it (both bounds included).
    join = stream_join(stores, JoinKind.INNER, JoinWindow(SECOND, 3 * SECOND, 10 * SECOND))
    driver = Driver(join.process)
    assert driver.feed(10_000, L, "A") == []
    assert driver.feed(8_999, R, "too early") == []
    assert driver.feed(9_000, R, "early") == ["[A, early]@10000"]
    assert driver.feed(13_000, R, "late") == ["[A, late]"]
    assert driver.feed(13_001, R, "too late") == []
    assert driver.feed(14_001, L, "B") == ["[B, too late]"]  # 14.001 s - 1 s = 13.001 s


def test_join_on_an_expression_of_a_column(stores: Stores) -> None:
    # ksqlDB's test "stream stream join - contains CAST double to int":
    # ON L.id = CAST(R.id AS INT); the key is the join value.
    window = JoinWindow(30 * SECOND, 30 * SECOND)
    retention = StreamStreamJoin.retention_ms(window)
    join = StreamStreamJoin(
        JoinKind.INNER,
        window,
        left_store=stores.window("this", retention_ms=retention),
        right_store=stores.window("other", retention_ms=retention),
        shared=stores.key_value("shared"),
        left_column=0,
        right_column=lambda row: int(cast(float, row[0])),
        layout=LAYOUT,
    )
    join.process(L, JoinInput((1,), (1, 2), 10))
    (output,) = join.process(R, JoinInput((1.0,), (1.0, 3), 11)).outputs
    assert (output.key, output.row, output.timestamp) == ((1,), (1, 2, 1.0, 3), 11)


def test_stream_records_with_a_null_join_key_are_dropped(stores: Stores) -> None:
    join = stream_join(stores, JoinKind.FULL, JoinWindow(SECOND, SECOND))
    driver = Driver(join.process)
    assert driver.feed(0, L, "A", key=None) == []
    assert driver.feed(0, R, "a", key=None) == []
    assert driver.dropped == ["null join key", "null join key"]


def test_duplicate_timestamps_each_join(stores: Stores) -> None:
    join = stream_join(stores, JoinKind.INNER, JoinWindow(SECOND, SECOND, 0))
    driver = Driver(join.process)
    driver.feed(5, L, "A")
    driver.feed(5, L, "B")
    assert driver.feed(5, R, "a") == ["[A, a]", "[B, a]"]


def test_join_state_is_restored_from_the_changelog(tmp_path: Path) -> None:
    window = JoinWindow(10 * SECOND, 10 * SECOND, 0)
    with open_stores(tmp_path) as stores:
        join = stream_join(stores, JoinKind.LEFT, window)
        Driver(join.process).feed(0, L, "A")
        stores.commit(*stores.opened)
        application = stores.application
    with open_stores(tmp_path) as stores:
        stores.application = application  # the same task on a fresh process
        driver = Driver(stream_join(stores, JoinKind.LEFT, window).process)
        assert driver.feed(5 * SECOND, R, "a") == ["[A, a]"]
        assert driver.feed(0, L, "old") == ["[old, a]@5000"]  # the stream time is restored
        assert driver.feed(30 * SECOND, L, "B", key="x") == []  # A was matched: not alone


def test_a_waiting_record_is_output_after_a_restart(tmp_path: Path) -> None:
    window = JoinWindow(SECOND, SECOND, 0)
    with open_stores(tmp_path) as stores:
        driver = Driver(stream_join(stores, JoinKind.LEFT, window).process)
        assert driver.feed(0, L, "A") == []
        assert driver.feed(500, L, "B", key="other") == []
        stores.commit(*stores.opened)
        application = stores.application
    with open_stores(tmp_path) as stores:
        stores.application = application
        driver = Driver(stream_join(stores, JoinKind.LEFT, window).process)
        assert driver.feed(1000, L, "C", key="third") == []  # A's window closes after 1 s
        assert driver.feed(1600, L, "D", key="fourth") == ["[A, null]@0", "[B, null]@500"]


def test_window_store_shorter_than_the_join_needs_is_refused(stores: Stores) -> None:
    window = JoinWindow(SECOND, SECOND, SECOND)
    with pytest.raises(JoinStoreTooShort, match=r"keeps records 1000 ms, but the join needs 3000"):
        StreamStreamJoin(
            JoinKind.INNER,
            window,
            left_store=stores.window("a", retention_ms=SECOND),
            right_store=stores.window("b", retention_ms=SECOND),
            shared=stores.key_value("t"),
            left_column=0,
            right_column=0,
            layout=LAYOUT,
        )


# -- stream-table -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (JoinKind.INNER, {5: ["[B, a]"], 15: ["[D, d]"]}),
        (JoinKind.LEFT, {3: ["[A, null]"], 5: ["[B, a]"], 9: ["[C, null]"], 15: ["[D, d]"]}),
    ],
)
def test_stream_table_semantics_table(
    stores: Stores, kind: JoinKind, expected: dict[int, list[str]]
) -> None:
    join = StreamTableJoin(kind, table=stores.key_value("table"), stream_column=0, layout=LAYOUT)
    driver = Driver(join.process)
    assert driver.run(SEMANTICS_INPUTS) == expected


def test_stream_table_lookup_is_the_table_as_of_the_stream_record(stores: Stores) -> None:
    join = StreamTableJoin(
        JoinKind.LEFT, table=stores.key_value("table"), stream_column=0, layout=LAYOUT
    )
    driver = Driver(join.process)
    assert driver.feed(100, R, "v1") == []  # table changes output nothing
    assert driver.feed(50, L, "A") == ["[A, v1]"]  # the stream record's own timestamp
    assert driver.feed(200, R, "v2") == []
    assert driver.feed(60, L, "B") == ["[B, v2]"]  # current value, whatever the times
    assert driver.feed(70, L, "C", key=None) == []
    assert driver.dropped == ["null join key"]


def test_ksqldb_stream_to_table_wrapped_single_field(stores: Stores) -> None:
    # ksqlDB's test "stream to table wrapped single field value schema on inputs": a NULL
    # NAME is a row; the table's (ID) alone is a tombstone.
    join = StreamTableJoin(
        JoinKind.INNER, table=stores.key_value("table"), stream_column=0, layout=LAYOUT
    )
    inputs: list[tuple[Side, tuple[object, ...] | None, int]] = [
        (R, (0, "b"), 0), (L, (0, "a"), 10), (L, (0, None), 20), (R, (0, None), 30),
        (L, (0, None), 40), (R, None, 50), (L, (0, "a"), 60),
    ]  # fmt: skip
    produced = []
    for side, row, ts in inputs:
        for output in join.process(side, JoinInput((0,), row, ts)).outputs:
            assert output.row is not None
            produced.append((output.key[0], output.row[1], output.row[3], output.timestamp))
    assert produced == [(0, "a", "b", 10), (0, None, "b", 20), (0, None, None, 40)]


@pytest.mark.parametrize("kind", [JoinKind.RIGHT, JoinKind.FULL])
def test_stream_table_outer_joins_are_refused(stores: Stores, kind: JoinKind) -> None:
    with pytest.raises(UnsupportedJoin, match=f"a stream-table join cannot be {kind.value}"):
        StreamTableJoin(kind, table=stores.key_value("t"), stream_column=0, layout=LAYOUT)


def test_join_input_rows_keep_every_sql_type(stores: Stores) -> None:
    join = StreamTableJoin(
        JoinKind.INNER, table=stores.key_value("table"), stream_column=0, layout=LAYOUT
    )
    value = (
        Decimal("12.50"),
        dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC),
        dt.date(1969, 12, 31),
        dt.time(23, 59, 59, 999000),
        [1.5, None, b"\x00"],
        {"A": {"B": True}},
    )
    join.process(R, JoinInput((7,), (7, value), 1))
    (output,) = join.process(L, JoinInput((), (7, "s"), 2)).outputs
    assert output.row == (7, "s", 7, value)
    assert output.key == (7,)
