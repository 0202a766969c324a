"""``parse_statements``: ksqlDB statements as text in, :mod:`.statements` objects out."""

from __future__ import annotations

from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token, TokenType

from streammesh.streams.sql.dialect import KsqlDialect, KsqlParser
from streammesh.streams.sql.errors import SqlTooLarge
from streammesh.streams.sql.source import SourceText
from streammesh.streams.sql.statements import Statement

_DIALECT = KsqlDialect()

MAX_SQL_CHARS = 128 * 1024
"""Characters a script may have: ksqlDB scripts are far smaller, and tokenizing this many
takes about half a second here."""
MAX_NESTING = 64
"""How deeply brackets may nest: the parser descends once per level."""
MAX_STATEMENT_TOKENS = 10_000
"""Tokens one statement may have: the parser descends once per chained operator, and a long
chain of them is the costly input a size bound alone lets through."""
_OPENING = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET})
_CLOSING = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET})


def parse_statements(text: str) -> list[Statement]:
    """The statements of ``text``, separated by ``;`` (the last one may omit it), with
    ``--`` and ``/* */`` comments anywhere.

    Example:
        >>> [statement] = parse_statements("DROP STREAM IF EXISTS trades;")
        >>> statement.name, statement.if_exists
        ('TRADES', True)

    Raises:
        SqlSyntaxError: the text is not valid ksqlDB SQL; the message points at the line and
            column with a caret.
        UnsupportedSql: a valid ksqlDB construct streammesh does not run, named.
        InvalidSqlProperty: a ``WITH`` property that is unknown, repeated or ill-typed.
        SqlTooLarge: the text is over :data:`MAX_SQL_CHARS`, nests brackets deeper than
            :data:`MAX_NESTING`, or chains so many operators that the parser cannot descend.
    """
    if len(text) > MAX_SQL_CHARS:
        raise _too_large(
            text,
            MAX_SQL_CHARS,
            "size",
            f"the script has {len(text)} characters; at most {MAX_SQL_CHARS}",
        )
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError:
        offset = _unterminated_quote(text)
        raise SourceText(text).syntax_error(
            offset,
            "unterminated quoted string, identifier or comment",
            found=text[offset : offset + 1],
        ) from None
    _check_shape(text, tokens)
    parser = _DIALECT.parser()
    assert isinstance(parser, KsqlParser)  # the dialect's parser class
    try:
        return parser.parse_ksql(text, tokens)
    except RecursionError:  # e.g. tens of thousands of `a + a + ...`: each operator one level
        raise _too_large(
            text, 0, "nesting", "the statement chains too many operators to parse; split it"
        ) from None


def _check_shape(text: str, tokens: list[Token]) -> None:
    """Refuse brackets nested deeper than :data:`MAX_NESTING` and statements longer than
    :data:`MAX_STATEMENT_TOKENS`, at the first token over the bound."""
    depth = 0
    statement_start = 0
    for index, token in enumerate(tokens):
        if token.token_type is TokenType.SEMICOLON:
            statement_start = index + 1
        elif index - statement_start >= MAX_STATEMENT_TOKENS:
            raise _too_large(
                text,
                token.start,
                "size",
                f"the statement has more than {MAX_STATEMENT_TOKENS} tokens; split it",
            )
        if token.token_type in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                raise _too_large(
                    text,
                    token.start,
                    "nesting",
                    f"brackets nest more than {MAX_NESTING} deep",
                )
        elif token.token_type in _CLOSING:
            depth -= 1


def _too_large(text: str, offset: int, limit: str, detail: str) -> SqlTooLarge:
    at = SourceText(text).position(min(offset, len(text)))
    return SqlTooLarge(limit, detail, line=at.line, column=at.column, text=text)


def _unterminated_quote(text: str) -> int:
    """Where the quote or comment that never closes starts (the end of ``text`` if none)."""
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("--", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end + 1
            continue
        if text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end < 0:
                return index
            index = end + 2
            continue
        if char in "'`\"":
            close = index + 1
            while True:
                close = text.find(char, close)
                if close < 0:
                    return index
                if text.startswith(char * 2, close):
                    close += 2
                    continue
                break
            index = close + 1
            continue
        index += 1
    return len(text)
