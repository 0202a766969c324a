"""Property: an ``EMIT CHANGES`` aggregation over ``SESSION`` windows ends in the same table
however polls cut the input, and — when no row reaches a session already past its retention —
in DuckDB's sessionization (gaps and islands) of the rows the engine keeps (a row is late
when the session it would form ends before stream time minus the grace period, as in ksqlDB).

A session past its retention (its end at or before stream time minus gap plus grace) is gone
for a later row, as in Kafka Streams' session store, whether or not a commit has expired it
from the store yet: before, a row bridging it with a later session merged it within a poll
and not across one."""

from __future__ import annotations

import json
import struct
import tempfile

import duckdb
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from streammesh.log import ConsumerOptions, IsolationLevel, TopicPartition, TopicSpec, open_log
from streammesh.streams.engine import StreamApplication
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

GAP, GRACE = 30, 10
SQL = (
    "CREATE STREAM events (k STRING KEY, v INT) WITH (kafka_topic='events', value_format='JSON');"
    "CREATE TABLE sessions AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM events"
    f" WINDOW SESSION ({GAP} MILLISECONDS, GRACE PERIOD {GRACE} MILLISECONDS) GROUP BY k"
    " EMIT CHANGES;"
)

Session = tuple[str, int, int, int, int]
"""key, start, end, count, sum"""

events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),
        st.integers(-100, 100),
        st.integers(0, 40).map(lambda t: t * 10),  # any order: out-of-order, late, bridging
    ),
    max_size=30,
)


def islands(times: list[int]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for ts in sorted(times):
        if found and ts - found[-1][1] <= GAP:
            found[-1] = (found[-1][0], ts)
        else:
            found.append((ts, ts))
    return found


def kept_events(batch: list[tuple[str, int, int]]) -> tuple[list[tuple[str, int, int]], bool]:
    """The rows the engine keeps, and whether one reached a session past its retention."""
    kept: list[tuple[str, int, int]] = []
    stream_time = -1
    reached_expired = False
    for key, value, ts in batch:
        stream_time = max(stream_time, ts)
        touched = [
            (start, end)
            for start, end in islands([t for k, _v, t in kept if k == key])
            if end >= ts - GAP and start <= ts + GAP
        ]
        if any(end <= stream_time - GAP - GRACE for _start, end in touched):
            reached_expired = True
        if max([ts, *(end for _start, end in touched)]) >= stream_time - GRACE:
            kept.append((key, value, ts))
    return kept, reached_expired


def expected(kept: list[tuple[str, int, int]]) -> list[Session]:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE events (k VARCHAR, v INTEGER, ts BIGINT)")
    if kept:
        connection.executemany("INSERT INTO events VALUES (?, ?, ?)", kept)
    rows = connection.execute(
        """
        WITH times AS (SELECT DISTINCT k, ts FROM events),
        flagged AS (
            SELECT k, ts,
                   CASE WHEN ts - lag(ts) OVER (PARTITION BY k ORDER BY ts) <= $gap
                        THEN 0 ELSE 1 END AS starts
            FROM times),
        numbered AS (
            SELECT k, ts, sum(starts) OVER (PARTITION BY k ORDER BY ts) AS session FROM flagged)
        SELECT e.k, min(e.ts), max(e.ts), count(*), sum(e.v)
        FROM events e JOIN numbered USING (k, ts)
        GROUP BY e.k, numbered.session
        """,
        {"gap": GAP},
    ).fetchall()
    return sorted((k, int(ws), int(we), int(n), int(s)) for k, ws, we, n, s in rows)


def final_table(batch: list[tuple[str, int, int]], poll: int) -> list[Session]:
    """Run the engine over ``batch`` in polls of ``poll`` records; the table it ends in."""
    query = plan_statements(parse_statements(SQL), text=SQL).queries[0]
    table: dict[tuple[str, int, int], tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as directory:
        log = open_log(f"embedded://{directory}/log")
        try:
            log.create_topic(TopicSpec("events", partitions=1))
            with log.producer() as producer:
                for key, value, ts in batch:
                    data = json.dumps({"V": value}).encode()
                    producer.send("events", data, key=key.encode(), timestamp_ms=ts)
            with StreamApplication(log, query, "prop", state_dir=f"{directory}/state") as app:
                while app.poll_once(timeout=0.01, max_records=poll):
                    pass
            options = ConsumerOptions(
                isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False
            )
            partition = TopicPartition("SESSIONS", 0)
            with log.consumer(options) as reader:
                reader.assign([partition])
                reader.seek_to_beginning()
                end = reader.end_offsets([partition])[partition]
                while reader.position(partition) < end:
                    for record in reader.poll(timeout=0.2):
                        assert record.key is not None
                        window_end, window_start = struct.unpack(">qq", record.key[-16:])
                        where = (record.key[:-16].decode(), window_start, window_end)
                        if record.value is None:
                            table.pop(where, None)
                        else:
                            value = json.loads(record.value)
                            table[where] = (value["N"], value["S"])
        finally:
            log.close()
    return sorted((*where, n, s) for where, (n, s) in table.items())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.integers(1, 5))
# At stream time 60, [0, 0] is past its retention (0 <= 60 - 30 - 10): the row at 20 joins
# [45, 60] only, whether [0, 0] was expired by a commit (polls of 1) or not (one poll).
@example([("a", 1, 0), ("a", 2, 45), ("a", 3, 60), ("a", 4, 20), ("b", 5, 200)], 1)
def test_session_tables_do_not_depend_on_polls_and_equal_duckdb(
    batch: list[tuple[str, int, int]], poll: int
) -> None:
    in_polls = final_table(batch, poll)
    assert in_polls == final_table(batch, 1_000)
    kept, reached_expired = kept_events(batch)
    assume(not reached_expired)
    assert in_polls == expected(kept)
