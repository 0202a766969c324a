"""Every expression form of ksqlDB's SQL parses to the expected node tree, with positions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from streammesh.streams import expressions as ex
from streammesh.streams import types
from streammesh.streams.sql import Query, SelectExpression, parse_statements

B = ex.BinaryOperator


def expr(text: str) -> ex.Expression:
    [query] = parse_statements(f"SELECT {text} FROM t EMIT CHANGES;")
    assert isinstance(query, Query)
    item = query.select[0]
    assert isinstance(item, SelectExpression)
    return item.expression


def col(name: str, source: str | None = None) -> ex.Column:
    return ex.Column(name, source)


def lit(value: object, kind: types.SqlType | None) -> ex.Literal:
    return ex.Literal(value, kind)  # type: ignore[arg-type]


def i(value: int) -> ex.Literal:
    return lit(value, types.INTEGER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", i(12)),
        ("-12", i(-12)),
        ("2147483647", i(2147483647)),
        ("-2147483648", i(-2147483648)),
        ("2147483648", lit(2147483648, types.BIGINT)),
        ("12.5", lit(Decimal("12.5"), types.decimal(3, 1))),
        ("12.50", lit(Decimal("12.50"), types.decimal(4, 2))),
        ("0.05", lit(Decimal("0.05"), types.decimal(3, 2))),
        ("1.5E3", lit(1500.0, types.DOUBLE)),
        (".5", lit(Decimal("0.5"), types.decimal(2, 1))),
        ("5.", lit(Decimal("5"), types.decimal(1, 0))),
        ("'it''s'", lit("it's", types.STRING)),
        ("TRUE", lit(True, types.BOOLEAN)),
        ("false", lit(False, types.BOOLEAN)),
        ("NULL", lit(None, None)),
    ],
)
def test_literal_types(text: str, expected: ex.Literal) -> None:
    assert expr(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("price", col("PRICE")),
        ("Price", col("PRICE")),
        ("`Price`", col("Price")),
        ('"Price"', col("Price")),
        ("t.`userId`", col("userId", "T")),
        ("`T`.userid", col("USERID", "T")),
        ("timestamp", col("TIMESTAMP")),
        ("key", col("KEY")),
        ("WINDOWSTART", col("WINDOWSTART")),
        ("rowtime", col("ROWTIME")),
        ("ROWPARTITION", col("ROWPARTITION")),
        ("ROWOFFSET", col("ROWOFFSET")),
        ("`select`", col("select")),
        ("`a``b`", col("a`b")),
    ],
)
def test_identifier_case_rules(text: str, expected: ex.Column) -> None:
    assert expr(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * c", ex.Binary(B.ADD, col("A"), ex.Binary(B.MULTIPLY, col("B"), col("C")))),
        ("(a + b) * c", ex.Binary(B.MULTIPLY, ex.Binary(B.ADD, col("A"), col("B")), col("C"))),
        ("a - b - c", ex.Binary(B.SUBTRACT, ex.Binary(B.SUBTRACT, col("A"), col("B")), col("C"))),
        ("a / b % c", ex.Binary(B.MODULO, ex.Binary(B.DIVIDE, col("A"), col("B")), col("C"))),
        ("a || b + c", ex.Binary(B.CONCAT, col("A"), ex.Binary(B.ADD, col("B"), col("C")))),
        ("-a", ex.Unary(ex.UnaryOperator.NEGATE, col("A"))),
        ("+a", ex.Unary(ex.UnaryOperator.PLUS, col("A"))),
        ("a <> b", ex.Binary(B.NOT_EQUAL, col("A"), col("B"))),
        ("a != b", ex.Binary(B.NOT_EQUAL, col("A"), col("B"))),
        ("a <= b", ex.Binary(B.LESS_OR_EQUAL, col("A"), col("B"))),
        ("a >= b", ex.Binary(B.GREATER_OR_EQUAL, col("A"), col("B"))),
        ("a < b", ex.Binary(B.LESS, col("A"), col("B"))),
        (
            "a OR b AND NOT c",
            ex.Binary(
                B.OR,
                col("A"),
                ex.Binary(B.AND, col("B"), ex.Unary(ex.UnaryOperator.NOT, col("C"))),
            ),
        ),
        ("a LIKE 'x%'", ex.Like(col("A"), lit("x%", types.STRING))),
        (
            "a NOT LIKE 'x!%' ESCAPE '!'",
            ex.Like(col("A"), lit("x!%", types.STRING), escape="!", negated=True),
        ),
        ("a IN (1, 2)", ex.InList(col("A"), (i(1), i(2)))),
        ("a NOT IN (1)", ex.InList(col("A"), (i(1),), negated=True)),
        ("a BETWEEN 1 AND 2", ex.Between(col("A"), i(1), i(2))),
        ("a NOT BETWEEN 1 AND 2", ex.Between(col("A"), i(1), i(2), negated=True)),
        ("a IS NULL", ex.IsNull(col("A"))),
        ("a IS NOT NULL", ex.IsNull(col("A"), negated=True)),
        ("NOT (a IN (1))", ex.Unary(ex.UnaryOperator.NOT, ex.InList(col("A"), (i(1),)))),
        ("s->f->g", ex.Dereference(ex.Dereference(col("S"), "F"), "g".upper())),
        ("s->`f`", ex.Dereference(col("S"), "f")),
        ("arr[1]", ex.Subscript(col("ARR"), i(1))),
        ("m['k']->x", ex.Dereference(ex.Subscript(col("M"), lit("k", types.STRING)), "X")),
        ("ARRAY[1, 2]", ex.ArrayConstructor((i(1), i(2)))),
        ("ARRAY[]", ex.ArrayConstructor(())),
        (
            "MAP('a' := 1, 'b' := 2)",
            ex.MapConstructor(((lit("a", types.STRING), i(1)), (lit("b", types.STRING), i(2)))),
        ),
        (
            "STRUCT(name := 'x', `Id` := 1)",
            ex.StructConstructor((("NAME", lit("x", types.STRING)), ("Id", i(1)))),
        ),
        ("ucase(name)", ex.Call("UCASE", (col("NAME"),))),
        ("COUNT(*)", ex.Call("COUNT", star=True)),
        ("NOW()", ex.Call("NOW")),
        (
            "TRANSFORM(xs, x => x + 1)",
            ex.Call(
                "TRANSFORM",
                (col("XS"), ex.Lambda(("X",), ex.Binary(B.ADD, col("X"), i(1)))),
            ),
        ),
        (
            "REDUCE(m, 0, (acc, k, v) => acc + v)",
            ex.Call(
                "REDUCE",
                (
                    col("M"),
                    i(0),
                    ex.Lambda(("ACC", "K", "V"), ex.Binary(B.ADD, col("ACC"), col("V"))),
                ),
            ),
        ),
        (
            "CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END",
            ex.Case(
                (
                    ex.WhenClause(ex.Binary(B.GREATER, col("A"), i(1)), lit("big", types.STRING)),
                    ex.WhenClause(ex.Binary(B.GREATER, col("A"), i(0)), lit("small", types.STRING)),
                ),
                default=lit("none", types.STRING),
            ),
        ),
        (
            "CASE a WHEN 1 THEN 'one' END",
            ex.Case((ex.WhenClause(i(1), lit("one", types.STRING)),), operand=col("A")),
        ),
    ],
)
def test_expression_trees(text: str, expected: ex.Expression) -> None:
    assert expr(text) == expected


@pytest.mark.parametrize(
    ("type_text", "expected"),
    [
        ("BOOLEAN", types.BOOLEAN),
        ("INT", types.INTEGER),
        ("INTEGER", types.INTEGER),
        ("BIGINT", types.BIGINT),
        ("DOUBLE", types.DOUBLE),
        ("VARCHAR", types.STRING),
        ("STRING", types.STRING),
        ("BYTES", types.BYTES),
        ("DATE", types.DATE),
        ("TIME", types.TIME),
        ("TIMESTAMP", types.TIMESTAMP),
        ("DECIMAL(10, 2)", types.decimal(10, 2)),
        ("ARRAY<INT>", types.array(types.INTEGER)),
        ("MAP<STRING, ARRAY<BIGINT>>", types.map_of(types.STRING, types.array(types.BIGINT))),
        (
            "STRUCT<a INT, `B` STRUCT<c STRING>>",
            types.struct(("A", types.INTEGER), ("B", types.struct(("C", types.STRING)))),
        ),
    ],
)
def test_cast_to_every_type(type_text: str, expected: types.SqlType) -> None:
    assert expr(f"CAST(x AS {type_text})") == ex.Cast(col("X"), expected)


def test_every_node_carries_the_position_of_its_first_character() -> None:
    [query] = parse_statements(
        "SELECT\n  (a + b) * -c AS x,\n  CAST(s->f[1] AS INT)\nFROM t EMIT CHANGES;"
    )
    assert isinstance(query, Query)
    first, second = (item.expression for item in query.select)  # type: ignore[union-attr]
    assert isinstance(first, ex.Binary) and isinstance(first.left, ex.Binary)
    assert first.position == ex.Position(2, 3)
    assert first.left.position == ex.Position(2, 4)
    assert first.left.right.position == ex.Position(2, 8)
    assert first.right.position == ex.Position(2, 13)
    assert isinstance(second, ex.Cast) and isinstance(second.operand, ex.Subscript)
    assert second.position == ex.Position(3, 3)
    assert second.operand.position == ex.Position(3, 8)
    assert second.operand.index.position == ex.Position(3, 13)
    assert query.source.position == ex.Position(4, 6)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("DATEADD(DAYS, 2, d)", ex.TimeUnit.DAYS),
        ("DATEADD(day, 2, d)", ex.TimeUnit.DAYS),
        ("DATESUB(HOURS, 2, d)", ex.TimeUnit.HOURS),
        ("TIMESTAMPADD(SECONDS, 5, ts)", ex.TimeUnit.SECONDS),
        ("TIMESTAMPSUB(MILLISECOND, 5, ts)", ex.TimeUnit.MILLISECONDS),
        ("TIMEADD(minutes, 5, ts)", ex.TimeUnit.MINUTES),
        ("TIMESUB(SECOND, 5, ts)", ex.TimeUnit.SECONDS),
    ],
)
def test_a_time_unit_argument_is_a_unit_literal_not_a_column(text: str, unit: ex.TimeUnit) -> None:
    call = expr(text)
    assert isinstance(call, ex.Call)
    assert call.arguments[0] == lit(unit, types.STRING)
    assert call.arguments[0].position is not None


def test_day_is_still_a_column_outside_a_time_unit_argument() -> None:
    assert expr("ABS(day)") == ex.Call("ABS", (col("DAY"),))
    assert expr("DATEADD(day + 1, 2, d)") == ex.Call(
        "DATEADD", (ex.Binary(B.ADD, col("DAY"), i(1)), i(2), col("D"))
    )


def test_is_distinct_from_parses_as_ksqldb_builds_it() -> None:
    distinct = ex.Binary(B.IS_DISTINCT_FROM, col("A"), col("B"))
    assert expr("a IS DISTINCT FROM b") == distinct
    assert expr("a IS NOT DISTINCT FROM b") == ex.Unary(ex.UnaryOperator.NOT, distinct)
