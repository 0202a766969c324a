"""For random finite inputs, the joins agree with DuckDB's batch joins: a stream-table LEFT
JOIN gives each stream record joined with the table as it stood when the record arrived,
table-table joins (primary and foreign key) end in the join of the final tables, and a
stream-stream join whose windows all close outputs the batch join with the window as the
join condition (records in timestamp order for outer joins)."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.streams.engine.join_rows import JoinInput, JoinLayout, Side
from streammesh.streams.engine.join_tables import ForeignKeyJoin, TableTableJoin
from streammesh.streams.engine.joins import StreamStreamJoin, StreamTableJoin
from streammesh.streams.sql.statements import JoinKind, JoinWindow
from tests.unit.streams.engine.joins_support import LAYOUT, open_stores

keys = st.one_of(st.none(), st.integers(0, 3))
table_keys = st.integers(0, 3)
values = st.integers(0, 5)
SQL_KIND = {JoinKind.INNER: "JOIN", JoinKind.LEFT: "LEFT JOIN", JoinKind.FULL: "FULL JOIN"}


def duck(query: str, **tables: list[tuple[object, ...]]) -> Counter[tuple[object, ...]]:
    """The rows of ``query`` over ``tables`` (name: rows of columns c0, c1, ...)."""
    connection = duckdb.connect()
    for name, rows in tables.items():
        width = {
            "stream": 3,
            "versions": 4,
            "l": 2,
            "r": 2,
            "o": 3,
            "c": 2,
            "ls": 3,
            "rs": 3,
        }[name]
        columns = ", ".join(f"c{i} BIGINT" for i in range(width))
        connection.execute(f"CREATE TABLE {name} ({columns})")
        if rows:
            marks = ", ".join("?" for _ in range(width))
            connection.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    return Counter(tuple(row) for row in connection.execute(query).fetchall())


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("stream"), keys, values),
            st.tuples(st.just("table"), table_keys, st.one_of(st.none(), values)),
        ),
        max_size=25,
    )
)
def test_stream_table_left_join_uses_the_table_as_of_each_stream_record(
    events: list[tuple[str, int | None, int | None]],
) -> None:
    stream: list[tuple[object, ...]] = []
    versions: list[tuple[object, ...]] = []
    current: dict[int, tuple[int, int]] = {}  # key -> (value, valid from)
    produced: Counter[tuple[object, ...]] = Counter()
    with tempfile.TemporaryDirectory() as root, open_stores(Path(root)) as stores:
        join = StreamTableJoin(
            JoinKind.LEFT, table=stores.key_value("t"), stream_column=0, layout=LAYOUT
        )
        for seq, (what, key, value) in enumerate(events):
            if what == "stream":
                stream.append((seq, key, value))
                result = join.process(Side.LEFT, JoinInput((), (key, value), seq))
            else:
                assert key is not None
                if key in current:
                    old, since = current.pop(key)
                    versions.append((key, old, since, seq))
                if value is not None:
                    current[key] = (value, seq)
                row = None if value is None else (key, value)
                result = join.process(Side.RIGHT, JoinInput((key,), row, seq))
            for output in result.outputs:
                assert output.row is not None
                produced[(output.timestamp, output.row[0], output.row[1], output.row[3])] += 1
    versions.extend((key, value, since, 2**62) for key, (value, since) in current.items())
    expected = duck(
        "SELECT s.c0, s.c1, s.c2, v.c1 FROM stream s LEFT JOIN versions v "
        "ON s.c1 = v.c0 AND v.c2 < s.c0 AND s.c0 < v.c3 WHERE s.c1 IS NOT NULL",
        stream=stream,
        versions=versions,
    )
    assert produced == expected


table_changes = st.lists(
    st.tuples(st.sampled_from([Side.LEFT, Side.RIGHT]), table_keys, st.one_of(st.none(), values)),
    max_size=30,
)


@settings(max_examples=25, deadline=None)
@given(table_changes, st.sampled_from([JoinKind.INNER, JoinKind.LEFT, JoinKind.FULL]))
def test_table_table_join_ends_in_the_join_of_the_final_tables(
    changes: list[tuple[Side, int, int | None]], kind: JoinKind
) -> None:
    tables: dict[Side, dict[int, int]] = {Side.LEFT: {}, Side.RIGHT: {}}
    joined: dict[object, tuple[object, ...]] = {}
    with tempfile.TemporaryDirectory() as root, open_stores(Path(root)) as stores:
        join = TableTableJoin(
            kind, left=stores.key_value("l"), right=stores.key_value("r"), layout=LAYOUT
        )
        for ts, (side, key, value) in enumerate(changes):
            if value is None:
                tables[side].pop(key, None)
            else:
                tables[side][key] = value
            row = None if value is None else (key, value)
            for output in join.process(side, JoinInput((key,), row, ts)).outputs:
                if output.row is None:
                    joined.pop(output.key[0], None)
                else:
                    joined[output.key[0]] = output.row
    final = Counter((key, row[1], row[3]) for key, row in joined.items())
    expected = duck(
        f"SELECT COALESCE(l.c0, r.c0), l.c1, r.c1 FROM l {SQL_KIND[kind]} r ON l.c0 = r.c0",
        l=list(tables[Side.LEFT].items()),
        r=list(tables[Side.RIGHT].items()),
    )
    assert final == expected


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just(Side.LEFT), table_keys, st.one_of(st.none(), keys), values),
            st.tuples(st.just(Side.RIGHT), table_keys, st.none(), st.one_of(st.none(), values)),
        ),
        max_size=30,
    ),
    st.sampled_from([JoinKind.INNER, JoinKind.LEFT]),
    st.data(),
)
def test_foreign_key_join_ends_in_the_join_of_the_final_tables(
    changes: list[tuple[Side, int, int | None, int | None]], kind: JoinKind, data: st.DataObject
) -> None:
    orders: dict[int, tuple[int | None, int]] = {}
    customers: dict[int, int] = {}
    joined: dict[object, tuple[object, ...]] = {}
    with tempfile.TemporaryDirectory() as root, open_stores(Path(root)) as stores:
        join = ForeignKeyJoin(
            kind,
            left=stores.key_value("o"),
            right=stores.key_value("c"),
            subscriptions=stores.key_value("s"),
            foreign_key_column=1,
            layout=JoinLayout(3, 2),
        )
        for ts, (side, key, foreign_key, value) in enumerate(changes):
            deleted = value is None or (side is Side.LEFT and data.draw(st.booleans()))
            if side is Side.LEFT:
                row: tuple[object, ...] | None = None if deleted else (key, foreign_key, value)
                if row is None:
                    orders.pop(key, None)
                else:
                    orders[key] = (foreign_key, value)  # type: ignore[assignment]
            else:
                row = None if value is None else (key, value)
                if value is None:
                    customers.pop(key, None)
                else:
                    customers[key] = value
            for output in join.process(side, JoinInput((key,), row, ts)).outputs:
                if output.row is None:
                    joined.pop(output.key[0], None)
                else:
                    joined[output.key[0]] = output.row
    final = Counter((row[0], row[1], row[2], row[4]) for row in joined.values())
    expected = duck(
        f"SELECT o.c0, o.c1, o.c2, c.c1 FROM o {SQL_KIND[kind]} c ON o.c1 = c.c0",
        o=[(key, fk, value) for key, (fk, value) in orders.items()],
        c=list(customers.items()),
    )
    assert final == expected


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([Side.LEFT, Side.RIGHT]), keys, st.integers(0, 60))),
    st.sampled_from([JoinKind.INNER, JoinKind.LEFT, JoinKind.FULL]),
    st.integers(0, 10),
    st.integers(0, 10),
)
def test_stream_stream_join_with_grace_outputs_the_windowed_batch_join(
    records: list[tuple[Side, int | None, int]], kind: JoinKind, before: int, after: int
) -> None:
    # A last record far ahead closes every window. Out of order records join like in-order
    # ones (nothing is old enough to expire); on an outer side, an unmatched record whose
    # window end is already behind the stream time is output alone at once, as in Kafka
    # Streams, and may be joined later too — so outer joins get their records in order.
    if kind is not JoinKind.INNER:
        records = sorted(records, key=lambda item: item[2])
    window = JoinWindow(before, after, 100)
    sides: dict[Side, list[tuple[object, ...]]] = {Side.LEFT: [], Side.RIGHT: []}
    produced: Counter[tuple[object, ...]] = Counter()
    with tempfile.TemporaryDirectory() as root, open_stores(Path(root)) as stores:
        retention = StreamStreamJoin.retention_ms(window)
        join = StreamStreamJoin(
            kind,
            window,
            left_store=stores.window("this", retention_ms=retention),
            right_store=stores.window("other", retention_ms=retention),
            shared=stores.key_value("shared"),
            left_column=0,
            right_column=0,
            layout=LAYOUT,
        )
        closing = [(Side.RIGHT, -1, 10_000)]
        for seq, (side, key, ts) in enumerate([*records, *closing]):
            if key is not None and key >= 0:
                sides[side].append((key, seq, ts))
            result = join.process(side, JoinInput((), (key, seq), ts))
            for output in result.outputs:
                left, right = output.left, output.right
                produced[
                    (
                        None if left is None else left[1],
                        None if right is None else right[1],
                        output.timestamp,
                    )
                ] += 1
    expected = duck(
        "SELECT ls.c1, rs.c1, GREATEST(COALESCE(ls.c2, rs.c2), COALESCE(rs.c2, ls.c2)) "
        f"FROM ls {SQL_KIND[kind]} rs ON ls.c0 = rs.c0 "
        f"AND rs.c2 BETWEEN ls.c2 - {before} AND ls.c2 + {after}",
        ls=sides[Side.LEFT],
        rs=sides[Side.RIGHT],
    )
    assert produced == expected
