"""Typing and evaluating expressions: ksqlDB's null semantics, widening, errors."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.streams.evaluation import (
    ExpressionTypeError,
    IncompatibleTypes,
    InvalidCast,
    NullOperand,
    UnknownColumn,
    compile_expression,
    compile_predicate,
    type_of,
)
from streammesh.streams.expressions import (
    Between,
    Binary,
    BinaryOperator,
    Call,
    Case,
    Cast,
    Column,
    Expression,
    InList,
    Like,
    Literal,
    Position,
    Subscript,
    Unary,
    UnaryOperator,
    WhenClause,
)
from streammesh.streams.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING, array, decimal

SCHEMA = {"A": INTEGER, "B": INTEGER, "X": DOUBLE, "S": STRING, "ARR": array(STRING)}
T, F, N = True, False, None


def lit(value: object) -> Literal:
    return Literal(value)


def run(expression: Expression, row: tuple[object, ...] = (1, 2, 1.5, "s", ["a"])) -> object:
    return compile_expression(expression, SCHEMA)(row)


LOGIC = {"P": BOOLEAN, "Q": BOOLEAN, "K": INTEGER}
E = "error"  # ksqlDB's Java fails (unboxing a NULL): the expression is NULL, the row reported


def run_logged(
    expression: Expression, schema: dict[str, object], row: tuple[object, ...]
) -> tuple[object, list[NullOperand]]:
    errors: list[NullOperand] = []
    evaluate = compile_expression(
        expression,
        schema,  # type: ignore[arg-type]
        key_columns=["K"] if "K" in schema else (),
        on_error=errors.append,
    )
    return evaluate(row), errors


@pytest.mark.parametrize(
    ("p", "q", "and_", "or_"),
    [
        (T, T, T, T), (T, F, F, T), (T, N, E, T), (F, F, F, F), (F, T, F, T),
        (F, N, F, E), (N, N, E, E), (N, T, E, E), (N, F, E, E),
    ],
)  # fmt: skip
def test_and_or_are_javas_short_circuits_and_a_reached_null_fails(
    p: bool | None, q: bool | None, and_: object, or_: object
) -> None:
    for operator, expected in ((BinaryOperator.AND, and_), (BinaryOperator.OR, or_)):
        result, errors = run_logged(Binary(operator, Column("P"), Column("Q")), LOGIC, (p, q, 7))
        if expected is E:
            assert result is None
            (error,) = errors
            assert error.operator == operator.value and error.key == 7
        else:
            assert (result, errors) == (expected, [])


def test_not_of_a_comparison_with_null_is_true_as_in_ksqldb() -> None:
    not_greater = Unary(UnaryOperator.NOT, Binary(BinaryOperator.GREATER, Column("A"), lit(5)))
    row = (None, 2, 1.5, "s", [])
    assert run(not_greater, row) is True
    assert compile_predicate(not_greater, SCHEMA)(row) is True


@pytest.mark.parametrize("operator", [op for op in BinaryOperator if op.value in "=<><=>="])
def test_a_comparison_with_a_null_operand_is_false(operator: BinaryOperator) -> None:
    row = (None, 2, 1.5, "s", [])
    assert run(Binary(operator, Column("A"), Column("B")), row) is False
    assert run(Binary(operator, Column("B"), Column("A")), row) is False
    assert run(Binary(operator, Column("A"), Cast(lit(None), INTEGER))) is False


def test_comparing_with_a_null_literal_is_refused_like_ksqldb() -> None:
    with pytest.raises(
        ExpressionTypeError, match="comparison with NULL is not supported: A = NULL"
    ):
        type_of(Binary(BinaryOperator.EQUAL, Column("A"), lit(None)), SCHEMA)
    with pytest.raises(ExpressionTypeError, match="NOT needs a BOOLEAN operand, not NULL"):
        type_of(Unary(UnaryOperator.NOT, lit(None)), SCHEMA)
    with pytest.raises(ExpressionTypeError, match="CASE WHEN needs a BOOLEAN operand, not NULL"):
        type_of(Case((WhenClause(lit(None), lit(1)),), lit(2)), SCHEMA)


def test_a_null_boolean_makes_the_whole_expression_null_and_is_reported() -> None:
    # ksqlDB's failure aborts the whole expression: COALESCE does not get to replace it.
    guarded = Call("COALESCE", (Unary(UnaryOperator.NOT, Column("P")), lit(True)))
    result, errors = run_logged(guarded, LOGIC, (None, True, 42))
    assert result is None
    (error,) = errors
    assert str(error) == (
        "NOT cannot take NULL: P is NULL in NOT P for key 42 (the expression is NULL, as in ksqlDB)"
    )
    assert run_logged(guarded, LOGIC, (True, True, 42)) == (False, [])
    keep = compile_predicate(
        Binary(BinaryOperator.AND, Column("P"), Column("Q")), LOGIC, on_error=errors.append
    )
    assert keep((True, None, 1)) is False and len(errors) == 2
    assert compile_expression(guarded, LOGIC)((None, True, 42)) is None  # no handler: still NULL


def test_case_when_a_null_condition_fails_and_a_false_comparison_takes_else() -> None:
    by_flag = Case((WhenClause(Column("P"), lit(1)),), lit(2))
    assert run_logged(by_flag, LOGIC, (None, None, 3))[0] is None
    assert run_logged(by_flag, LOGIC, (False, None, 3)) == (2, [])
    by_comparison = Case(
        (WhenClause(Binary(BinaryOperator.GREATER, Column("K"), lit(0)), lit(1)),), lit(2)
    )
    assert run_logged(by_comparison, LOGIC, (None, None, None)) == (2, [])


def test_like_with_a_null_value_or_pattern_fails_as_in_ksqldb() -> None:
    schema = {"S": STRING, "PAT": STRING}
    for negated in (False, True):
        like = Like(Column("S"), Column("PAT"), negated=negated)
        assert run_logged(like, schema, (None, "a%"))[0] is None
        assert run_logged(like, schema, ("ab", None))[0] is None
        assert len(run_logged(like, schema, ("ab", None))[1]) == 1
        assert run_logged(like, schema, ("ab", "a%")) == (not negated, [])


@pytest.mark.parametrize(
    ("a", "b", "distinct"), [(N, N, F), (1, N, T), (N, 1, T), (1, 1, F), (1, 2, T)]
)
def test_is_distinct_from_is_null_safe(a: int | None, b: int | None, distinct: bool) -> None:
    expression = Binary(BinaryOperator.IS_DISTINCT_FROM, Column("A"), Column("B"))
    assert run(expression, (a, b, 0.0, "", [])) is distinct
    assert run(Unary(UnaryOperator.NOT, expression), (a, b, 0.0, "", [])) is (not distinct)
    with pytest.raises(ExpressionTypeError, match="comparison with NULL is not supported"):
        type_of(Binary(BinaryOperator.IS_DISTINCT_FROM, Column("A"), lit(None)), SCHEMA)


def test_between_with_a_null_is_false_and_not_between_true() -> None:
    schema = {"V": INTEGER, "LO": INTEGER, "HI": INTEGER}
    between = Between(Column("V"), Column("LO"), Column("HI"))
    outside = Between(Column("V"), Column("LO"), Column("HI"), negated=True)
    for row in ((None, 0, 2), (1, None, 2), (1, 0, None)):
        assert compile_expression(between, schema)(row) is False
        assert compile_expression(outside, schema)(row) is True
    assert compile_expression(between, schema)((1, 0, 2)) is True


def test_in_never_matches_null_as_in_ksqldb() -> None:
    assert run(InList(Column("A"), (lit(None), lit(1)))) is True
    assert run(InList(lit(None), (lit(None), lit(1)))) is False
    not_in = InList(Column("A"), (lit(1), lit(2)), negated=True)
    assert run(not_in, (None, 2, 1.5, "s", [])) is True


def test_integers_wrap_like_java_and_divide_truncating() -> None:
    big = Binary(BinaryOperator.ADD, Column("A"), lit(1))
    assert run(big, (2**31 - 1, 0, 0.0, "", [])) == -(2**31)
    assert run(Binary(BinaryOperator.DIVIDE, lit(-7), lit(2))) == -3
    assert run(Binary(BinaryOperator.MODULO, lit(-7), lit(2))) == -1
    assert run(Binary(BinaryOperator.DIVIDE, lit(1), lit(0))) is None


def test_widening_and_decimal_scale_follow_ksqldb() -> None:
    schema = {"D": decimal(4, 2), "E": decimal(3, 1), "I": INTEGER, "L": BIGINT, "X": DOUBLE}

    def kind(op: BinaryOperator, left: str, right: str) -> object:
        return type_of(Binary(op, Column(left), Column(right)), schema)

    assert kind(BinaryOperator.ADD, "I", "L") == BIGINT
    assert kind(BinaryOperator.ADD, "D", "X") == DOUBLE
    assert kind(BinaryOperator.ADD, "D", "E") == decimal(5, 2)
    assert kind(BinaryOperator.MULTIPLY, "D", "E") == decimal(8, 3)
    assert kind(BinaryOperator.DIVIDE, "D", "E") == decimal(9, 6)
    assert kind(BinaryOperator.ADD, "D", "I") == decimal(13, 2)
    divide = compile_expression(Binary(BinaryOperator.DIVIDE, Column("D"), Column("E")), schema)
    assert divide((Decimal("1.00"), Decimal("3.0"), 0, 0, 0.0)) == Decimal("0.333333")


def test_case_has_the_common_type_of_its_branches() -> None:
    case = Case(
        (WhenClause(Binary(BinaryOperator.GREATER, Column("A"), lit(0)), Column("A")),), Column("X")
    )
    assert type_of(case, SCHEMA) == DOUBLE
    assert run(case) == 1.0 and isinstance(run(case), float)


def test_cast_string_to_integer_parses_and_a_failed_parse_is_null() -> None:
    assert run(Cast(lit("42"), INTEGER)) == 42
    assert run(Cast(lit("abc"), INTEGER)) is None
    assert run(Cast(lit(1.0), STRING)) == "1.0"
    with pytest.raises(InvalidCast, match=r"cannot cast ARR \(ARRAY<STRING>\) to INTEGER"):
        type_of(Cast(Column("ARR"), INTEGER), SCHEMA)


def test_like_between_and_subscripts() -> None:
    assert run(Like(lit("stream"), lit("st%m"))) is True
    assert run(Like(lit("stream"), lit("x_ream"), negated=True)) is True
    assert run(Between(Column("A"), lit(0), lit(1))) is True
    row = (1, 2, 1.5, "s", ["a", "b", "c"])
    assert run(Subscript(Column("ARR"), lit(1)), row) == "a"
    assert run(Subscript(Column("ARR"), lit(-1)), row) == "c"
    assert run(Subscript(Column("ARR"), lit(9)), row) is None


def test_a_type_error_names_both_sides_their_types_and_the_position() -> None:
    where = Binary(
        BinaryOperator.GREATER,
        Column("X"),
        Literal("x", STRING),
        position=Position(1, 30),
    )
    with pytest.raises(IncompatibleTypes) as caught:
        type_of(where, {"X": DOUBLE})
    assert str(caught.value) == "cannot compare X (DOUBLE) with 'x' (STRING) at line 1, column 30"


def test_a_numeric_string_literal_compares_with_a_number() -> None:
    assert run(Binary(BinaryOperator.GREATER, Column("X"), Literal("1", STRING))) is True


def test_an_unknown_column_suggests_the_nearest_name() -> None:
    with pytest.raises(UnknownColumn) as caught:
        type_of(Column("PRCE", position=Position(2, 8)), {"PRICE": DOUBLE, "QTY": INTEGER})
    assert caught.value.suggestion == "PRICE"
    assert str(caught.value) == "unknown column PRCE at line 2, column 8; did you mean PRICE?"


def test_qualified_columns_resolve_to_their_source() -> None:
    schema = {"T.ID": INTEGER, "U.ID": STRING}
    assert type_of(Column("ID", "U"), schema) == STRING
    assert compile_expression(Column("ID", "T"), schema)((7, "x")) == 7


def test_lambdas_transform_filter_reduce() -> None:
    from streammesh.streams.expressions import ArrayConstructor, Lambda

    numbers = ArrayConstructor((lit(1), lit(2), lit(3)))
    double = Lambda(("X",), Binary(BinaryOperator.MULTIPLY, Column("X"), lit(2)))
    assert run(Call("TRANSFORM", (numbers, double))) == [2, 4, 6]
    odd = Lambda(
        ("X",),
        Binary(BinaryOperator.EQUAL, Binary(BinaryOperator.MODULO, Column("X"), lit(2)), lit(1)),
    )
    assert run(Call("FILTER", (numbers, odd))) == [1, 3]
    total = Lambda(("S", "X"), Binary(BinaryOperator.ADD, Column("S"), Column("X")))
    assert run(Call("REDUCE", (numbers, lit(0), total))) == 6


OPS = list(BinaryOperator)[:5]  # + - * / %
CMP = [
    BinaryOperator.LESS,
    BinaryOperator.EQUAL,
    BinaryOperator.GREATER_OR_EQUAL,
    BinaryOperator.NOT_EQUAL,
]
values = st.one_of(
    st.none(),
    st.integers(-1000, 1000),
    st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: round(v, 3)),
)


def _sql(value: object) -> str:
    if value is None:
        return "NULL"
    return f"CAST({value!r} AS {'INTEGER' if isinstance(value, int) else 'DOUBLE'})"


def _duck_operator(op: BinaryOperator, a: object, b: object) -> str:
    # DuckDB's `/` on integers is a float division; `//` truncates like ksqlDB's (Java's).
    both_integers = not isinstance(a, float) and not isinstance(b, float)
    return "//" if op is BinaryOperator.DIVIDE and both_integers else op.value


@settings(max_examples=300, deadline=None)
@given(a=values, b=values, c=values, op=st.sampled_from(OPS), cmp=st.sampled_from(CMP))
def test_arithmetic_comparison_case_coalesce_agree_with_duckdb_under_ksqldb_null_rules(
    a: object, b: object, c: object, op: BinaryOperator, cmp: BinaryOperator
) -> None:
    dividing = op in {BinaryOperator.DIVIDE, BinaryOperator.MODULO}
    if dividing and b == 0 and (isinstance(a, float) or isinstance(b, float)):
        return  # a DOUBLE divided by zero is Infinity or NaN in ksqlDB (Java), NULL in DuckDB
    schema = {
        name: DOUBLE if isinstance(value, float) else INTEGER
        for name, value in (("A", a), ("B", b), ("C", c))
    }
    arithmetic = Binary(op, Column("A"), Column("B"))
    comparison = Binary(cmp, arithmetic, Column("C"))
    negated = Unary(UnaryOperator.NOT, comparison)
    both = Binary(BinaryOperator.AND, comparison, Binary(cmp, Column("B"), Column("A")))
    case = Case((WhenClause(comparison, Column("A")),), Column("B"))
    coalesce = Call("COALESCE", (Column("A"), Column("B"), Column("C")))
    row = (a, b, c)
    ours = [
        compile_expression(e, schema)(row)
        for e in (arithmetic, comparison, negated, both, case, coalesce)
    ]
    sa, sb, sc = _sql(a), _sql(b), _sql(c)
    math_sql = f"TRY({sa} {_duck_operator(op, a, b)} {sb})"
    # ksqlDB's comparison is false, never NULL, when an operand is NULL: in DuckDB that is
    # COALESCE(x < y, false); AND, NOT and CASE over such comparisons are then two-valued.
    compare_sql = f"COALESCE({math_sql} {cmp.value} {sc}, false)"
    reverse_sql = f"COALESCE({sb} {cmp.value} {sa}, false)"
    query = (
        f"SELECT {math_sql}, {compare_sql}, NOT {compare_sql}, {compare_sql} AND {reverse_sql},"
        f" CASE WHEN {compare_sql} THEN {sa} ELSE {sb} END,"
        f" COALESCE({sa}, {sb}, {sc})"
    )
    (theirs,) = duckdb.sql(query).limit(1).fetchall()
    for mine, expected in zip(ours, theirs, strict=True):
        if expected is None or mine is None:
            assert mine is None and expected is None, (mine, expected, query)
        elif isinstance(expected, float) or isinstance(mine, float):
            assert mine == pytest.approx(expected), query
        else:
            assert mine == expected, query


def test_lambdas_over_maps_and_a_reduce_whose_lambda_does_not_fit_its_state() -> None:
    from streammesh.streams.evaluation import ExpressionTypeError
    from streammesh.streams.expressions import Lambda
    from streammesh.streams.types import map_of

    schema = {"M": map_of(STRING, INTEGER)}
    row = ({"a": 1, "b": 2},)
    upper = Lambda(("K", "V"), Call("UCASE", (Column("K"),)))
    plus = Lambda(("K", "V"), Binary(BinaryOperator.ADD, Column("V"), lit(10)))
    transformed = compile_expression(Call("TRANSFORM", (Column("M"), upper, plus)), schema)(row)
    assert transformed == {"A": 11, "B": 12}
    big = Lambda(("K", "V"), Binary(BinaryOperator.GREATER, Column("V"), lit(1)))
    assert compile_expression(Call("FILTER", (Column("M"), big)), schema)(row) == {"b": 2}
    total = Lambda(("S", "K", "V"), Binary(BinaryOperator.ADD, Column("S"), Column("V")))
    assert compile_expression(Call("REDUCE", (Column("M"), lit(0), total)), schema)(row) == 3
    assert compile_expression(Call("REDUCE", (Column("M"), lit(None), total)), schema)(row) is None
    text = Lambda(("S", "K", "V"), Column("K"))
    with pytest.raises(ExpressionTypeError, match="returns STRING, which does not fit"):
        type_of(Call("REDUCE", (Column("M"), lit(0), text)), schema)
