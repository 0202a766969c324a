"""DSL expressions: written as SQL they parse back to the same nodes (precedence, quoting,
negative numbers, typed literals), and a builder step used wrong is refused, saying why."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from streammesh.streams.dsl import (
    Expr,
    InvalidPipeline,
    call,
    col,
    count,
    expression_sql,
    lit,
    stream,
    table,
    tumbling,
)
from streammesh.streams.expressions import Expression
from streammesh.streams.sql import parse_statements
from streammesh.streams.sql.statements import CreateAsSelect, SelectExpression
from streammesh.streams.types import DOUBLE, array, decimal


def _parsed(text: str) -> Expression:
    [statement] = parse_statements(f"CREATE STREAM x AS SELECT {text} AS e FROM t;")
    assert isinstance(statement, CreateAsSelect)
    item = statement.query.select[0]
    assert isinstance(item, SelectExpression)
    return item.expression


a, b, c, d = col("a"), col("b"), col("c"), col("d")

EXPRESSIONS: list[tuple[Expr, str]] = [
    (a - (b - c), "A - (B - C)"),
    ((a - b) - c, "A - B - C"),
    ((a + b) * c, "(A + B) * C"),
    (a + b * c, "A + B * C"),
    (a / (b * c) % d, "A / (B * C) % D"),
    (a.concat(b + c), "A || B + C"),
    (a.concat(b).concat(c), "A || B || C"),
    ((a.concat(b)) + c, "(A || B) + C"),
    ((a > 1) & ((b < 2) | (c == 3)), "A > 1 AND (B < 2 OR C = 3)"),
    (((a > 1) & (b < 2)) | (c == 3), "A > 1 AND B < 2 OR C = 3"),
    (a & (b & c), "A AND (B AND C)"),
    ((a == b) == c, "(A = B) = C"),
    (~(a == b), "NOT (A = B)"),
    (~a.isin(1, 2), "NOT (A IN (1, 2))"),
    (a.not_isin(1, 2), "A NOT IN (1, 2)"),
    (~~a, "NOT (NOT A)"),
    (-a, "-A"),
    (-(a + b), "-(A + B)"),
    (-lit(5), "-(5)"),
    (a - lit(-5), "A - (-5)"),
    (a * lit(-1.5), "A * (-1.5E0)"),
    (a + lit(Decimal("-0.25")), "A + (-0.25)"),
    ((a + 1).between(b - 1, c * 2), "A + 1 BETWEEN B - 1 AND C * 2"),
    ((a.concat("x")).like("%x", escape="!"), "A || 'x' LIKE '%x' ESCAPE '!'"),
    ((a + b).is_null(), "A + B IS NULL"),
    (a.is_distinct_from(b), "A IS DISTINCT FROM B"),
    (col("price"), "PRICE"),
    (col("`price`"), "`price`"),
    (col("`my col`", "t"), "T.`my col`"),
    (col("`it``s`"), "`it``s`"),
    (col("`WINDOW`"), "`WINDOW`"),
    (col("address").field("city"), "ADDRESS->CITY"),
    (col("items")[1], "ITEMS[1]"),
    ((col("items")[1]).field("`sku`"), "ITEMS[1]->`sku`"),
    (lit("it's"), "'it''s'"),
    (lit(1e16), "1e+16"),
    (lit(2.0), "2.0E0"),
    (lit(3_000_000_000), "3000000000"),
    (call("ucase", col("name")), "UCASE(NAME)"),
    (count(), "COUNT(*)"),
    (col("price").cast(decimal(10, 2)), "CAST(PRICE AS DECIMAL(10, 2))"),
    (col("tags").cast(array(DOUBLE)), "CAST(TAGS AS ARRAY<DOUBLE>)"),
]


@pytest.mark.parametrize(("built", "text"), EXPRESSIONS, ids=[text for _, text in EXPRESSIONS])
def test_an_expression_is_written_so_that_it_parses_back_to_itself(built: Expr, text: str) -> None:
    assert expression_sql(built.node) == text
    assert _parsed(text) == built.node


def test_names_follow_ksqldb_identifier_rules() -> None:
    assert col("price").node == _parsed("price")
    assert col("`Price`").node == _parsed("`Price`")
    assert stream("trades").source.name == "TRADES"
    assert stream("execution.stocktrades").source.name == "execution.stocktrades"
    assert stream("execution.stocktrades").source.is_product


def test_an_expression_has_no_truth_value() -> None:
    with pytest.raises(InvalidPipeline, match="use & for AND"):
        _ = (col("a") > 1) and (col("b") > 2)
    with pytest.raises(InvalidPipeline, match="parenthesize comparisons"):
        _ = 1 < col("a") < 3


def test_a_non_finite_float_and_a_huge_int_are_refused() -> None:
    with pytest.raises(InvalidPipeline, match="not finite"):
        lit(float("nan"))
    with pytest.raises(InvalidPipeline, match="BIGINT"):
        lit(2**64)
    with pytest.raises(InvalidPipeline, match=r"\(object\) is not an expression"):
        col("a") + object()  # type: ignore[operator]


def test_builder_steps_used_wrong_are_refused_saying_why() -> None:
    grouped = stream("t").group_by("k").aggregate("k", count().alias("n"))
    with pytest.raises(InvalidPipeline, match=r"filter\(...\) after aggregate\(...\).*having"):
        grouped.filter(col("n") > 1)
    with pytest.raises(InvalidPipeline, match=r"having\(...\) filters groups"):
        stream("t").having(col("n") > 1)
    with pytest.raises(InvalidPipeline, match="no sub-queries"):
        stream("t").join(table("u").filter(col("x") > 1), on=col("a") == col("b"))
    with pytest.raises(InvalidPipeline, match="give 'inner', 'left', 'right' or 'full'"):
        stream("t").join(table("u"), on=col("a") == col("b"), how="outer")  # type: ignore[arg-type]
    with pytest.raises(InvalidPipeline, match="needs within"):
        stream("t").join(stream("u"), on=col("a") == col("b"), grace="1 minute")
    with pytest.raises(InvalidPipeline, match="'15 fortnights' is not a duration"):
        tumbling(size="15 fortnights")
    with pytest.raises(InvalidPipeline, match="not a whole"):
        tumbling(size=timedelta(microseconds=1500))


def test_durations_as_timedelta_or_words() -> None:
    assert tumbling(size=timedelta(minutes=15)) == tumbling(size="15 MINUTES")
    assert tumbling(size="1 hour", grace=timedelta(seconds=90)).grace_ms == 90_000


def test_the_builder_is_immutable() -> None:
    base = stream("t")
    filtered = base.filter(col("a") > 1)
    assert base.where is None
    assert filtered.where is not None
    assert base.to("x").statement() != filtered.to("x").statement()
