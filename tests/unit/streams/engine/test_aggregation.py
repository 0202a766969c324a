"""GROUP BY in the engine: ksql-test-runner style cases (statements, input records, expected
output records with their windows) run through ``run_test``, plus late-event counts, restarts
restoring state from the changelogs, and refusals."""

from __future__ import annotations

import json
import struct
from pathlib import Path

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
from streammesh.streams.engine.errors import InvalidWindow
from streammesh.streams.engine.harness import run_test
from streammesh.streams.functions import udf
from streammesh.streams.functions.builtins import builtin_registry
from streammesh.streams.functions.errors import AggregateNotForTables
from streammesh.streams.planner import PersistentQuery, plan_statements
from streammesh.streams.sql import parse_statements
from streammesh.streams.testing import parse_records

MINUTE = 60_000


def check(sql: str, inputs: list[dict[str, object]], outputs: list[dict[str, object]]) -> None:
    given = parse_records(json.dumps({"inputs": inputs}), "inputs", "input.json")
    expected = parse_records(json.dumps({"outputs": outputs}), "outputs", "output.json")
    comparison = run_test(sql, given, expected)
    assert comparison.passed, comparison.render()


STOCKTRADES = (
    "CREATE STREAM stocktrades (side STRING, quantity INT, symbol STRING, price INT,"
    " account STRING, userid STRING)"
    " WITH (kafka_topic='stocktrades', value_format='JSON', partitions=1);\n"
)


def stocktrade(symbol: str, quantity: int, ts: int, *, key: str | None = None) -> dict[str, object]:
    value = {"side": "BUY", "quantity": quantity, "symbol": symbol, "price": 100}
    return {"topic": "stocktrades", "key": key, "value": value, "timestamp": ts}


def windowed(
    topic: str, key: object, value: object, ts: int, start: int, end: int, kind: str = "time"
) -> dict[str, object]:
    return {
        "topic": topic,
        "key": key,
        "value": value,
        "timestamp": ts,
        "window": {"start": start, "end": end, "type": kind},
    }


def test_reference_use_case_1_trending_stocks() -> None:
    size = 15 * MINUTE
    check(
        STOCKTRADES
        + "CREATE TABLE trending_stocks AS SELECT symbol, SUM(quantity) AS total_quantity,"
        " WINDOWSTART, WINDOWEND FROM stocktrades WINDOW TUMBLING (SIZE 15 MINUTES)"
        " GROUP BY symbol EMIT CHANGES;",
        [
            stocktrade("ZTEST", 100, 1_000),
            stocktrade("ZVV", 7, 2_000),
            stocktrade("ZTEST", 50, 3_000),
            stocktrade("ZTEST", 1, size + 5),
        ],
        [
            windowed(
                "TRENDING_STOCKS",
                "ZTEST",
                {"TOTAL_QUANTITY": 100, "WINDOWSTART": 0, "WINDOWEND": size},
                1_000,
                0,
                size,
            ),
            windowed(
                "TRENDING_STOCKS",
                "ZVV",
                {"TOTAL_QUANTITY": 7, "WINDOWSTART": 0, "WINDOWEND": size},
                2_000,
                0,
                size,
            ),
            windowed(
                "TRENDING_STOCKS",
                "ZTEST",
                {"TOTAL_QUANTITY": 150, "WINDOWSTART": 0, "WINDOWEND": size},
                3_000,
                0,
                size,
            ),
            windowed(
                "TRENDING_STOCKS",
                "ZTEST",
                {"TOTAL_QUANTITY": 1, "WINDOWSTART": size, "WINDOWEND": 2 * size},
                size + 5,
                size,
                2 * size,
            ),
        ],
    )


