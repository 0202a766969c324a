"""The text being parsed: turns character offsets into line and column, and builds the errors
that point into it."""

from __future__ import annotations

from bisect import bisect_right

from streammesh.streams.expressions import Position
from streammesh.streams.sql.errors import InvalidSqlProperty, SqlSyntaxError, UnsupportedSql


class SourceText:
    """A SQL text and the start offset of each of its lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)

    def position(self, offset: int) -> Position:
        """The 1-based line and column of the character at ``offset``."""
        line = bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)

    def syntax_error(
        self, offset: int, detail: str, *, found: str = "", expected: tuple[str, ...] = ()
    ) -> SqlSyntaxError:
        """A syntax error at ``offset``."""
        at = self.position(offset)
        return SqlSyntaxError(
            detail,
            line=at.line,
            column=at.column,
            text=self.text,
            found=found,
            expected=expected,
        )

    def unsupported(self, offset: int, construct: str) -> UnsupportedSql:
        """An error for a construct written at ``offset`` that streammesh does not run."""
        at = self.position(offset)
        return UnsupportedSql(construct, line=at.line, column=at.column, text=self.text)

    def invalid_property(self, offset: int, name: str, reason: str) -> InvalidSqlProperty:
        """An error for the ``WITH`` property ``name`` written at ``offset``."""
        at = self.position(offset)
        return InvalidSqlProperty(name, reason, line=at.line, column=at.column, text=self.text)
