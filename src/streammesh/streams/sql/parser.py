"""``parse_statements``: ksqlDB statements as text in, :mod:`.statements` objects out."""

from __future__ import annotations

from sqlglot.errors import TokenError

from streammesh.streams.sql.dialect import KsqlDialect, KsqlParser
from streammesh.streams.sql.source import SourceText
from streammesh.streams.sql.statements import Statement

_DIALECT = KsqlDialect()


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
    """
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError:
        offset = _unterminated_quote(text)
        raise SourceText(text).syntax_error(
            offset,
            "unterminated quoted string, identifier or comment",
            found=text[offset : offset + 1],
        ) from None
    parser = _DIALECT.parser()
    assert isinstance(parser, KsqlParser)  # the dialect's parser class
    return parser.parse_ksql(text, tokens)


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
