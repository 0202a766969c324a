"""Property: for any finite input, the final state of a tumbling-window COUNT/SUM per key
equals DuckDB's answer to the batch query over the same events, without the events the engine
drops as late (computed here explicitly: an event is late when its window's end plus the grace
period is at or before the largest timestamp seen before it)."""

from __future__ import annotations

import json
import struct
import tempfile

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streammesh.log import ConsumerOptions, IsolationLevel, TopicPartition, TopicSpec, open_log
from streammesh.streams.engine import StreamApplication
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

SIZE, GRACE = 1_000, 500
SQL = (
    "CREATE STREAM events (k STRING, v INT) WITH (kafka_topic='events', value_format='JSON');"
    "CREATE TABLE totals AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM events"
    f" WINDOW TUMBLING (SIZE {SIZE} MILLISECONDS, GRACE PERIOD {GRACE} MILLISECONDS)"
    " GROUP BY k EMIT CHANGES;"
)

events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(-1_000, 1_000),
        st.integers(0, 5_000),  # timestamps in any order: out-of-order and late events
    ),
    max_size=40,
)


def expected(batch: list[tuple[str, int, int]]) -> dict[tuple[str, int], tuple[int, int]]:
    """DuckDB's answer over the events the engine keeps."""
    kept: list[tuple[str, int, int]] = []
    stream_time = -1
    for key, value, ts in batch:
        stream_time = max(stream_time, ts)
        window_end = ts // SIZE * SIZE + SIZE
        if window_end > stream_time - GRACE:
            kept.append((key, value, ts))
    connection = duckdb.connect()
    connection.execute("CREATE TABLE events (k VARCHAR, v INTEGER, ts BIGINT)")
    if kept:
        connection.executemany("INSERT INTO events VALUES (?, ?, ?)", kept)
    rows = connection.execute(
        "SELECT k, epoch_ms(time_bucket(INTERVAL (?) MILLISECOND, epoch_ms(ts))) AS ws,"
        " count(*), sum(v) FROM events GROUP BY k, ws",
        [SIZE],
    ).fetchall()
    return {(k, int(ws)): (int(n), int(s)) for k, ws, n, s in rows}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_final_tumbling_counts_and_sums_equal_duckdb(batch: list[tuple[str, int, int]]) -> None:
    query = plan_statements(parse_statements(SQL), text=SQL).queries[0]
    with tempfile.TemporaryDirectory() as directory:
        log = open_log(f"embedded://{directory}/log")
        try:
            log.create_topic(TopicSpec("events", partitions=1))
            with log.producer() as producer:
                for key, value, ts in batch:
                    data = json.dumps({"K": key, "V": value}).encode()
                    producer.send("events", data, timestamp_ms=ts)
            with StreamApplication(log, query, "prop", state_dir=f"{directory}/state") as app:
                app.run_until_idle()
            final: dict[tuple[str, int], tuple[int, int]] = {}
            options = ConsumerOptions(
                isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False
            )
            with log.consumer(options) as reader:
                reader.assign([TopicPartition("TOTALS", 0)])
                reader.seek_to_beginning()
                end = reader.end_offsets([TopicPartition("TOTALS", 0)])[TopicPartition("TOTALS", 0)]
                while reader.position(TopicPartition("TOTALS", 0)) < end:
                    for record in reader.poll(timeout=0.2):
                        assert record.key is not None and record.value is not None
                        (start,) = struct.unpack(">q", record.key[-8:])
                        value = json.loads(record.value)
                        final[(record.key[:-8].decode(), start)] = (value["N"], value["S"])
        finally:
            log.close()
    assert final == expected(batch)
