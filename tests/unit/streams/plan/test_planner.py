"""The planner: ksqlDB's names, key rules and errors; the DSL compiles to the same plans."""

from __future__ import annotations

import pytest

from streammesh.streams.dsl import call, col, stream
from streammesh.streams.evaluation import ExpressionTypeError, UnknownColumn
from streammesh.streams.plan import (
    Aggregate,
    DuplicateKey,
    InvalidQuery,
    KeyNotProjected,
    Project,
    Rekey,
    SourceExists,
    UnknownSource,
    explain,
)
from streammesh.streams.planner import Script, plan_statements
from streammesh.streams.sql import UnsupportedSql, parse_statements
from streammesh.streams.types import BIGINT, DOUBLE, INTEGER, STRING

TRADES = (
    "CREATE STREAM trades (id INT KEY, symbol STRING, price DOUBLE, qty INT)"
    " WITH (kafka_topic='trades', value_format='json');\n"
)


def plan(text: str) -> Script:
    full = TRADES + text
    return plan_statements(parse_statements(full), text=full)


def columns(script: Script, index: int = 0) -> list[str]:
    return [column.text() for column in script.queries[index].plan.schema.columns]


def test_projection_names_follow_ksqldb() -> None:
    script = plan(
        "CREATE STREAM out AS SELECT id, UCASE(symbol), price * qty, qty AS q FROM trades;"
    )
    assert columns(script) == [
        "ID INTEGER KEY",
        "KSQL_COL_0 STRING",
        "KSQL_COL_1 DOUBLE",
        "Q INTEGER",
    ]
    assert script.queries[0].id == "CSAS_OUT_0"
    assert script.queries[0].plan.topic == "OUT"


def test_select_star_puts_keys_first_and_leaves_pseudo_columns_out() -> None:
    script = plan("CREATE STREAM out AS SELECT * FROM trades;")
    assert columns(script) == ["ID INTEGER KEY", "SYMBOL STRING", "PRICE DOUBLE", "QTY INTEGER"]


def test_an_aliased_key_column_is_the_key() -> None:
    script = plan("CREATE STREAM out AS SELECT id AS trade, symbol FROM trades;")
    assert columns(script) == ["TRADE INTEGER KEY", "SYMBOL STRING"]


def test_key_missing_from_projection_reads_as_in_ksqldb() -> None:
    with pytest.raises(KeyNotProjected) as caught:
        plan("CREATE STREAM out AS SELECT symbol FROM trades;")
    assert (
        "The query used to build `OUT` must include the key column ID in its projection"
        " (eg, SELECT ID...)." in str(caught.value)
    )
    assert caught.value.line == 2


def test_key_projected_twice_is_refused() -> None:
    with pytest.raises(
        DuplicateKey, match=r"key column \(`ID`\) more than once, aliased as: ID and I2"
    ):
        plan("CREATE STREAM out AS SELECT id, id AS i2 FROM trades;")


def test_partition_by_a_column_makes_it_the_key() -> None:
    script = plan("CREATE STREAM out AS SELECT symbol, id, price FROM trades PARTITION BY symbol;")
    assert columns(script) == ["SYMBOL STRING KEY", "ID INTEGER", "PRICE DOUBLE"]
    assert isinstance(script.queries[0].plan.input, Project)
    assert isinstance(script.queries[0].plan.input.input, Rekey)


def test_partition_by_an_expression_needs_it_in_the_projection() -> None:
    script = plan(
        "CREATE STREAM out AS SELECT ABS(id) AS k, price FROM trades PARTITION BY ABS(id);"
    )
    assert columns(script) == ["K INTEGER KEY", "PRICE DOUBLE"]
    with pytest.raises(KeyNotProjected, match=r"partitioning expression ABS\(TRADES.ID\)"):
        plan("CREATE STREAM out AS SELECT id, price FROM trades PARTITION BY ABS(id);")


def test_partition_by_null_drops_the_key() -> None:
    script = plan("CREATE STREAM out AS SELECT id, price FROM trades PARTITION BY NULL;")
    assert columns(script) == ["ID INTEGER", "PRICE DOUBLE"]
    assert script.queries[0].plan.formats.key_format == "NONE"


def test_pseudo_columns_must_be_aliased() -> None:
    script = plan("CREATE STREAM out AS SELECT id, ROWTIME AS ts, ROWPARTITION AS p FROM trades;")
    assert columns(script) == ["ID INTEGER KEY", "TS BIGINT", "P INTEGER"]
    with pytest.raises(InvalidQuery, match="Reserved column name in select: ROWTIME"):
        plan("CREATE STREAM out AS SELECT id, ROWTIME FROM trades;")


