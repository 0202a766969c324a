"""Property: joins run end to end by the engine — SQL planned, records produced to topics of
the embedded log, ``StreamApplication`` reading them, outputs read back from the sink topic —
equal DuckDB's answer to the equivalent batch query over the same input, for stream-stream
(``WITHIN``), stream-table, table-table and foreign-key joins, inner, left and full outer, with
out-of-order records, late records, NULL join keys and tombstones.

What the batch query runs over is said explicitly per join, as ksqlDB's semantics make it:

- stream-stream: the records whose disorder stays within the grace period join as the batch
  join with the window as condition; a record arriving after its side's store has expired its
  segment is late — dropped (counted), output alone on an outer side, joined with nothing;
  records with a NULL join key or no value are dropped;
- stream-table: each stream record joins the table as it stands when the record is processed,
  the records taken in time order across both topics (table first at equal times, each topic
  in its own order): DuckDB joins each stream record with the table row version valid at its
  place in that order;
- table-table, on the primary key or a foreign key: the output table, read to its end, is the
  batch join of the final tables.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streammesh.log import ConsumerOptions, IsolationLevel, TopicPartition, TopicSpec, open_log
from streammesh.streams.engine import StreamApplication
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

pytestmark = pytest.mark.slow  # each property runs ~6-10 s against DuckDB

Sent = tuple[str, bytes | None, dict[str, Any] | None, int]
"""A record produced: topic, key, JSON value (``None``: a tombstone), timestamp."""
Read = tuple[bytes | None, dict[str, Any] | None, int]

KINDS = {"inner": "JOIN", "left": "LEFT JOIN", "full": "FULL OUTER JOIN"}
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def int_key(value: int) -> bytes:
    """An ``INT`` key in the KAFKA format: 4 bytes big-endian."""
    return value.to_bytes(4, "big", signed=True)


def run_engine(
    sql: str, topics: list[str], records: list[Sent], sink: str
) -> tuple[list[Read], int]:
    """Run the script's last query over ``records``: what it wrote, and its late count."""
    text = sql
    query = plan_statements(parse_statements(text), text=text).queries[-1]
    with tempfile.TemporaryDirectory() as directory:
        log = open_log(f"embedded://{directory}/log")
        try:
            for topic in topics:
                log.create_topic(TopicSpec(topic, partitions=1))
            with log.producer() as producer:
                for topic, key, value, ts in records:
                    data = None if value is None else json.dumps(value).encode()
                    producer.send(topic, data, key=key, timestamp_ms=ts)
            with StreamApplication(log, query, "prop", state_dir=f"{directory}/s") as app:
                app.run_until_idle()
                late = sum(task.late for task in app.stats().values())
            options = ConsumerOptions(
                isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False
            )
            partition = TopicPartition(sink, 0)
            found: list[Read] = []
            with log.consumer(options) as reader:
                reader.assign([partition])
                reader.seek_to_beginning()
                end = reader.end_offsets([partition])[partition]
                while reader.position(partition) < end:
                    for record in reader.poll(timeout=0.2):
                        value = None if record.value is None else json.loads(record.value)
                        found.append((record.key, value, record.timestamp_ms))
        finally:
            log.close()
    return found, late


def duck(query: str, **tables: list[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    """The rows of ``query`` over ``tables`` (each a list of BIGINT rows c0, c1, ...)."""
    connection = duckdb.connect()
    for name, rows in tables.items():
        width = len(rows[0]) if rows else 4
        columns = ", ".join(f"c{i} BIGINT" for i in range(width))
        connection.execute(f"CREATE TABLE {name} ({columns})")
        if rows:
            marks = ", ".join("?" for _ in range(width))
            connection.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    return Counter(tuple(row) for row in connection.execute(query).fetchall())


# -- stream-stream ----------------------------------------------------------------------------

WITHIN = 50  # before = after = grace; the on-time records' disorder stays within it
START = 600_000  # on-time records from here: late ones (0-300) are segments behind
STREAMS = """
CREATE STREAM ls (k INT, id INT) WITH (kafka_topic='ls', value_format='JSON');
CREATE STREAM rs (k INT, id INT) WITH (kafka_topic='rs', value_format='JSON');
CREATE STREAM o AS SELECT l.k AS k, l.id AS lid, r.id AS rid FROM ls l {join} rs r
  WITHIN {within} MILLISECONDS GRACE PERIOD {within} MILLISECONDS ON l.k = r.k;
"""

join_keys = st.one_of(st.integers(0, 3), st.none())
on_time = st.lists(
    # join key, time, disorder (0..WITHIN), whether the record has no value
    st.tuples(join_keys, st.integers(0, 300), st.integers(0, WITHIN), st.booleans()),
    max_size=12,
)
late = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 300)), max_size=3)


