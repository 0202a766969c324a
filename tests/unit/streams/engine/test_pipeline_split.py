"""An output row splits into the sink's key and value columns, whatever the sink's layout."""

from __future__ import annotations

import pytest

from streammesh.streams.engine.pipeline import compile_pipeline, split
from streammesh.streams.functions.registry import default_registry
from streammesh.streams.planner import plan_statements
from streammesh.streams.sql import parse_statements

SOURCE = (
    "CREATE STREAM events (k STRING KEY, id BIGINT, region STRING, price DOUBLE)"
    " WITH (kafka_topic='events', value_format='JSON');\n"
)


def _sink(statement: str):  # type: ignore[no-untyped-def]
    sql = SOURCE + statement
    query = plan_statements(parse_statements(sql), text=sql).queries[0]
    return compile_pipeline(query.id, query.plan, default_registry()).sink


@pytest.mark.parametrize(
    ("statement", "row", "key", "value"),
    [
        (
            "CREATE STREAM a AS SELECT k, id, region FROM events;",
            ("u1", 5, "R1"),
            ("u1",),
            (5, "R1"),
        ),
        (
            "CREATE STREAM b AS SELECT id, region FROM events PARTITION BY region;",
            ("R1", 5),
            ("R1",),
            (5,),
        ),
        (
            "CREATE TABLE c WITH (key_format='JSON') AS SELECT region, id, COUNT(*) AS n"
            " FROM events GROUP BY region, id EMIT CHANGES;",
            ("R1", 5, 3),
            ("R1", 5),
            (3,),
        ),
        (
            "CREATE STREAM d AS SELECT id, region FROM events PARTITION BY NULL;",
            (5, "R1"),
            (),
            (5, "R1"),
        ),
    ],
)
def test_rows_split_into_key_and_value(
    statement: str, row: tuple[object, ...], key: tuple[object, ...], value: tuple[object, ...]
) -> None:
    sink = _sink(statement)
    for _ in range(2):  # the second split uses what the first worked out
        assert split(sink, row) == (key, value)


def test_a_row_of_the_wrong_width_is_refused() -> None:
    sink = _sink("CREATE STREAM a AS SELECT k, id, region FROM events;")
    with pytest.raises(ValueError, match="2 values for 3 columns"):
        split(sink, ("u1", 5))