def test_count_and_sum_per_key_emit_an_update_per_input_at_the_max_timestamp() -> None:
    # The output timestamp is the largest timestamp aggregated so far (the out-of-order 5
    # keeps 20), as Kafka Streams stamps aggregates.
    check(
        STOCKTRADES + "CREATE TABLE totals AS SELECT symbol, COUNT(*) AS n, SUM(quantity) AS q,"
        " AVG(quantity) AS a FROM stocktrades GROUP BY symbol;",
        [
            stocktrade("A", 1, 10),
            stocktrade("A", 3, 20),
            stocktrade("B", 2, 7),
            stocktrade("A", 2, 5),
        ],
        [
            {"topic": "TOTALS", "key": "A", "value": {"N": 1, "Q": 1, "A": 1.0}, "timestamp": 10},
            {"topic": "TOTALS", "key": "A", "value": {"N": 2, "Q": 4, "A": 2.0}, "timestamp": 20},
            {"topic": "TOTALS", "key": "B", "value": {"N": 1, "Q": 2, "A": 2.0}, "timestamp": 7},
            {"topic": "TOTALS", "key": "A", "value": {"N": 3, "Q": 6, "A": 2.0}, "timestamp": 20},
        ],
    )


def test_null_group_by_values_are_dropped() -> None:
    check(
        STOCKTRADES + "CREATE TABLE totals AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " GROUP BY symbol;",
        [
            {"topic": "stocktrades", "key": None, "value": {"quantity": 1}, "timestamp": 1},
            stocktrade("A", 1, 2),
        ],
        [{"topic": "TOTALS", "key": "A", "value": {"N": 1}, "timestamp": 2}],
    )


def test_tumbling_window_out_of_order_within_grace_and_late_events_dropped(
    tmp_path: Path,
) -> None:
    sql = (
        STOCKTRADES + "CREATE TABLE counts AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 30 SECONDS) GROUP BY symbol;"
    )
    inputs = [
        stocktrade("A", 1, 10_000),  # window 0
        stocktrade("A", 1, MINUTE + 10_000),  # window 1; stream time 70 s
        stocktrade("A", 1, 50_000),  # window 0, out of order but within grace (ends 60 + 30)
        stocktrade("A", 1, 2 * MINUTE),  # window 2; stream time 120 s closes window 0
        stocktrade("A", 1, 59_000),  # late: window 0 ended 60 s, 60 + 30 <= 120
    ]
    check(
        sql,
        inputs,
        [
            windowed("COUNTS", "A", {"N": 1}, 10_000, 0, MINUTE),
            windowed("COUNTS", "A", {"N": 1}, MINUTE + 10_000, MINUTE, 2 * MINUTE),
            windowed("COUNTS", "A", {"N": 2}, 50_000, 0, MINUTE),
            windowed("COUNTS", "A", {"N": 1}, 2 * MINUTE, 2 * MINUTE, 3 * MINUTE),
        ],
    )
    # ... and the dropped event is counted in the task's stats.
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=1))
    with log.producer() as producer:
        for item in inputs:
            value = {k.upper(): v for k, v in item["value"].items()}  # type: ignore[attr-defined]
            producer.send(
                "stocktrades",
                json.dumps(value).encode(),
                timestamp_ms=int(item["timestamp"]),  # type: ignore[call-overload]
            )
    with StreamApplication(log, query_of(sql), "late", state_dir=tmp_path / "state") as app:
        app.run_until_idle()
        stats = app.stats()[0]
        assert (stats.records_in, stats.records_out, stats.late) == (5, 4, 1)
    log.close()