def stream_side(
    topic: str,
    first_id: int,
    records: list[tuple[int | None, int, int, bool]],
    late_records: list[tuple[int, int]],
) -> tuple[list[Sent], list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """One side's records in the order they are produced — on time ones shuffled by their
    disorder, then the late ones — and the (key, id, ts) of those kept and of the late."""
    ordered = sorted(records, key=lambda item: item[1] + item[2])
    sent: list[Sent] = []
    kept: list[tuple[int, int, int]] = []
    for n, (key, ts, _disorder, empty) in enumerate(ordered):
        record_id = first_id + n
        value = None if empty else {"k": key, "id": record_id}
        sent.append((topic, None, value, START + ts))
        if value is not None and key is not None:
            kept.append((key, record_id, START + ts))
    dropped: list[tuple[int, int, int]] = []
    if kept:  # the side's store has seen START: records 600 s older are late
        for n, (key, ts) in enumerate(late_records):
            record_id = first_id + 500 + n
            sent.append((topic, None, {"k": key, "id": record_id}, ts))
            dropped.append((key, record_id, ts))
    return sent, kept, dropped


@PROPERTY
@given(on_time, late, on_time, late, st.sampled_from(sorted(KINDS)))
# Two late records within the window of each other join nothing: each is output alone.
@example([(0, 10, 0, False)], [(1, 100)], [(0, 20, 0, False)], [(1, 105)], "full")
def test_stream_stream_joins_equal_duckdb_with_out_of_order_late_and_empty_records(
    left: list[tuple[int | None, int, int, bool]],
    left_late: list[tuple[int, int]],
    right: list[tuple[int | None, int, int, bool]],
    right_late: list[tuple[int, int]],
    kind: str,
) -> None:
    sent_left, kept_left, late_left = stream_side("ls", 1_000, left, left_late)
    sent_right, kept_right, late_right = stream_side("rs", 2_000, right, right_late)
    # A last record far ahead, of a key nothing else has, closes every window.
    closing: Sent = ("ls", None, {"k": 99, "id": 9_999}, START + 100_000)
    sql = STREAMS.format(join=KINDS[kind], within=WITHIN)
    written, late_count = run_engine(sql, ["ls", "rs"], [*sent_left, closing, *sent_right], "O")
    produced = Counter(
        (value["LID"], value["RID"], ts)
        for _key, value, ts in written
        if value is not None and value["LID"] != 9_999
    )
    alone = ""
    if kind in ("left", "full"):
        alone += " UNION ALL SELECT c1, NULL, c2 FROM late_left"
    if kind == "full":
        alone += " UNION ALL SELECT NULL, c1, c2 FROM late_right"
    expected = duck(
        "SELECT l.c1, r.c1, GREATEST(COALESCE(l.c2, r.c2), COALESCE(r.c2, l.c2))"
        f" FROM ls l {KINDS[kind]} rs r ON l.c0 = r.c0"
        f" AND r.c2 BETWEEN l.c2 - {WITHIN} AND l.c2 + {WITHIN}" + alone,
        ls=kept_left,
        rs=kept_right,
        late_left=late_left,
        late_right=late_right,
    )
    assert produced == expected
    assert late_count == len(late_left) + len(late_right)


# -- stream-table -----------------------------------------------------------------------------

STREAM_TABLE = """
CREATE STREAM s (k INT, id INT) WITH (kafka_topic='s', value_format='JSON');
CREATE TABLE t (k INT PRIMARY KEY, v INT) WITH (kafka_topic='t', value_format='JSON');
CREATE STREAM o AS SELECT s.k AS k, s.id AS id, t.v AS v FROM s {join} t ON s.k = t.k;
"""


@PROPERTY
@given(
    st.lists(st.tuples(join_keys, st.integers(0, 20)), max_size=15),
    st.lists(
        st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 5)), st.integers(0, 20)),
        max_size=15,
    ),
    st.sampled_from(["inner", "left"]),
)
# At equal times the table's change is taken first; then the stream's record a later
# tombstone of the key (at the same time, after it on its topic) does not revise.
@example([(0, 5), (1, 5)], [(0, 3, 5), (1, 4, 6), (0, None, 5)], "inner")
def test_stream_table_joins_equal_duckdb_as_of_the_order_records_are_taken(
    stream: list[tuple[int | None, int]],
    table: list[tuple[int, int | None, int]],
    kind: str,
) -> None:
    # Both topics out of order. The task takes the earliest head of the two topics next
    # (the table's at equal times); that order decides which table row a record meets.
    order: list[tuple[str, int]] = []
    i = j = 0
    while i < len(stream) or j < len(table):
        if j < len(table) and (i == len(stream) or table[j][2] <= stream[i][1]):
            order.append(("t", j))
            j += 1
        else:
            order.append(("s", i))
            i += 1
    records: list[Sent] = []
    records += [("s", None, {"k": key, "id": n}, ts) for n, (key, ts) in enumerate(stream)]
    records += [
        ("t", int_key(key), None if value is None else {"v": value}, ts) for key, value, ts in table
    ]
    versions: list[tuple[int, int, int, int]] = []  # key, value, from, to (positions)
    current: dict[int, tuple[int, int]] = {}
    probes: list[tuple[int, int, int]] = []  # stream id, key, position
    for position, (topic, index) in enumerate(order):
        if topic == "s":
            key = stream[index][0]
            if key is not None:
                probes.append((index, key, position))
            continue
        key, value, _ts = table[index]
        if key in current:
            old, since = current.pop(key)
            versions.append((key, old, since, position))
        if value is not None:
            current[key] = (value, position)
    versions += [(key, value, since, 2**40) for key, (value, since) in current.items()]
    written, _late = run_engine(STREAM_TABLE.format(join=KINDS[kind]), ["s", "t"], records, "O")
    produced = Counter(
        (value["ID"], value["V"], ts) for _key, value, ts in written if value is not None
    )
    expected = _stream_table_expected(kind, probes, versions, stream)
    assert produced == expected


