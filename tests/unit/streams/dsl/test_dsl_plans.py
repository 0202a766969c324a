"""A pipeline built with the DSL is the statement the SQL parser builds for its SQL twin, so the
planner gives both the same plan — one case per construct, the issue's three use cases first —
and its SQL text (what ``streams run`` runs) parses back to that statement."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streammesh.streams.dsl import (
    Sink,
    avg,
    call,
    case,
    col,
    collect_list,
    collect_set,
    count,
    count_distinct,
    earliest_by_offset,
    hopping,
    latest_by_offset,
    lit,
    max_,
    min_,
    session,
    stream,
    sum_,
    table,
    topk,
    tumbling,
    window_end,
    window_start,
)
from streammesh.streams.functions import udf
from streammesh.streams.functions.builtins import builtin_registry
from streammesh.streams.planner import Script, plan_statements
from streammesh.streams.sql import parse_statements
from streammesh.streams.sql.statements import CreateAsSelect, SourceKind

DECLARATIONS = """\
CREATE STREAM stocktrades (side STRING, quantity INT, symbol STRING, price INT,
  account STRING, userid STRING) WITH (kafka_topic='stocktrades', value_format='JSON');
CREATE TABLE users (userid STRING PRIMARY KEY, registertime BIGINT, gender STRING,
  regionid STRING) WITH (kafka_topic='users', value_format='JSON');
CREATE STREAM views (id INT KEY, page STRING, ms INT)
  WITH (kafka_topic='views', value_format='JSON', partitions=1);
CREATE STREAM clicks (id INT KEY, button STRING)
  WITH (kafka_topic='clicks', value_format='JSON', partitions=1);
CREATE TABLE orders (id INT PRIMARY KEY, customer INT, item STRING, amount DOUBLE)
  WITH (kafka_topic='orders', value_format='JSON');
CREATE TABLE customers (cid INT PRIMARY KEY, name STRING)
  WITH (kafka_topic='customers', value_format='JSON');
CREATE TABLE accounts (cid INT PRIMARY KEY, tier STRING)
  WITH (kafka_topic='accounts', value_format='JSON');