def test_hopping_windows_put_an_event_in_every_window_it_falls_in() -> None:
    check(
        STOCKTRADES + "CREATE TABLE counts AS SELECT symbol, COUNT(*) AS n, WINDOWSTART AS ws"
        " FROM stocktrades WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS)"
        " GROUP BY symbol;",
        [stocktrade("A", 1, 25_000), stocktrade("A", 1, 31_000)],
        [
            windowed("COUNTS", "A", {"N": 1, "WS": 0}, 25_000, 0, 30_000),
            windowed("COUNTS", "A", {"N": 1, "WS": 10_000}, 25_000, 10_000, 40_000),
            windowed("COUNTS", "A", {"N": 1, "WS": 20_000}, 25_000, 20_000, 50_000),
            windowed("COUNTS", "A", {"N": 2, "WS": 10_000}, 31_000, 10_000, 40_000),
            windowed("COUNTS", "A", {"N": 2, "WS": 20_000}, 31_000, 20_000, 50_000),
            windowed("COUNTS", "A", {"N": 1, "WS": 30_000}, 31_000, 30_000, 60_000),
        ],
    )


def test_session_windows_merge_and_retract_the_merged_sessions() -> None:
    # Gap 30 s: 0 and 40 s are two sessions; 20 s bridges them into one, the two old
    # sessions become tombstones of their windowed keys, as ksqlDB writes them.
    check(
        STOCKTRADES + "CREATE TABLE sessions AS SELECT symbol, COUNT(*) AS n, WINDOWSTART AS ws,"
        " WINDOWEND AS we FROM stocktrades WINDOW SESSION (30 SECONDS) GROUP BY symbol;",
        [stocktrade("A", 1, 0), stocktrade("A", 1, 40_000), stocktrade("A", 1, 20_000)],
        [
            windowed("SESSIONS", "A", {"N": 1, "WS": 0, "WE": 0}, 0, 0, 0, "session"),
            windowed(
                "SESSIONS",
                "A",
                {"N": 1, "WS": 40_000, "WE": 40_000},
                40_000,
                40_000,
                40_000,
                "session",
            ),
            windowed("SESSIONS", "A", None, 0, 0, 0, "session"),
            windowed("SESSIONS", "A", None, 40_000, 40_000, 40_000, "session"),
            windowed(
                "SESSIONS", "A", {"N": 3, "WS": 0, "WE": 40_000}, 40_000, 0, 40_000, "session"
            ),
        ],
    )


def test_emit_final_emits_each_window_once_when_it_closes() -> None:
    # No grace: a window closes when stream time reaches its end. The window of B at 70 s
    # never closes within the input, so it is not emitted.
    check(
        STOCKTRADES + "CREATE TABLE counts AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 0 SECONDS) GROUP BY symbol EMIT FINAL;",
        [
            stocktrade("A", 1, 1_000),
            stocktrade("B", 1, 2_000),
            stocktrade("A", 1, 3_000),
            stocktrade("B", 1, MINUTE + 10_000),
            stocktrade("A", 1, 5_000),  # late: window 0 closed at 60 s
        ],
        [
            windowed("COUNTS", "A", {"N": 2}, 3_000, 0, MINUTE),
            windowed("COUNTS", "B", {"N": 1}, 2_000, 0, MINUTE),
        ],
    )


SESSION_INPUT = (
    "CREATE STREAM input (id STRING KEY, col1 STRING)"
    " WITH (kafka_topic='input_topic', value_format='JSON', partitions=1);\n"
)


def session_row(key: str, ts: int) -> dict[str, object]:
    return {"topic": "input_topic", "key": key, "value": {"COL1": "v1"}, "timestamp": ts}


def test_emit_final_on_session_windows_as_ksqldb_suppress_test() -> None:
    # ksqlDB's suppress.json "should support final results for session windows": gap 5, no
    # grace. The second k1@5 comes when stream time is 6: its session [0, 5] ended before
    # 6 - 0, so it is late. Each session is written once, when stream time (30) passes its
    # end plus gap plus grace; k1's [30, 30] stays open.
    check(
        SESSION_INPUT + "CREATE TABLE output AS SELECT id, COUNT(*) AS count FROM input"
        " WINDOW SESSION (5 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS) GROUP BY id EMIT FINAL;",
        [
            session_row("k1", 0),
            session_row("k1", 5),
            session_row("k1", 1),
            session_row("k2", 6),
            session_row("k1", 5),
            session_row("k1", 30),
        ],
        [
            windowed("OUTPUT", "k1", {"COUNT": 3}, 5, 0, 5, "session"),
            windowed("OUTPUT", "k2", {"COUNT": 1}, 6, 6, 6, "session"),
        ],
    )


