"""Whatever text comes in, the parser answers with statements or one SqlError, never a crash
from inside sqlglot."""

from __future__ import annotations

from hypothesis import given, settings, strategies

from streammesh.streams.sql import SqlError, parse_statements

_STATEMENT = (
    "CREATE STREAM s (a INT KEY, `b` ARRAY<STRUCT<c DECIMAL(4, 2)>>) WITH (kafka_topic='s',"
    " value_format='json') ; SELECT t.*, CAST(a AS MAP<STRING, INT>), ARRAY[1][1],"
    " MAP('k' := 1), STRUCT(x := 1)->X, TRANSFORM(xs, (x, y) => x + y), CASE a WHEN 1 THEN 2"
    " ELSE 3 END, a NOT LIKE 'x' ESCAPE '!', -.5, 1.5E3 FROM s t LEFT JOIN u WITHIN"
    " (1 HOUR, 2 SECONDS) GRACE PERIOD 1 DAY ON t.a = u.a WINDOW HOPPING (SIZE 1 MINUTE,"
    " ADVANCE BY 10 SECONDS) WHERE a IN (1, 2) AND b IS NOT NULL GROUP BY a HAVING COUNT(*) > 1"
    " EMIT CHANGES LIMIT 3"
)
_WORDS = [
    *_STATEMENT.split(),
    "(", ")", "[", "]", ",", ";", ".", "*", "->", "=>", ":=", "'", "`", '"', "/*", "--", "!",
    "$", "${x}", "::", "@", "?", "{", "}", "1e999", "99999999999999999999", "DROP", "INSERT",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(strategies.lists(strategies.sampled_from(_WORDS), max_size=40))
def test_random_token_soup_gives_statements_or_a_sql_error(words: list[str]) -> None:
    try:
        parse_statements(" ".join(words))
    except SqlError as error:
        assert error.line >= 1 and error.column >= 1
        assert "^" in str(error)


@settings(max_examples=300, deadline=None)
@given(strategies.data())
def test_a_mangled_valid_script_gives_statements_or_a_sql_error(
    data: strategies.DataObject,
) -> None:
    words = _STATEMENT.split()
    for _ in range(data.draw(strategies.integers(1, 4))):
        index = data.draw(strategies.integers(0, len(words) - 1))
        action = data.draw(strategies.sampled_from(["drop", "insert", "replace"]))
        if action == "drop":
            del words[index]
        else:
            word = data.draw(strategies.sampled_from(_WORDS))
            words[index : index + (action == "replace")] = [word]
    try:
        parse_statements(" ".join(words))
    except SqlError as error:
        assert error.line >= 1 and error.column >= 1