def test_type_error_names_column_types_and_place() -> None:
    with pytest.raises(ExpressionTypeError) as caught:
        plan("CREATE STREAM out AS SELECT id FROM trades WHERE price > 'x';")
    assert "PRICE (DOUBLE)" in str(caught.value)
    assert "'x' (STRING)" in str(caught.value)
    assert "line 2, column 50" in str(caught.value)


def test_unknown_names_suggest_the_nearest() -> None:
    with pytest.raises(UnknownSource, match=r"TRADE does not exist; did you mean TRADES\?"):
        plan("CREATE STREAM out AS SELECT id FROM trade;")
    with pytest.raises(UnknownColumn, match=r"did you mean SYMBOL\?"):
        plan("CREATE STREAM out AS SELECT id, symbl FROM trades;")


def test_existing_name_and_wrong_result_kind_are_refused() -> None:
    with pytest.raises(SourceExists):
        plan("CREATE STREAM trades AS SELECT * FROM trades;")
    with pytest.raises(InvalidQuery, match="Please use CREATE STREAM AS SELECT"):
        plan("CREATE TABLE out AS SELECT * FROM trades;")


def test_insert_into_needs_the_same_schema() -> None:
    script = plan(
        "CREATE STREAM out AS SELECT id, price FROM trades;\n"
        "INSERT INTO out SELECT id, price * 2 AS price FROM trades;"
    )
    assert [query.id for query in script.queries] == ["CSAS_OUT_0", "INSERTQUERY_1"]
    assert script.queries[1].plan.topic == "OUT"
    with pytest.raises(InvalidQuery, match="Incompatible schema between results and sink"):
        plan(
            "CREATE STREAM out AS SELECT id, price FROM trades;\n"
            "INSERT INTO out SELECT id, symbol FROM trades;"
        )


def test_group_by_is_planned_as_an_aggregate() -> None:
    script = plan(
        "CREATE TABLE totals AS SELECT symbol, SUM(qty) AS total, COUNT(*) FROM trades"
        " WINDOW TUMBLING (SIZE 15 MINUTES) GROUP BY symbol;"
    )
    sink = script.queries[0].plan
    assert [c.text() for c in sink.schema.columns] == [
        "SYMBOL STRING KEY",
        "TOTAL INTEGER",
        "KSQL_COL_0 BIGINT",
    ]
    assert isinstance(sink.input, Project)
    assert isinstance(sink.input.input, Aggregate)
    with pytest.raises(KeyNotProjected, match="grouping expression SYMBOL"):
        plan("CREATE TABLE t AS SELECT COUNT(*) AS n FROM trades GROUP BY symbol;")


def test_transient_queries_and_insert_values_are_not_run() -> None:
    with pytest.raises(UnsupportedSql, match="a query outside CREATE"):
        plan("SELECT * FROM trades EMIT CHANGES;")


def test_explain_shows_the_tree_with_columns() -> None:
    script = plan("CREATE STREAM out AS SELECT id, price FROM trades WHERE qty > 10;")
    assert explain(script.queries[0].plan).splitlines() == [
        "Sink OUT (stream, topic OUT, key KAFKA, value JSON)",
        "  columns: ID INTEGER KEY, PRICE DOUBLE",
        "  Project TRADES.ID AS ID, PRICE AS PRICE",
        "    columns: ID INTEGER KEY, PRICE DOUBLE",
        "    Filter QTY > 10",
        "      columns: ID INTEGER KEY, SYMBOL STRING, PRICE DOUBLE, QTY INTEGER",
        "      Source TRADES (stream, topic trades, key KAFKA, value JSON)",
        "        columns: ID INTEGER KEY, SYMBOL STRING, PRICE DOUBLE, QTY INTEGER",
    ]


@pytest.mark.parametrize(
    ("sql", "pipeline"),
    [
        (
            "CREATE STREAM big AS SELECT id, symbol AS sym, price * qty AS total FROM trades"
            " WHERE price > 500 AND qty >= 10;",
            stream("TRADES")
            .filter((col("PRICE") > 500) & (col("QTY") >= 10))
            .select(
                col("ID"), col("SYMBOL").alias("SYM"), (col("PRICE") * col("QTY")).alias("TOTAL")
            )
            .to("BIG"),
        ),
        (
            "CREATE STREAM big WITH (value_format='delimited') AS SELECT symbol, id,"
            " UCASE(symbol) FROM trades PARTITION BY symbol;",
            stream("TRADES")
            .select(col("SYMBOL"), col("ID"), call("ucase", col("SYMBOL")))
            .partition_by("SYMBOL")
            .to("BIG", value_format="delimited"),
        ),
        (
            "CREATE STREAM big AS SELECT * FROM trades WHERE symbol IS NOT NULL"
            " AND NOT (price BETWEEN 1 AND 2);",
            stream("TRADES")
            .filter(col("SYMBOL").is_not_null())
            .filter(~col("PRICE").between(1, 2))
            .to("BIG"),
        ),
    ],
)
def test_the_dsl_compiles_to_the_same_plan_as_sql(sql: str, pipeline: object) -> None:
    from streammesh.streams.dsl import Sink

    assert isinstance(pipeline, Sink)
    from_sql = plan(sql)
    catalog = plan("").catalog
    assert pipeline.compile(catalog) == from_sql.queries[0].plan