def test_emit_final_sessions_merge_silently_and_close_after_gap_plus_grace() -> None:
    # Gap 10, grace 5: 0 and 12 are two sessions until 6 bridges them (no tombstones, no
    # intermediate rows). At stream time 27 the row at 22 still merges (its session ends at
    # 22, not before 27 - 5). [0, 22] closes when stream time passes 22 + 10 + 5: not at 37,
    # at 38.
    check(
        SESSION_INPUT + "CREATE TABLE output AS SELECT id, COUNT(*) AS count, WINDOWSTART AS ws,"
        " WINDOWEND AS we FROM input WINDOW SESSION (10 MILLISECONDS, GRACE PERIOD 5"
        " MILLISECONDS) GROUP BY id EMIT FINAL;",
        [
            session_row("a", 0),
            session_row("a", 12),
            session_row("a", 6),
            session_row("b", 27),
            session_row("a", 22),
            session_row("b", 37),
            session_row("b", 38),
        ],
        [
            windowed("OUTPUT", "a", {"COUNT": 4, "WS": 0, "WE": 22}, 22, 0, 22, "session"),
        ],
    )


def test_emit_final_writes_nothing_for_a_window_having_filters_out() -> None:
    # ksqlDB's final results drop tombstones (suppress with safeToDropTombstones): a window or
    # session that HAVING filters out was never written, so nothing is written for it.
    for window in (
        "TUMBLING (SIZE 10 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS)",
        "SESSION (5 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS)",
    ):
        kind = "session" if window.startswith("SESSION") else "time"
        end = 1 if kind == "session" else 10
        check(
            SESSION_INPUT + "CREATE TABLE output AS SELECT id, COUNT(*) AS count FROM input"
            f" WINDOW {window} GROUP BY id HAVING COUNT(*) > 1 EMIT FINAL;",
            [session_row("a", 0), session_row("a", 1), session_row("b", 2), session_row("a", 30)],
            [windowed("OUTPUT", "a", {"COUNT": 2}, 1, 0, end, kind)],
        )


