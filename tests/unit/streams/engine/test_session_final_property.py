"""Property: for any finite input, ``EMIT FINAL`` over ``SESSION`` windows writes each session
once, and what it writes equals DuckDB's sessionization (gaps and islands) of the events the
engine keeps, restricted to the sessions closed at the end of the input (their end plus gap
plus grace before the last stream time).

Which events the engine keeps is computed here explicitly, replaying ksqlDB's rule with the
sessions of the events kept so far: an event is late when the session it would form ends
before stream time minus the grace period, or when it would merge a session already closed
(written)."""

from __future__ import annotations

import json
import struct
import tempfile

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streammesh.log import ConsumerOptions, IsolationLevel, TopicPartition, TopicSpec, open_log
from streammesh.streams.engine import StreamApplication
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

GAP, GRACE = 30, 10
SQL = (
    "CREATE STREAM events (k STRING KEY, v INT) WITH (kafka_topic='events', value_format='JSON');"
    "CREATE TABLE sessions AS SELECT k, COUNT(*) AS n, SUM(v) AS s, WINDOWSTART AS ws,"
    f" WINDOWEND AS we FROM events WINDOW SESSION ({GAP} MILLISECONDS, GRACE PERIOD {GRACE}"
    " MILLISECONDS) GROUP BY k EMIT FINAL;"
)

Session = tuple[str, int, int, int, int]
"""key, start, end, count, sum"""

events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(-100, 100),
        st.integers(0, 40).map(lambda t: t * 10),  # any order: out-of-order, late, bridging
    ),
    max_size=40,
)


def islands(times: list[int]) -> list[tuple[int, int]]:
    """The sessions of one key's event times."""
    found: list[tuple[int, int]] = []
    for ts in sorted(times):
        if found and ts - found[-1][1] <= GAP:
            found[-1] = (found[-1][0], ts)
        else:
            found.append((ts, ts))
    return found


def kept_events(batch: list[tuple[str, int, int]]) -> tuple[list[tuple[str, int, int]], int]:
    """The events the engine keeps, and the stream time at the end."""
    kept: list[tuple[str, int, int]] = []
    stream_time = -1
    for key, value, ts in batch:
        stream_time = max(stream_time, ts)
        touched = [
            (start, end)
            for start, end in islands([t for k, _v, t in kept if k == key])
            if end >= ts - GAP and start <= ts + GAP
        ]
        merged_end = max([ts, *(end for _start, end in touched)])
        closed = any(end < stream_time - GAP - GRACE for _start, end in touched)
        if merged_end >= stream_time - GRACE and not closed:
            kept.append((key, value, ts))
    return kept, stream_time


def expected(batch: list[tuple[str, int, int]]) -> list[Session]:
    """DuckDB's sessions over the kept events, those closed at the end."""
    kept, stream_time = kept_events(batch)
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
        HAVING max(e.ts) + $gap + $grace < $now
        """,
        {"gap": GAP, "grace": GRACE, "now": stream_time},
    ).fetchall()
    return sorted((k, int(ws), int(we), int(n), int(s)) for k, ws, we, n, s in rows)


def written(log_url: str) -> list[Session]:
    log = open_log(log_url)
    found: list[Session] = []
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    partition = TopicPartition("SESSIONS", 0)
    try:
        with log.consumer(options) as reader:
            reader.assign([partition])
            reader.seek_to_beginning()
            end = reader.end_offsets([partition])[partition]
            while reader.position(partition) < end:
                for record in reader.poll(timeout=0.2):
                    assert record.key is not None and record.value is not None
                    window_end, window_start = struct.unpack(">qq", record.key[-16:])
                    value = json.loads(record.value)
                    assert (value["WS"], value["WE"]) == (window_start, window_end)
                    assert record.timestamp_ms == window_end  # the latest row's timestamp
                    key = record.key[:-16].decode()
                    found.append((key, window_start, window_end, value["N"], value["S"]))
    finally:
        log.close()
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
# A row at 20 would bridge the closed (written) [0, 0] with the open [45, 60]: late.
@example([("a", 1, 0), ("a", 2, 45), ("a", 3, 60), ("a", 4, 20), ("b", 5, 200)])
# At stream time 40, [0, 0] is not closed yet (0 + 30 + 10 is not before 40): the row at 30
# still merges into it.
@example([("a", 1, 0), ("b", 2, 40), ("a", 3, 30), ("b", 4, 200)])
def test_emit_final_sessions_are_written_once_and_equal_duckdb(
    batch: list[tuple[str, int, int]],
) -> None:
    query = plan_statements(parse_statements(SQL), text=SQL).queries[0]
    with tempfile.TemporaryDirectory() as directory:
        url = f"embedded://{directory}/log"
        log = open_log(url)
        try:
            log.create_topic(TopicSpec("events", partitions=1))
            with log.producer() as producer:
                for key, value, ts in batch:
                    data = json.dumps({"V": value}).encode()
                    producer.send("events", data, key=key.encode(), timestamp_ms=ts)
            with StreamApplication(log, query, "prop", state_dir=f"{directory}/state") as app:
                app.run_until_idle()
                late = app.stats()[0].late
        finally:
            log.close()
        found = written(url)
    assert len(found) == len(set(found)), "a session was written twice"
    assert sorted(found) == expected(batch)
    assert late == len(batch) - len(kept_events(batch)[0])