def _stream_table_expected(
    kind: str,
    probes: list[tuple[int, int, int]],
    versions: list[tuple[int, int, int, int]],
    stream: list[tuple[int | None, int]],
) -> Counter[tuple[Any, ...]]:
    """DuckDB: each probing stream record with the table row version valid at its position;
    the output is stamped with the stream record's timestamp."""
    stamped = [(n, key, position, stream[n][1]) for n, key, position in probes]
    return duck(
        f"SELECT p.c0, v.c1, p.c3 FROM p {KINDS[kind]} v"
        " ON p.c1 = v.c0 AND v.c2 < p.c2 AND p.c2 < v.c3",
        p=stamped,
        v=versions,
    )


# -- table-table ------------------------------------------------------------------------------

TABLES = """
CREATE TABLE lt (k INT PRIMARY KEY, a INT) WITH (kafka_topic='lt', value_format='JSON');
CREATE TABLE rt (k INT PRIMARY KEY, b INT) WITH (kafka_topic='rt', value_format='JSON');
CREATE TABLE o AS SELECT l.k AS k, l.a AS a, r.b AS b FROM lt l {join} rt r ON l.k = r.k;
"""

changes = st.lists(
    st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 5)), st.integers(0, 100)),
    max_size=15,
)


@PROPERTY
@given(changes, changes, st.sampled_from(sorted(KINDS)))
def test_table_table_joins_end_in_duckdb_join_of_the_final_tables(
    left: list[tuple[int, int | None, int]],
    right: list[tuple[int, int | None, int]],
    kind: str,
) -> None:
    records: list[Sent] = []
    final: dict[str, dict[int, int]] = {"lt": {}, "rt": {}}
    for topic, column, side in (("lt", "a", left), ("rt", "b", right)):
        for key, value, ts in side:  # timestamps in any order, tombstones included
            records.append((topic, int_key(key), None if value is None else {column: value}, ts))
            if value is None:
                final[topic].pop(key, None)
            else:
                final[topic][key] = value
    written, _late = run_engine(TABLES.format(join=KINDS[kind]), ["lt", "rt"], records, "O")
    table: dict[bytes, tuple[Any, Any]] = {}
    for key, value, _ts in written:
        assert key is not None
        if value is None:
            table.pop(key, None)
        else:
            table[key] = (value["A"], value["B"])
    produced = Counter(
        (int.from_bytes(key, "big", signed=True), a, b) for key, (a, b) in table.items()
    )
    expected = duck(
        f"SELECT COALESCE(l.c0, r.c0), l.c1, r.c1 FROM l {KINDS[kind]} r ON l.c0 = r.c0",
        l=list(final["lt"].items()),
        r=list(final["rt"].items()),
    )
    assert produced == expected


