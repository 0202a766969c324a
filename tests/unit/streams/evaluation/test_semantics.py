"""Casts, structured values, errors and SQL-parsed expressions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from streammesh.streams.evaluation import (
    AmbiguousColumn,
    ExpressionTypeError,
    IncompatibleTypes,
    compile_expression,
    type_of,
)
from streammesh.streams.expressions import (
    Binary,
    BinaryOperator,
    Call,
    Case,
    Cast,
    Column,
    Dereference,
    Expression,
    InList,
    Literal,
    Position,
    Subscript,
    WhenClause,
)
from streammesh.streams.functions import FunctionFailed
from streammesh.streams.sql import parse_statements
from streammesh.streams.types import (
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIMESTAMP,
    SqlType,
    decimal,
    map_of,
    struct,
)


def value(expression: Expression) -> object:
    return compile_expression(expression, {})(())


@pytest.mark.parametrize(
    ("operand", "target", "expected"),
    [
        (Literal(2.9), INTEGER, 2),
        (Literal(-2.9), INTEGER, -2),
        (Literal(1e20), INTEGER, 2**31 - 1),
        (Literal(2**40, BIGINT), INTEGER, 0),
        (Literal(" 17 "), BIGINT, 17),
        (Literal("1.5"), INTEGER, None),
        (Literal("99999999999"), INTEGER, None),
        (Literal("TRUE"), BOOLEAN, True),
        (Literal("yes"), BOOLEAN, False),
        (Literal("1.255"), decimal(4, 2), __import__("decimal").Decimal("1.26")),
        (Literal("123.4"), decimal(4, 2), None),
        (Literal(1e7), STRING, "1.0E7"),
        (Literal(0.001), STRING, "0.001"),
        (Literal(True), STRING, "true"),
        (Literal("2021-10-11"), DATE, date(2021, 10, 11)),
        (Literal("2021-10-11T01:02:03.5"), TIMESTAMP, datetime(2021, 10, 11, 1, 2, 3, 500000, UTC)),
        (Literal(date(2021, 10, 11), DATE), TIMESTAMP, datetime(2021, 10, 11, tzinfo=UTC)),
        (
            Literal(datetime(2021, 6, 30, 12, 18, 39, 446000, UTC), TIMESTAMP),
            STRING,
            "2021-06-30T12:18:39.446",
        ),
    ],
)
def test_casts_follow_ksqldb(operand: Expression, target: SqlType, expected: object) -> None:
    assert value(Cast(operand, target)) == expected


def test_struct_fields_and_map_values() -> None:
    schema = {"S": struct(("NAME", STRING)), "M": map_of(STRING, INTEGER)}
    row = ({"NAME": "ann"}, {"a": 1})
    assert compile_expression(Dereference(Column("S"), "NAME"), schema)(row) == "ann"
    assert compile_expression(Subscript(Column("M"), Literal("a")), schema)(row) == 1
    assert compile_expression(Subscript(Column("M"), Literal("z")), schema)(row) is None
    with pytest.raises(ExpressionTypeError, match="S has no field NAM; did you mean NAME"):
        type_of(Dereference(Column("S"), "NAM"), schema)


def test_in_compares_after_widening() -> None:
    schema = {"A": INTEGER}
    assert compile_expression(InList(Column("A"), (Literal(2.0), Literal(5))), schema)((2,)) is True
    with pytest.raises(IncompatibleTypes, match=r"cannot compare A \(INTEGER\) with 'x'"):
        type_of(InList(Column("A"), (Literal("x"),)), schema)


def test_case_branches_without_a_common_type_are_named() -> None:
    case = Case(
        (WhenClause(Literal(True), Literal(1)),),
        Literal("one", position=Position(1, 40)),
    )
    with pytest.raises(IncompatibleTypes) as caught:
        type_of(case, {})
    assert str(caught.value) == (
        "cannot combine CASE results 1 (INTEGER) and 'one' (STRING) at line 1, column 40"
    )


def test_an_unqualified_name_two_sources_share_is_ambiguous() -> None:
    with pytest.raises(AmbiguousColumn, match=r"write T\.ID or U\.ID"):
        type_of(Column("ID"), {"T.ID": INTEGER, "U.ID": INTEGER})


def test_a_builtin_that_fails_raises_function_failed_with_the_reason() -> None:
    parse = Call("PARSE_DATE", (Column("TEXT"), Literal("yyyy-MM-dd")))
    evaluate = compile_expression(parse, {"ID": BIGINT, "TEXT": STRING}, key_columns=["ID"])
    assert evaluate((1, "2021-10-11")) == date(2021, 10, 11)
    with pytest.raises(FunctionFailed, match="function PARSE_DATE failed for key 7: ValueError"):
        evaluate((7, "11/10/2021"))


def test_dateadd_reads_a_bare_time_unit() -> None:
    add = Call("DATEADD", (Column("DAYS"), Literal(2), Column("D")))
    assert compile_expression(add, {"D": DATE})((date(2021, 12, 31),)) == date(2022, 1, 2)


@pytest.mark.parametrize(
    ("sql", "kind", "expected"),
    [
        ("DATEADD(DAYS, 2, d)", DATE, date(2022, 1, 2)),
        ("DATEADD(DAY, 2, d)", DATE, date(2022, 1, 2)),
        ("DATESUB(DAYS, 31, d)", DATE, date(2021, 11, 30)),
        ("TIMESTAMPADD(SECONDS, 5, ts)", TIMESTAMP, datetime(2021, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (
            "TIMESTAMPSUB(MILLISECONDS, 500, ts)",
            TIMESTAMP,
            datetime(2021, 12, 31, 23, 59, 53, 500000, tzinfo=UTC),
        ),
        ("TIMESTAMPADD(HOURS, 1, ts)", TIMESTAMP, datetime(2022, 1, 1, 0, 59, 54, tzinfo=UTC)),
    ],
)
def test_time_unit_functions_from_sql_parse_type_and_evaluate(
    sql: str, kind: SqlType, expected: object
) -> None:
    (query,) = parse_statements(f"SELECT {sql} FROM t EMIT CHANGES;")
    call = query.select[0].expression  # type: ignore[attr-defined]
    schema = {"D": DATE, "TS": TIMESTAMP}
    assert type_of(call, schema) == kind
    row = (date(2021, 12, 31), datetime(2021, 12, 31, 23, 59, 54, tzinfo=UTC))
    assert compile_expression(call, schema)(row) == expected


def test_sql_expressions_type_with_the_positions_the_parser_gives() -> None:
    (query,) = parse_statements(
        "SELECT symbol, price * quantity AS total FROM trades\nWHERE price > 'x' EMIT CHANGES;"
    )
    schema = {"SYMBOL": STRING, "PRICE": DOUBLE, "QUANTITY": INTEGER}
    total = query.select[1].expression  # type: ignore[attr-defined]
    assert type_of(total, schema) == DOUBLE
    with pytest.raises(IncompatibleTypes) as caught:
        type_of(query.where, schema)  # type: ignore[attr-defined]
    assert (
        str(caught.value) == "cannot compare PRICE (DOUBLE) with 'x' (STRING) at line 2, column 7"
    )
    with pytest.raises(
        ExpressionTypeError, match=r"cannot apply - to PRICE \(DOUBLE\) and 'a' \(STRING\)"
    ):
        type_of(Binary(BinaryOperator.SUBTRACT, Column("PRICE"), Literal("a")), schema)