"""

REGISTRY = builtin_registry()


@udf(name="CENTS_TO_EUROS", registry=REGISTRY)
def cents_to_euros(cents: int) -> float:
    """Cents as euros."""
    return cents / 100


def _trades() -> Sink:
    return stream("stocktrades")


CASES: list[tuple[str, str, Callable[[], Sink]]] = [
    (
        "use case 1: trending stocks",
        "CREATE TABLE trending_stocks AS SELECT symbol, SUM(quantity) AS total_quantity,"
        " WINDOWSTART, WINDOWEND FROM stocktrades WINDOW TUMBLING (SIZE 15 MINUTES)"
        " GROUP BY symbol;",
        lambda: (
            stream("stocktrades")
            .window(tumbling(size="15 minutes"))
            .group_by("symbol")
            .aggregate(
                col("symbol"),
                sum_("quantity").alias("total_quantity"),
                window_start(),
                window_end(),
            )
            .to("trending_stocks")
        ),
    ),
    (
        "use case 2: high-value trades for review",
        "CREATE STREAM high_value_trades AS SELECT t.userid, t.symbol, t.price, t.quantity,"
        " u.regionid FROM stocktrades t JOIN users u ON t.userid = u.userid"
        " WHERE price > 500 AND quantity > 2500;",
        lambda: (
            stream("stocktrades", "t")
            .join(table("users").alias("u"), on=col("userid", "t") == col("userid", "u"))
            .filter((col("price") > 500) & (col("quantity") > 2500))
            .select(
                col("userid", "t"),
                col("symbol", "t"),
                col("price", "t"),
                col("quantity", "t"),
                col("regionid", "u"),
            )
            .to("high_value_trades")
        ),
    ),
    (
        "use case 3: US trades for InfoSec",
        "CREATE STREAM us_trades AS SELECT t.userid, t.symbol, t.price, u.regionid"
        " FROM stocktrades t LEFT JOIN users u ON t.userid = u.userid"
        " WHERE regionid = 'REGION_1';",
        lambda: (
            stream("stocktrades", "t")
            .join(table("users", "u"), on=col("userid", "t") == col("userid", "u"), how="left")
            .filter(col("regionid") == "REGION_1")
            .select(col("userid", "t"), col("symbol", "t"), col("price", "t"), col("regionid", "u"))
            .to("us_trades")
        ),
    ),
    (
        "hopping window, COUNT(*), HAVING, EMIT FINAL",
        "CREATE TABLE busy WITH (kafka_topic='busy_topic', value_format='json') AS"
        " SELECT symbol, COUNT(*) AS trades, AVG(price) AS mean FROM stocktrades"
        " WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 10 MINUTES, RETENTION 2 DAYS,"
        " GRACE PERIOD 30 SECONDS) WHERE side = 'BUY' GROUP BY symbol"
        " HAVING COUNT(*) > 10 EMIT FINAL;",
        lambda: (
            stream("stocktrades")
            .window(hopping("1 hour", "10 minutes", retention="2 days", grace="30 seconds"))
            .filter(col("side") == "BUY")
            .group_by("symbol")
            .aggregate("symbol", count().alias("trades"), avg("price").alias("mean"))
            .having(count() > 10)
            .emit_final()
            .to("busy", topic="busy_topic", value_format="json")
        ),
    ),
    (
        "session window and every aggregate of the registry",
        "CREATE TABLE sessions AS SELECT userid, COUNT(symbol) AS n,"
        " COUNT_DISTINCT(symbol) AS symbols, MIN(price) AS low, MAX(price) AS high,"
        " LATEST_BY_OFFSET(side) AS last_side, EARLIEST_BY_OFFSET(side) AS first_side,"
        " COLLECT_LIST(symbol) AS symbol_list, COLLECT_SET(symbol) AS sset, TOPK(price, 3) AS top"
        " FROM stocktrades WINDOW SESSION (5 MINUTES, GRACE PERIOD 1 MINUTE) GROUP BY userid;",
        lambda: (
            stream("stocktrades")
            .window(session("5 minutes", grace="1 minute"))
            .group_by(col("userid"))
            .aggregate(
                col("userid"),
                count("symbol").alias("n"),
                count_distinct("symbol").alias("symbols"),
                min_("price").alias("low"),
                max_("price").alias("high"),
                latest_by_offset("side").alias("last_side"),
                earliest_by_offset("side").alias("first_side"),
                collect_list("symbol").alias("symbol_list"),
                collect_set("symbol").alias("sset"),
                topk("price", 3).alias("top"),
            )
            .to("sessions")
        ),
    ),
    (
        "stream-stream join WITHIN (before, after) GRACE PERIOD",
        "CREATE STREAM viewed_clicks AS SELECT v.id AS id, v.page, c.button FROM views v"
        " LEFT JOIN clicks c WITHIN (1 MINUTE, 2 MINUTES) GRACE PERIOD 10 SECONDS"
        " ON v.id = c.id;",
        lambda: (
            stream("views", "v")
            .join(
                stream("clicks", "c"),
                on=col("id", "v") == col("id", "c"),
                how="left",
                within=("1 minute", "2 minutes"),
                grace="10 seconds",
            )
            .select(col("id", "v").alias("id"), col("page", "v"), col("button", "c"))
            .to("viewed_clicks")
        ),
    ),
    (
        "table-table join on the key",
        "CREATE TABLE tiers AS SELECT c.cid AS cid, c.name, a.tier FROM customers c"
        " JOIN accounts a ON c.cid = a.cid;",
        lambda: (
            table("customers", "c")
            .join(table("accounts", "a"), on=col("cid", "c") == col("cid", "a"))
            .select(col("cid", "c").alias("cid"), col("name", "c"), col("tier", "a"))
            .to("tiers")
        ),
    ),
    (
        "table-table foreign-key join",
        "CREATE TABLE enriched AS SELECT o.id AS id, o.item, c.name FROM orders o"
        " LEFT JOIN customers c ON o.customer = c.cid;",
        lambda: (
            table("orders", "o")
            .join(table("customers", "c"), on=col("customer", "o") == col("cid", "c"), how="left")
            .select(col("id", "o").alias("id"), col("item", "o"), col("name", "c"))
            .to("enriched")
        ),
    ),
    (
        "CASE, CAST, LIKE, IN, BETWEEN, arithmetic and a UDF by name",
        "CREATE STREAM labelled AS SELECT symbol, CASE WHEN quantity > 1000 THEN 'big'"
        " WHEN quantity > 100 THEN 'mid' ELSE 'small' END AS `size`,"
        " CENTS_TO_EUROS(price) AS euros, CAST(price AS DOUBLE) / 100 AS d,"
        " (price - 1) * -(quantity) % 7 AS odd FROM stocktrades"
        " WHERE (symbol LIKE 'A%' OR side IN ('BUY', 'SELL')) AND price NOT BETWEEN 1 AND 5"
        " AND NOT (symbol IN ('X') OR side NOT LIKE 'B%') PARTITION BY symbol;",
        lambda: (
            stream("stocktrades")
            .filter(
                (col("symbol").like("A%") | col("side").isin("BUY", "SELL"))
                & col("price").not_between(1, 5)
                & ~(col("symbol").isin("X") | col("side").not_like("B%"))
            )
            .partition_by("symbol")
            .select(
                col("symbol"),
                case(
                    (col("quantity") > 1000, "big"), (col("quantity") > 100, "mid"), default="small"
                ).alias("`size`"),
                call("cents_to_euros", col("price")).alias("euros"),
                (col("price").cast(_double()) / 100).alias("d"),
                ((col("price") - 1) * -col("quantity") % 7).alias("odd"),
            )
            .to("labelled")
        ),
    ),
]


def _double() -> object:
    from streammesh.streams.types import DOUBLE

    return DOUBLE


def _plan(*statements: object) -> Script:
    declarations = parse_statements(DECLARATIONS)
    return plan_statements([*declarations, *statements], registry=REGISTRY)  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("sql", "pipeline"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_the_dsl_builds_the_statement_and_plan_of_its_sql(
    sql: str, pipeline: Callable[[], Sink]
) -> None:
    [parsed] = parse_statements(sql)
    sink = pipeline()
    assert sink.statement() == parsed
    [from_sql] = _plan(parsed).queries
    [from_dsl] = _plan(sink.statement()).queries
    assert from_dsl.plan == from_sql.plan
    assert from_dsl.id == from_sql.id


@pytest.mark.parametrize("pipeline", [case[2] for case in CASES], ids=[c[0] for c in CASES])
def test_the_sql_text_of_a_pipeline_parses_back_to_its_statement(
    pipeline: Callable[[], Sink],
) -> None:
    sink = pipeline()
    [parsed] = parse_statements(sink.sql())
    assert parsed == sink.statement()


def test_the_trending_stocks_pipeline_reads_like_its_sql() -> None:
    sink = (
        stream("execution.stocktrades")
        .window(tumbling(size="15 minutes"))
        .group_by("symbol")
        .aggregate("symbol", sum_("quantity").alias("total_quantity"), window_start(), window_end())
        .to_product("analytics.trending_stocks")
    )
    assert sink.kind is SourceKind.TABLE
    assert sink.sql() == (
        "CREATE TABLE TRENDING_STOCKS WITH (PRODUCT='analytics.trending_stocks') AS\n"
        "SELECT SYMBOL, SUM(QUANTITY) AS TOTAL_QUANTITY, WINDOWSTART, WINDOWEND\n"
        "  FROM execution.stocktrades\n"
        "  WINDOW TUMBLING (SIZE 15 MINUTES)\n"
        "  GROUP BY SYMBOL;"
    )
    statement = parse_statements(
        "CREATE TABLE trending_stocks WITH (product='analytics.trending_stocks') AS"
        " SELECT symbol, SUM(quantity) AS total_quantity, WINDOWSTART, WINDOWEND"
        " FROM execution.stocktrades WINDOW TUMBLING (SIZE 15 MINUTES) GROUP BY symbol;"
    )[0]
    assert isinstance(statement, CreateAsSelect)
    assert sink.statement() == statement


def test_the_kind_written_follows_ksqldb() -> None:
    on = col("userid", "t") == col("userid", "u")
    assert stream("a").to("x").kind is SourceKind.STREAM
    assert table("a").to("x").kind is SourceKind.TABLE
    assert stream("a").group_by("k").aggregate("k", count()).to("x").kind is SourceKind.TABLE
    assert stream("s", "t").join(table("u", "u"), on=on).to("x").kind is SourceKind.STREAM
    assert table("s", "t").join(table("u", "u"), on=on).to("x").kind is SourceKind.TABLE


def test_literals_are_typed_as_the_parser_types_their_text() -> None:
    [statement] = parse_statements(
        "CREATE STREAM x AS SELECT 12 AS a, 3000000000 AS b, 12.50 AS c, 0.05 AS d, 1.5E0 AS e,"
        " 'it''s' AS f, TRUE AS g, NULL AS h, -7 AS i FROM t;"
    )
    from decimal import Decimal

    sink = (
        stream("t")
        .select(
            lit(12).alias("a"),
            lit(3_000_000_000).alias("b"),
            lit(Decimal("12.50")).alias("c"),
            lit(Decimal("0.05")).alias("d"),
            lit(1.5).alias("e"),
            lit("it's").alias("f"),
            lit(True).alias("g"),
            lit(None).alias("h"),
            lit(-7).alias("i"),
        )
        .to("x")
    )
    assert sink.statement() == statement
    assert parse_statements(sink.sql())[0] == statement