def test_dsl_type_errors_are_the_planners() -> None:
    catalog = plan("").catalog
    with pytest.raises(ExpressionTypeError, match="PRICE"):
        stream("TRADES").filter(col("PRICE") > "x").select("ID").to("OUT").compile(catalog)
    assert (
        stream("TRADES")
        .select("ID", (col("QTY") + 1).alias("N"))
        .to("OUT")
        .compile(catalog)
        .schema.values[0]
        .type
        == INTEGER
    )
    _ = (BIGINT, DOUBLE, STRING)


JOINED = (
    "CREATE STREAM l (a INT KEY, b INT, c INT) WITH (kafka_topic='left', value_format='JSON');\n"
    "CREATE STREAM r (a INT KEY, b INT, c INT) WITH (kafka_topic='right', value_format='JSON');\n"
)


def test_join_names_shared_columns_source_column_and_keys_on_the_join_column() -> None:
    script = plan(
        JOINED + "CREATE STREAM out AS SELECT r.a, l.b, l.c, r.b, r.c FROM l INNER JOIN r"
        " WITHIN 10 SECONDS ON l.a = r.a;"
    )
    assert columns(script) == [
        "R_A INTEGER KEY",
        "L_B INTEGER",
        "L_C INTEGER",
        "R_B INTEGER",
        "R_C INTEGER",
    ]
    assert "Join INNER WITHIN 10000/10000 ms ON L.A = R.A" in explain(script.queries[0].plan)


def test_join_key_missing_from_projection_reads_as_in_ksqldb() -> None:
    with pytest.raises(KeyNotProjected) as caught:
        plan(
            JOINED + "CREATE STREAM out AS SELECT l.b, l.c, r.b, r.c FROM l INNER JOIN r"
            " WITHIN 10 SECONDS ON l.a = r.a;"
        )
    assert (
        "The query used to build `OUT` must include the join expressions L.A or R.A in its"
        " projection (eg, SELECT L.A...)." in str(caught.value)
    )


def test_formats_that_cannot_carry_the_columns_are_refused_when_planning() -> None:
    with pytest.raises(InvalidQuery, match="the KAFKA format cannot be used"):
        plan("CREATE STREAM out AS SELECT symbol, id, price FROM trades PARTITION BY symbol, id;")
    with pytest.raises(InvalidQuery, match="DELIMITED does not support type ARRAY"):
        plan(
            "CREATE STREAM out WITH (value_format='DELIMITED') AS"
            " SELECT id, ARRAY[qty] AS qs FROM trades;"
        )


def test_create_or_replace_replaces_the_query_and_keeps_its_id() -> None:
    script = plan(
        "CREATE STREAM out AS SELECT id, price FROM trades;\n"
        "CREATE OR REPLACE STREAM out AS SELECT id, price FROM trades WHERE qty > 1;"
    )
    assert [query.id for query in script.queries] == ["CSAS_OUT_0"]
    assert "Filter QTY > 1" in explain(script.queries[0].plan)


def test_the_dsl_table_compiles_like_create_table_as_select() -> None:
    from streammesh.streams.dsl import table

    text = (
        "CREATE TABLE users (id INT PRIMARY KEY, name STRING, region STRING)"
        " WITH (kafka_topic='users', value_format='JSON');\n"
    )
    sql = text + "CREATE TABLE eu AS SELECT id, name FROM users WHERE region = 'EU';"
    from_sql = plan_statements(parse_statements(sql), text=sql)
    pipeline = table("USERS").filter(col("REGION") == "EU").select("ID", "NAME").to("EU")
    assert pipeline.compile(from_sql.catalog.without("EU")) == from_sql.queries[0].plan


def test_emit_final_without_a_window_is_refused_in_ksqldb_words() -> None:
    # ksqlDB suppresses only windowed aggregations (suppress.json "should throw on non
    # windowed tables"); before, such a query ran silently as EMIT CHANGES.
    for statement in (
        "CREATE TABLE out AS SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol EMIT FINAL;",
        "CREATE STREAM out AS SELECT id, price FROM trades EMIT FINAL;",
    ):
        with pytest.raises(
            InvalidQuery, match=r"EMIT FINAL is only supported for windowed aggregations\."
        ):
            plan(statement)
    windowed = plan(
        "CREATE TABLE out AS SELECT symbol, COUNT(*) AS n FROM trades"
        " WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY symbol EMIT FINAL;"
    )
    assert len(windowed.queries) == 1
