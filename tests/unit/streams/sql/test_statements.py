"""ksqlDB statements parse into the statement objects the planner reads."""

from __future__ import annotations

import pytest

from streammesh.streams import expressions as ex
from streammesh.streams import types
from streammesh.streams.sql import statements as st
from streammesh.streams.sql.parser import parse_statements


def one(text: str) -> st.Statement:
    [statement] = parse_statements(text)
    return statement


def col(name: str, source: str | None = None) -> ex.Column:
    return ex.Column(name, source)


def integer(value: int) -> ex.Literal:
    return ex.Literal(value, types.INTEGER)


def test_trending_stocks_use_case() -> None:
    statement = one(
        "CREATE TABLE trending_stocks WITH (product='analytics.trending_stocks') AS\n"
        "SELECT symbol, SUM(quantity) AS total_quantity, WINDOWSTART, WINDOWEND\n"
        "FROM stocktrades WINDOW TUMBLING (SIZE 15 MINUTES) GROUP BY symbol EMIT CHANGES;"
    )
    assert isinstance(statement, st.CreateAsSelect)
    assert statement.kind is st.SourceKind.TABLE
    assert statement.name == "TRENDING_STOCKS"
    assert statement.properties.product == "analytics.trending_stocks"
    query = statement.query
    assert query.select == (
        st.SelectExpression(col("SYMBOL")),
        st.SelectExpression(ex.Call("SUM", (col("QUANTITY"),)), "TOTAL_QUANTITY"),
        st.SelectExpression(col("WINDOWSTART")),
        st.SelectExpression(col("WINDOWEND")),
    )
    assert query.source == st.AliasedSource("STOCKTRADES")
    assert query.window == st.TumblingWindow(15 * 60_000)
    assert query.group_by == (col("SYMBOL"),)
    assert query.emit is st.EmitMode.CHANGES


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            "price > 500 AND quantity > 2500",
            ex.Binary(
                ex.BinaryOperator.AND,
                ex.Binary(ex.BinaryOperator.GREATER, col("PRICE"), integer(500)),
                ex.Binary(ex.BinaryOperator.GREATER, col("QUANTITY"), integer(2500)),
            ),
        ),
        (
            "regionid = 'REGION_1'",
            ex.Binary(
                ex.BinaryOperator.EQUAL,
                col("REGIONID"),
                ex.Literal("REGION_1", types.STRING),
            ),
        ),
    ],
)
def test_join_use_cases(condition: str, expected: ex.Expression) -> None:
    statement = one(
        "CREATE STREAM flagged AS SELECT t.*, u.regionid FROM stocktrades t\n"
        f"LEFT JOIN users u ON t.userid = u.userid WHERE {condition} EMIT CHANGES;"
    )
    assert isinstance(statement, st.CreateAsSelect)
    query = statement.query
    assert query.select == (
        st.SelectAll("T"),
        st.SelectExpression(col("REGIONID", "U")),
    )
    assert query.source == st.AliasedSource("STOCKTRADES", "T")
    assert query.joins == (
        st.Join(
            st.JoinKind.LEFT,
            st.AliasedSource("USERS", "U"),
            ex.Binary(ex.BinaryOperator.EQUAL, col("USERID", "T"), col("USERID", "U")),
        ),
    )
    assert query.where == expected