FOREIGN_KEY = """
CREATE TABLE o (id INT PRIMARY KEY, cid INT, amt INT) WITH (kafka_topic='o', value_format='JSON');
CREATE TABLE c (cid INT PRIMARY KEY, name INT) WITH (kafka_topic='c', value_format='JSON');
CREATE TABLE oc AS SELECT o.id AS id, o.cid AS cid, o.amt AS amt, c.name AS name
  FROM o {join} c ON o.cid = c.cid;
"""


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.one_of(st.none(), st.tuples(join_keys, st.integers(0, 5))),  # None: tombstone
            st.integers(0, 100),
        ),
        max_size=15,
    ),
    changes,
    st.sampled_from(["inner", "left"]),
)
def test_foreign_key_joins_end_in_duckdb_join_of_the_final_tables(
    orders: list[tuple[int, tuple[int | None, int] | None, int]],
    customers: list[tuple[int, int | None, int]],
    kind: str,
) -> None:
    # Orders change their customer (or lose it: a NULL foreign key), customers change and
    # are deleted, in any timestamp order: the output table ends as the final tables' join.
    records: list[Sent] = []
    final_orders: dict[int, tuple[int | None, int]] = {}
    final_customers: dict[int, int] = {}
    for key, change, ts in orders:
        value = None if change is None else {"cid": change[0], "amt": change[1]}
        records.append(("o", int_key(key), value, ts))
        if change is None:
            final_orders.pop(key, None)
        else:
            final_orders[key] = change
    for key, name, ts in customers:
        records.append(("c", int_key(key), None if name is None else {"name": name}, ts))
        if name is None:
            final_customers.pop(key, None)
        else:
            final_customers[key] = name
    written, _late = run_engine(FOREIGN_KEY.format(join=KINDS[kind]), ["o", "c"], records, "OC")
    table: dict[bytes, tuple[Any, ...]] = {}
    for key, value, _ts in written:
        assert key is not None
        if value is None:
            table.pop(key, None)
        else:
            table[key] = (value["CID"], value["AMT"], value["NAME"])
    produced = Counter(
        (int.from_bytes(key, "big", signed=True), *row) for key, row in table.items()
    )
    expected = duck(
        f"SELECT o.c0, o.c1, o.c2, c.c1 FROM o {KINDS[kind]} c ON o.c1 = c.c0",
        o=[(key, cid, amt) for key, (cid, amt) in final_orders.items()],
        c=list(final_customers.items()),
    )
    assert produced == expected
