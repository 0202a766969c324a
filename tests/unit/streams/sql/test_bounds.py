"""A hostile script is refused with a clear error, fast: size, bracket nesting and long
operator chains are bounded before the parser descends into them."""

from __future__ import annotations

import pytest

from streammesh.streams.sql import SqlTooLarge, parse_statements
from streammesh.streams.sql.parser import MAX_NESTING, MAX_SQL_CHARS, MAX_STATEMENT_TOKENS


def test_a_script_over_the_size_bound_is_refused_before_parsing() -> None:
    with pytest.raises(SqlTooLarge, match=f"at most {MAX_SQL_CHARS}") as refused:
        parse_statements("x" * (MAX_SQL_CHARS + 1))
    assert refused.value.limit == "size"


def test_brackets_nested_too_deep_are_refused_at_the_first_one_too_deep() -> None:
    text = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " FROM s EMIT CHANGES;"
    with pytest.raises(SqlTooLarge, match=f"nest more than {MAX_NESTING} deep") as refused:
        parse_statements(text)
    assert refused.value.limit == "nesting"
    assert (refused.value.line, refused.value.column) == (1, 8 + MAX_NESTING)


def test_nesting_up_to_the_bound_parses() -> None:
    depth = MAX_NESTING - 1
    [statement] = parse_statements(
        "SELECT " + "(" * depth + "1" + ")" * depth + " AS X FROM s EMIT CHANGES;"
    )
    assert statement is not None


def test_a_statement_over_the_token_bound_is_refused() -> None:
    text = "SELECT " + "+".join(["a"] * MAX_STATEMENT_TOKENS) + " FROM s EMIT CHANGES;"
    with pytest.raises(SqlTooLarge, match=f"more than {MAX_STATEMENT_TOKENS} tokens"):
        parse_statements(text)


def test_an_operator_chain_too_long_to_descend_is_a_sql_error_not_a_crash() -> None:
    text = "SELECT " + "+".join(["a"] * 4000) + " FROM s EMIT CHANGES;"
    with pytest.raises(SqlTooLarge, match="chains too many operators") as refused:
        parse_statements(text)
    assert refused.value.limit == "nesting"
