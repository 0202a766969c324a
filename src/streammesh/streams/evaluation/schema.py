"""The columns an expression can read, in row order.

A compiled expression reads a row as a tuple: the value of column ``i`` of the schema at
index ``i``. Column indexes are resolved when the expression is compiled, so evaluating a
column is one tuple index (the fast path the engine relies on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from streammesh.streams.evaluation.errors import AmbiguousColumn, UnknownColumn
from streammesh.streams.expressions import Position
from streammesh.streams.types import SqlType


@dataclass(frozen=True, slots=True)
class SchemaColumn:
    """One column: its name, type and the source (name or alias) it comes from, if any."""

    name: str
    type: SqlType
    source: str | None = None

    @property
    def qualified(self) -> str:
        """``SOURCE.NAME``, or the name alone."""
        return f"{self.source}.{self.name}" if self.source else self.name


@dataclass(frozen=True, slots=True)
class Resolved:
    """A column found in the schema, with its index in the row tuple."""

    index: int
    column: SchemaColumn


@dataclass(frozen=True, slots=True)
class Schema:
    """Columns in row order.

    Example:
        >>> from streammesh.streams.types import DOUBLE, STRING
        >>> schema = Schema.of({"T.SYMBOL": STRING, "T.PRICE": DOUBLE})
        >>> schema.resolve("PRICE").index
        1
    """

    columns: tuple[SchemaColumn, ...]

    @classmethod
    def of(cls, columns: Mapping[str, SqlType]) -> Schema:
        """A schema from ``{name: type}`` in row order; a key ``"T.PRICE"`` is column
        ``PRICE`` of source ``T``."""
        built = []
        for key, kind in columns.items():
            source, dot, name = key.rpartition(".")
            built.append(SchemaColumn(name, kind, source if dot else None))
        return cls(tuple(built))

    def resolve(
        self, name: str, source: str | None = None, position: Position | None = None
    ) -> Resolved:
        """The column ``source.name`` (or ``name`` when unique across sources).

        Raises:
            UnknownColumn: no such column (with the nearest name).
            AmbiguousColumn: an unqualified name that several sources have.
        """
        found = [
            Resolved(index, column)
            for index, column in enumerate(self.columns)
            if column.name == name and (source is None or column.source == source)
        ]
        if len(found) == 1:
            return found[0]
        if found:
            sources = [item.column.source or "" for item in found]
            raise AmbiguousColumn(name, sources, position)
        written = f"{source}.{name}" if source else name
        known = [column.qualified if source else column.name for column in self.columns]
        raise UnknownColumn(written, known, position)

    def extended(self, *columns: SchemaColumn) -> Schema:
        """This schema with more columns after its own (lambda parameters use it)."""
        return Schema(self.columns + columns)
