"""Errors of the SQL front end: each names what is wrong and points at it with a caret.

Every message starts with ``line L:C:`` (1-based), then the statement line as written and a
caret under the spot, e.g.::

    line 1:10: mismatched input 'FORM' expecting 'FROM'
    SELECT * FORM trades EMIT CHANGES;
             ^
"""

from __future__ import annotations

from streammesh.streams.errors import StreamsError


def caret_lines(text: str, line: int, column: int) -> str:
    """The source line ``line`` of ``text`` and a caret under ``column`` (both 1-based).

    Tabs before the spot are kept so that the caret lines up in a terminal.
    """
    lines = text.splitlines() or [""]
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    prefix = "".join(char if char == "\t" else " " for char in source_line[: column - 1])
    return f"{source_line}\n{prefix}^"


class SqlError(StreamsError):
    """Base of the SQL front end's errors: something in the statement text at ``line:column``.

    Attributes:
        line: 1-based line of the offending spot in the text that was parsed.
        column: 1-based column of it.
        detail: what is wrong, without the location.
        excerpt: the source line and the caret line under the spot.
    """

    def __init__(self, detail: str, *, line: int, column: int, text: str) -> None:
        self.detail = detail
        self.line = line
        self.column = column
        self.excerpt = caret_lines(text, line, column)
        super().__init__(f"line {line}:{column}: {detail}\n{self.excerpt}")


class SqlSyntaxError(SqlError):
    """The text is not valid ksqlDB SQL at ``line:column``.

    Attributes:
        found: the text found at the spot (``'<EOF>'`` at the end of the input).
        expected: what the grammar accepts there, as written in the message (empty when the
            problem is not a missing token, e.g. a number out of range).
    """

    def __init__(
        self,
        detail: str,
        *,
        line: int,
        column: int,
        text: str,
        found: str = "",
        expected: tuple[str, ...] = (),
    ) -> None:
        self.found = found
        self.expected = expected
        super().__init__(detail, line=line, column=column, text=text)


class UnsupportedSql(SqlError):
    """Valid ksqlDB SQL that streammesh does not run (yet), e.g. ``SHOW STREAMS``.

    Attributes:
        construct: the name of the construct that is not supported.
    """

    def __init__(self, construct: str, *, line: int, column: int, text: str) -> None:
        self.construct = construct
        super().__init__(f"{construct} is not supported", line=line, column=column, text=text)


class InvalidSqlProperty(SqlError):
    """A ``WITH (...)`` property that is unknown, repeated or of the wrong kind.

    Attributes:
        property_name: the property as ksqlDB names it (upper case).
    """

    def __init__(
        self, property_name: str, reason: str, *, line: int, column: int, text: str
    ) -> None:
        self.property_name = property_name
        super().__init__(
            f"property '{property_name}' {reason}", line=line, column=column, text=text
        )


class SqlTooLarge(SqlError):
    """A script over one of the parser's bounds (its size, or how deeply it nests); refused
    before or instead of parsing it, so a hostile text costs well under a second.

    Attributes:
        limit: which bound it broke: ``size`` or ``nesting``.
    """

    def __init__(self, limit: str, detail: str, *, line: int, column: int, text: str) -> None:
        self.limit = limit
        super().__init__(detail, line=line, column=column, text=text)