def test_create_stream_with_columns_keys_and_properties() -> None:
    statement = one(
        "CREATE OR REPLACE STREAM IF NOT EXISTS pageviews (\n"
        "  viewtime BIGINT, `userId` VARCHAR KEY, pageid STRING, h BYTES HEADER('trace'),\n"
        "  hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS\n"
        ") WITH (kafka_topic='pageviews', value_format='json', partitions=3, replicas=1,\n"
        "  timestamp='viewtime', timestamp_format='yyyy-MM-dd', wrap_single_value=false,\n"
        "  'RETENTION_MS'=86400000, key_format='kafka', value_delimiter='|');"
    )
    assert isinstance(statement, st.CreateSource)
    assert (statement.kind, statement.name) == (st.SourceKind.STREAM, "PAGEVIEWS")
    assert statement.or_replace and statement.if_not_exists and not statement.source
    assert statement.columns == (
        st.ColumnDefinition("VIEWTIME", types.BIGINT),
        st.ColumnDefinition("userId", types.STRING, st.ColumnRole.KEY),
        st.ColumnDefinition("PAGEID", types.STRING),
        st.ColumnDefinition("H", types.BYTES, st.ColumnRole.HEADER, "trace"),
        st.ColumnDefinition(
            "HS",
            types.array(types.struct(("KEY", types.STRING), ("VALUE", types.BYTES))),
            st.ColumnRole.HEADERS,
        ),
    )
    assert statement.properties == st.SourceProperties(
        kafka_topic="pageviews",
        value_format="JSON",
        key_format="KAFKA",
        partitions=3,
        replicas=1,
        timestamp="VIEWTIME",
        timestamp_format="yyyy-MM-dd",
        value_delimiter="|",
        wrap_single_value=False,
        retention_ms=86_400_000,
    )


def test_create_table_primary_key_source_and_no_columns() -> None:
    table = one(
        "CREATE SOURCE TABLE users (id STRING PRIMARY KEY, name STRING)"
        " WITH (kafka_topic='users', format='avro');"
    )
    assert isinstance(table, st.CreateSource)
    assert table.source and table.kind is st.SourceKind.TABLE
    assert table.columns[0] == st.ColumnDefinition("ID", types.STRING, st.ColumnRole.PRIMARY_KEY)
    assert table.properties.format == "AVRO"
    inferred = one("CREATE STREAM s WITH (kafka_topic='s', value_format='AVRO');")
    assert isinstance(inferred, st.CreateSource) and inferred.columns == ()


def test_timestamp_property_follows_identifier_rules() -> None:
    statement = one("CREATE STREAM s (ts BIGINT) WITH (kafka_topic='s', timestamp='`ts`');")
    assert isinstance(statement, st.CreateSource)
    assert statement.properties.timestamp == "ts"


def test_insert_into_insert_values_and_drop() -> None:
    insert = one("INSERT INTO all_trades WITH (query_id='eu') SELECT * FROM eu_trades;")
    assert isinstance(insert, st.InsertInto)
    assert insert.properties == st.SourceProperties(query_id="eu")
    assert insert.target == "ALL_TRADES" and insert.query.select == (st.SelectAll(),)
    values = one("INSERT INTO users (id, name) VALUES ('u1', 'Ann');")
    assert values == st.InsertValues(
        "USERS",
        ("ID", "NAME"),
        (ex.Literal("u1", types.STRING), ex.Literal("Ann", types.STRING)),
    )
    assert one("DROP TABLE IF EXISTS users DELETE TOPIC;") == st.Drop(
        st.SourceKind.TABLE, "USERS", if_exists=True, delete_topic=True
    )
    assert one("drop stream s") == st.Drop(st.SourceKind.STREAM, "S")


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("TUMBLING (SIZE 1 HOUR)", st.TumblingWindow(3_600_000)),
        (
            "TUMBLING (SIZE 5 SECONDS, RETENTION 2 DAYS, GRACE PERIOD 10 MILLISECONDS)",
            st.TumblingWindow(5_000, 2 * 86_400_000, 10),
        ),
        (
            "HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS, GRACE PERIOD 1 MINUTE)",
            st.HoppingWindow(30_000, 10_000, None, 60_000),
        ),
        ("SESSION (5 MINUTES)", st.SessionWindow(300_000)),
        ("SESSION (1 DAY, RETENTION 7 DAYS)", st.SessionWindow(86_400_000, 7 * 86_400_000)),
        ("w TUMBLING (SIZE 1 MILLISECOND)", st.TumblingWindow(1)),
    ],
)
def test_windows_and_durations_in_milliseconds(clause: str, expected: st.Window) -> None:
    query = one(f"SELECT k, COUNT(*) FROM s WINDOW {clause} GROUP BY k EMIT FINAL;")
    assert isinstance(query, st.Query)
    assert query.window == expected
    assert query.emit is st.EmitMode.FINAL
    assert query.select[1] == st.SelectExpression(ex.Call("COUNT", star=True))