def test_emit_final_a_row_bridging_into_an_emitted_session_is_late(tmp_path: Path) -> None:
    # Gap 10, no grace: [0, 0] is written once stream time passes 10. A row at 8 would bridge
    # it with the open [15, 22] (its session would end at 22, not late by itself); the
    # written [0, 0] is final, so the row is late and [15, 22] is written alone.
    sql = (
        STOCKTRADES + "CREATE TABLE sessions AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW SESSION (10 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS) GROUP BY symbol"
        " EMIT FINAL;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=1))
    send_trades(log, [("A", 0), ("A", 15), ("A", 22), ("A", 8), ("B", 41)])
    with StreamApplication(log, query_of(sql), "final") as app:
        app.run_until_idle()
        assert app.stats()[0].late == 1
    written = [
        (
            (r.key or b"")[:-16],
            struct.unpack(">qq", (r.key or b"")[-16:]),
            json.loads(r.value or b""),
        )
        for r in read(log, "SESSIONS")
    ]
    # SessionWindowedSerde: the key, then the session's end and start.
    assert written == [(b"A", (0, 0), {"N": 1}), (b"A", (22, 15), {"N": 2})]
    log.close()


def test_emit_final_sessions_after_a_restart_are_written_once(tmp_path: Path) -> None:
    sql = (
        STOCKTRADES + "CREATE TABLE sessions AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW SESSION (10 MILLISECONDS, GRACE PERIOD 0 MILLISECONDS) GROUP BY symbol"
        " EMIT FINAL;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=1))
    send_trades(log, [("A", 0), ("A", 5), ("B", 12)])
    with StreamApplication(log, query_of(sql), "final") as app:
        app.run_until_idle()
    assert read(log, "SESSIONS") == []
    # Another process without the local files: sessions and stream time come back from the
    # changelogs, so [0, 5] closes at 16 and the row at 4 (into the closed session) is late.
    send_trades(log, [("B", 16), ("A", 4), ("B", 40)])
    with StreamApplication(log, query_of(sql), "final", state_dir=tmp_path / "b") as app:
        app.run_until_idle()
        assert app.stats()[0].late == 1
    values = [(r.key, json.loads(r.value or b"")) for r in read(log, "SESSIONS")]
    assert values == [
        (b"A" + struct.pack(">qq", 5, 0), {"N": 2}),
        (b"B" + struct.pack(">qq", 16, 12), {"N": 2}),
    ]
    log.close()


USERS = (
    "CREATE TABLE users (userid STRING PRIMARY KEY, regionid STRING, credit INT)"
    " WITH (kafka_topic='users', value_format='JSON', partitions=1);\n"
)


def user(userid: str, region: str | None, credit: int, ts: int) -> dict[str, object]:
    value = None if region is None else {"regionid": region, "credit": credit}
    return {"topic": "users", "key": userid, "value": value, "timestamp": ts}


def test_table_aggregation_retracts_updated_and_deleted_rows() -> None:
    check(
        USERS + "CREATE TABLE regions AS SELECT regionid, COUNT(*) AS n, SUM(credit) AS c"
        " FROM users GROUP BY regionid;",
        [
            user("u1", "R1", 10, 1),
            user("u2", "R1", 5, 2),
            user("u1", "R2", 7, 3),  # u1 moves: R1 loses it, R2 gains it
            user("u2", None, 0, 4),  # u2 deleted: R1 loses it
        ],
        [
            {"topic": "REGIONS", "key": "R1", "value": {"N": 1, "C": 10}, "timestamp": 1},
            {"topic": "REGIONS", "key": "R1", "value": {"N": 2, "C": 15}, "timestamp": 2},
            {"topic": "REGIONS", "key": "R1", "value": {"N": 1, "C": 5}, "timestamp": 3},
            {"topic": "REGIONS", "key": "R2", "value": {"N": 1, "C": 7}, "timestamp": 3},
            {"topic": "REGIONS", "key": "R1", "value": {"N": 0, "C": 0}, "timestamp": 4},
        ],
    )


def test_having_filters_groups_and_a_group_leaving_it_is_a_tombstone() -> None:
    check(
        USERS + "CREATE TABLE big AS SELECT regionid, COUNT(*) AS n FROM users"
        " GROUP BY regionid HAVING COUNT(*) > 1;",
        [user("u1", "R1", 1, 1), user("u2", "R1", 1, 2), user("u2", None, 0, 3)],
        [
            {"topic": "BIG", "key": "R1", "value": None, "timestamp": 1},
            {"topic": "BIG", "key": "R1", "value": {"N": 2}, "timestamp": 2},
            {"topic": "BIG", "key": "R1", "value": None, "timestamp": 3},
        ],
    )


def query_of(sql: str) -> PersistentQuery:
    return plan_statements(parse_statements(sql), text=sql).queries[0]


def read(log: EventLog, topic: str) -> list[Record]:
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in range(log.describe_topic(topic).partitions)]
    found: list[Record] = []
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            found.extend(reader.poll(timeout=0.2))
    return found


def send_trades(log: EventLog, trades: list[tuple[str, int]]) -> None:
    with log.producer() as producer:
        for symbol, ts in trades:
            value = json.dumps({"SYMBOL": symbol, "QUANTITY": 1}).encode()
            producer.send("stocktrades", value, timestamp_ms=ts)


def test_a_restart_restores_the_counts_from_the_changelog(tmp_path: Path) -> None:
    sql = (
        STOCKTRADES + "CREATE TABLE counts AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY symbol;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=1))
    send_trades(log, [("A", 1), ("A", 2), ("B", 3)])
    with StreamApplication(log, query_of(sql), "counts") as app:  # a temporary state dir
        assert app.run_until_idle() == 3
    # Another process, its local state gone: the state comes back from the changelog.
    send_trades(log, [("A", 4)])
    with StreamApplication(log, query_of(sql), "counts", state_dir=tmp_path / "other") as app:
        assert app.run_until_idle() == 1
    last = read(log, "COUNTS")[-1]
    assert last.key == b"A" + struct.pack(">q", 0)
    assert json.loads(last.value or b"") == {"N": 3}
    assert last.timestamp_ms == 4
    assert "counts-CTAS_COUNTS_0-Aggregate-Materialize-changelog" in {
        t.name for t in log.list_topics()
    }
    log.close()


def test_retention_below_size_plus_grace_and_windowed_tables_are_refused(tmp_path: Path) -> None:
    log = open_log(f"embedded://{tmp_path}/log")
    short = (
        STOCKTRADES + "CREATE TABLE c AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW TUMBLING (SIZE 1 MINUTE, RETENTION 30 SECONDS, GRACE PERIOD 0 SECONDS)"
        " GROUP BY symbol;"
    )
    with pytest.raises(InvalidWindow, match=r"RETENTION \(30000 ms\) must be at least"):
        StreamApplication(log, query_of(short), "app")
    windowed_table = (
        USERS + "CREATE TABLE c AS SELECT regionid, COUNT(*) AS n FROM users"
        " WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY regionid;"
    )
    with pytest.raises(InvalidWindow, match="windowing is not supported for table"):
        StreamApplication(log, query_of(windowed_table), "app")
    log.close()


def test_group_by_a_new_key_over_several_partitions_goes_through_the_repartition_topic(
    tmp_path: Path,
) -> None:
    # Trades keyed by account land in both partitions; the counts per symbol still add up
    # across partitions, exactly once, and a restart continues from the restored state.
    sql = (
        "CREATE STREAM stocktrades (account STRING KEY, symbol STRING, quantity INT)"
        " WITH (kafka_topic='stocktrades', value_format='JSON', partitions=2);"
        "CREATE TABLE totals AS SELECT symbol, COUNT(*) AS n, SUM(quantity) AS q"
        " FROM stocktrades GROUP BY symbol;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=2))

    def send(items: list[tuple[str, str, int]]) -> None:
        with log.producer() as producer:
            for account, symbol, quantity in items:
                value = json.dumps({"SYMBOL": symbol, "QUANTITY": quantity}).encode()
                producer.send("stocktrades", value, key=account.encode(), timestamp_ms=quantity)

    accounts = [f"acct-{i}" for i in range(8)]
    send([(account, "ACME", 1) for account in accounts] + [("acct-1", "ZVV", 5)])
    with StreamApplication(log, query_of(sql), "totals") as app:
        app.run_until_idle()
        assert app.repartition_topic == "totals-CTAS_TOTALS_0-repartition"
        assert sum(task.records_in for task in app.stats().values()) == 9
    send([("acct-5", "ACME", 2)])
    with StreamApplication(log, query_of(sql), "totals", state_dir=tmp_path / "new") as app:
        app.run_until_idle()
    latest: dict[str, dict[str, int]] = {}
    for record in sorted(read(log, "TOTALS"), key=lambda r: (r.timestamp_ms, r.offset)):
        latest[(record.key or b"").decode()] = json.loads(record.value or b"")
    assert latest == {"ACME": {"N": 9, "Q": 10}, "ZVV": {"N": 1, "Q": 5}}
    assert {p.partitions for p in log.list_topics() if p.name.endswith("-repartition")} == {2}
    log.close()


def test_emit_final_sessions_grouped_across_partitions_are_written_once(tmp_path: Path) -> None:
    # Trades of one symbol from accounts in both partitions go through the repartition topic
    # to the task owning ACME, in an order that interleaves the partitions (the grace period
    # absorbs it): its session [0, 7] is written once, with every account's trade, when that
    # task's stream time passes 7 + 10 + 1,000 (the trade at 5,000, sent later).
    sql = (
        "CREATE STREAM stocktrades (account STRING KEY, symbol STRING, quantity INT)"
        " WITH (kafka_topic='stocktrades', value_format='JSON', partitions=2);"
        "CREATE TABLE sessions AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW SESSION (10 MILLISECONDS, GRACE PERIOD 1 SECOND) GROUP BY symbol EMIT FINAL;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=2))

    def send(trades: list[tuple[str, int]]) -> None:
        with log.producer() as producer:
            for account, ts in trades:
                value = json.dumps({"SYMBOL": "ACME", "QUANTITY": 1}).encode()
                producer.send("stocktrades", value, key=account.encode(), timestamp_ms=ts)

    send([(f"acct-{n}", n) for n in range(8)])
    state = tmp_path / "state"
    with StreamApplication(log, query_of(sql), "final", state_dir=state) as app:
        app.run_until_idle()
        assert app.repartition_topic == "final-CTAS_SESSIONS_0-repartition"
    assert read(log, "SESSIONS") == []
    send([("acct-8", 5_000)])
    with StreamApplication(log, query_of(sql), "final", state_dir=state) as app:
        app.run_until_idle()
    written = [(r.key, json.loads(r.value or b"")) for r in read(log, "SESSIONS")]
    assert written == [(b"ACME" + struct.pack(">qq", 7, 0), {"N": 8})]
    log.close()


def test_stream_only_aggregates_over_a_table_are_refused_in_ksqldb_words(tmp_path: Path) -> None:
    sql = USERS + (
        "CREATE TABLE c AS SELECT regionid, MAX(credit) AS m FROM users GROUP BY regionid;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    with pytest.raises(AggregateNotForTables, match=r"\(MAX\) cannot be applied to a table"):
        StreamApplication(log, query_of(sql), "app")
    log.close()


def test_table_aggregation_over_partitions_retracts_through_the_repartition_topic(
    tmp_path: Path,
) -> None:
    sql = USERS.replace("partitions=1", "partitions=3") + (
        "CREATE TABLE regions AS SELECT regionid, COUNT(*) AS n FROM users GROUP BY regionid;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("users", partitions=3))
    changes = [(f"u{i}", "R1", i) for i in range(6)] + [("u2", "R2", 10), ("u4", None, 11)]
    with log.producer() as producer:
        for userid, region, ts in changes:
            value = None if region is None else json.dumps({"REGIONID": region}).encode()
            producer.send("users", value, key=userid.encode(), timestamp_ms=ts)
    with StreamApplication(log, query_of(sql), "regions") as app:
        app.run_until_idle()
    latest: dict[str, dict[str, int]] = {}
    for record in sorted(read(log, "REGIONS"), key=lambda r: (r.timestamp_ms, r.offset)):
        latest[(record.key or b"").decode()] = json.loads(record.value or b"")
    assert latest == {"R1": {"N": 4}, "R2": {"N": 1}}
    log.close()


def test_windows_use_the_timestamp_column_as_event_time() -> None:
    # The record timestamps are all 0; the TIMESTAMP column places the rows in windows, makes
    # the 5 s row late (grace 0, stream time 70 s) and stamps the outputs.
    check(
        "CREATE STREAM clicks (page STRING, event_at BIGINT)"
        " WITH (kafka_topic='clicks', value_format='JSON', timestamp='event_at');"
        "CREATE TABLE per_minute AS SELECT page, COUNT(*) AS n FROM clicks"
        " WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 0 SECONDS) GROUP BY page;",
        [
            {"topic": "clicks", "value": {"page": "a", "event_at": 1_000}, "timestamp": 0},
            {"topic": "clicks", "value": {"page": "a", "event_at": 70_000}, "timestamp": 0},
            {"topic": "clicks", "value": {"page": "a", "event_at": 5_000}, "timestamp": 0},
        ],
        [
            windowed("PER_MINUTE", "a", {"N": 1}, 1_000, 0, MINUTE),
            windowed("PER_MINUTE", "a", {"N": 1}, 70_000, MINUTE, 2 * MINUTE),
        ],
    )


def test_emit_final_after_a_restart_emits_the_restored_window_once(tmp_path: Path) -> None:
    sql = (
        STOCKTRADES + "CREATE TABLE counts AS SELECT symbol, COUNT(*) AS n FROM stocktrades"
        " WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 0 SECONDS) GROUP BY symbol EMIT FINAL;"
    )
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=1))
    send_trades(log, [("A", 1_000), ("A", 2_000), ("B", 59_000)])
    with StreamApplication(log, query_of(sql), "final") as app:
        app.run_until_idle()
    assert read(log, "COUNTS") == []
    # The next process has no local files: windows and stream time come from the changelogs,
    # so the late row at 3 s is still dropped once 61 s closed window 0.
    send_trades(log, [("A", 61_000), ("A", 3_000), ("B", 121_000)])
    with StreamApplication(log, query_of(sql), "final", state_dir=tmp_path / "b") as app:
        app.run_until_idle()
        assert app.stats()[0].late == 1
    written = [
        (
            (r.key or b"")[:-8],
            struct.unpack(">q", (r.key or b"")[-8:])[0],
            json.loads(r.value or b""),
        )
        for r in read(log, "COUNTS")
    ]
    assert written == [
        (b"A", 0, {"N": 2}),
        (b"B", 0, {"N": 1}),
        (b"A", MINUTE, {"N": 1}),
    ]
    log.close()


def test_an_aborted_batch_leaves_no_trace_in_state_or_output(tmp_path: Path) -> None:
    # A batch interrupted half way (here a function interrupting the process) is aborted:
    # its outputs, state changes and offsets are all dropped, and processing it again, in the
    # same application or in a restarted one, counts every row exactly once.
    registry = builtin_registry()
    interruptions = [2]

    @udf(name="flaky_qty", registry=registry)
    def flaky_qty(quantity: int) -> int:
        if quantity == 99 and interruptions[0] > 0:
            interruptions[0] -= 1
            raise KeyboardInterrupt
        return quantity

    sql = (
        STOCKTRADES + "CREATE TABLE totals AS SELECT symbol, SUM(FLAKY_QTY(quantity)) AS q"
        " FROM stocktrades WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY symbol;"
    )
    query = plan_statements(parse_statements(sql), text=sql, registry=registry).queries[0]
    log = open_log(f"embedded://{tmp_path}/log")
    log.create_topic(TopicSpec("stocktrades", partitions=1))
    with log.producer() as producer:
        for quantity in (1, 2, 99, 4):
            value = json.dumps({"SYMBOL": "A", "QUANTITY": quantity}).encode()
            producer.send("stocktrades", value, timestamp_ms=quantity)
    state = tmp_path / "state"
    with StreamApplication(log, query, "sums", registry=registry, state_dir=state) as app:
        with pytest.raises(KeyboardInterrupt):
            app.poll_once()
        assert read(log, "TOTALS") == []
        with pytest.raises(KeyboardInterrupt):  # the same batch again, in the same process
            app.run_until_idle()
    with StreamApplication(log, query, "sums", registry=registry, state_dir=state) as app:
        assert app.run_until_idle() == 4
    sums = [json.loads(record.value or b"")["Q"] for record in read(log, "TOTALS")]
    assert sums == [1, 3, 102, 106]
    log.close()