@pytest.mark.parametrize(
    ("join", "kind", "within"),
    [
        ("JOIN b WITHIN 1 HOUR", st.JoinKind.INNER, st.JoinWindow(3_600_000, 3_600_000)),
        ("INNER JOIN b", st.JoinKind.INNER, None),
        ("LEFT OUTER JOIN b", st.JoinKind.LEFT, None),
        ("RIGHT JOIN b", st.JoinKind.RIGHT, None),
        (
            "FULL OUTER JOIN b WITHIN (10 SECONDS, 1 MINUTE) GRACE PERIOD 2 SECONDS",
            st.JoinKind.FULL,
            st.JoinWindow(10_000, 60_000, 2_000),
        ),
    ],
)
def test_join_kinds_and_windows(join: str, kind: st.JoinKind, within: st.JoinWindow) -> None:
    query = one(f"SELECT * FROM a {join} ON a.id = b.id EMIT CHANGES;")
    assert isinstance(query, st.Query)
    [joined] = query.joins
    assert (joined.kind, joined.source, joined.within) == (kind, st.AliasedSource("B"), within)


def test_every_query_clause_in_order() -> None:
    query = one(
        "SELECT a AS x, b y, s->* FROM t AS src WHERE a > 1 GROUP BY (a, b)"
        " PARTITION BY a HAVING COUNT(*) > 2 EMIT CHANGES LIMIT 10;"
    )
    assert isinstance(query, st.Query)
    assert query.select == (
        st.SelectExpression(col("A"), "X"),
        st.SelectExpression(col("B"), "Y"),
        st.SelectStructAll(col("S")),
    )
    assert query.source == st.AliasedSource("T", "SRC")
    assert query.group_by == (col("A"), col("B"))
    assert query.partition_by == (col("A"),)
    assert query.having == ex.Binary(
        ex.BinaryOperator.GREATER, ex.Call("COUNT", star=True), integer(2)
    )
    assert query.limit == 10


def test_several_statements_and_comments() -> None:
    statements = parse_statements(
        "-- the sources\n"
        "CREATE STREAM a (x INT) WITH (kafka_topic='a', value_format='json');\n"
        "/* a block\n comment; with a semicolon */\n"
        "CREATE STREAM b AS SELECT x FROM a EMIT CHANGES; -- trailing\n"
        "DROP STREAM b\n"
    )
    assert [type(statement) for statement in statements] == [
        st.CreateSource,
        st.CreateAsSelect,
        st.Drop,
    ]
    second = statements[1]
    assert second.text == "CREATE STREAM b AS SELECT x FROM a EMIT CHANGES"
    assert second.position == ex.Position(5, 1)


def test_pull_query_is_a_query_without_emit() -> None:
    query = one("SELECT * FROM users WHERE id = 'u1';")
    assert isinstance(query, st.Query) and query.emit is None


def test_a_data_product_is_named_in_from_by_its_dotted_name() -> None:
    query = one(
        "SELECT t.symbol FROM execution.stocktrades t"
        " JOIN `members`.`Profiles` p ON t.userid = p.id EMIT CHANGES;"
    )
    assert isinstance(query, st.Query)
    assert query.source == st.AliasedSource("execution.stocktrades", "T", is_product=True)
    assert query.joins[0].source == st.AliasedSource("members.Profiles", "P", is_product=True)
    plain = one("SELECT * FROM stocktrades EMIT CHANGES;")
    assert isinstance(plain, st.Query)
    assert plain.source == st.AliasedSource("STOCKTRADES")
