"""Errors of planning statements: a statement that is valid SQL but cannot be planned.

Each names what is wrong and, when the statement came from SQL text, points at it the way
the SQL front end does (``line L:C:``, the line and a caret under the spot)::

    StreamsError
    └── PlanError
        ├── UnknownSource      a stream or table no statement created (nearest name suggested)
        ├── SourceExists       CREATE of a name that is already taken
        ├── KeyNotProjected    a persistent query whose projection lacks a key column
        ├── DuplicateKey       a projection holding a key column more than once
        └── InvalidQuery       anything else the planner refuses, with the reason
"""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.streams.errors import StreamsError
from streammesh.streams.evaluation.errors import nearest
from streammesh.streams.expressions import Position
from streammesh.streams.sql.errors import caret_lines


class PlanError(StreamsError):
    """Base of the planner's errors.

    Attributes:
        detail: What is wrong, without the location.
        line: 1-based line of the spot in the script, when known.
        column: 1-based column of it, when known.
        excerpt: The script line and a caret under the spot (empty without a position).
    """

    def __init__(self, detail: str, position: Position | None = None, text: str = "") -> None:
        self.detail = detail
        self.line = position.line if position else None
        self.column = position.column if position else None
        self.excerpt = (
            caret_lines(text, position.line, position.column) if position and text else ""
        )
        if position is None:
            message = detail
        elif self.excerpt:
            message = f"line {position.line}:{position.column}: {detail}\n{self.excerpt}"
        else:
            message = f"line {position.line}:{position.column}: {detail}"
        super().__init__(message)


class UnknownSource(PlanError):
    """A stream or table that neither the script nor the catalog has.

    Attributes:
        name: The name as written.
        suggestion: The nearest known name, if one is close enough.
    """

    def __init__(
        self, name: str, known: Sequence[str], position: Position | None = None, text: str = ""
    ) -> None:
        self.name = name
        self.suggestion = nearest(name, known)
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        super().__init__(f"{name} does not exist{hint}", position, text)


class SourceExists(PlanError):
    """``CREATE STREAM|TABLE name`` where ``name`` is already a stream or table."""

    def __init__(
        self, name: str, kind: str, position: Position | None = None, text: str = ""
    ) -> None:
        self.name = name
        self.kind = kind
        super().__init__(
            f"Cannot add {kind.lower()} '{name}': A {kind.lower()} with the same name already "
            "exists",
            position,
            text,
        )


class KeyNotProjected(PlanError):
    """A persistent query whose projection does not hold every key column (ksqlDB's rule: the
    key is not copied implicitly, the SELECT must name it).

    Attributes:
        sink: The stream or table the query builds.
        what: ``key column``, ``partitioning expression`` or ``grouping expression``.
        keys: The key columns or expressions as written.
    """

    def __init__(
        self,
        sink: str,
        what: str,
        keys: Sequence[str],
        position: Position | None = None,
        text: str = "",
        *,
        alternatives: bool = False,
    ) -> None:
        self.sink = sink
        self.what = what
        self.keys = tuple(keys)
        plural = "s" if len(keys) > 1 else ""
        if len(keys) == 1:
            joined = keys[0]
        elif alternatives:  # any one of the join's columns will do
            joined = ", ".join(keys[:-1]) + " or " + keys[-1]
        else:
            joined = ", ".join(keys[:-1]) + " and " + keys[-1]
        example = keys[0] if alternatives else ", ".join(keys)
        super().__init__(
            f"Key{'' if alternatives else plural} missing from projection (ie, SELECT). The"
            f" query used to build `{sink}` must include the {what}{plural} {joined} in its"
            f" projection (eg, SELECT {example}...).",
            position,
            text,
        )


class DuplicateKey(PlanError):
    """A projection that holds a key column more than once."""

    def __init__(
        self, key: str, aliases: Sequence[str], position: Position | None = None, text: str = ""
    ) -> None:
        self.key = key
        self.aliases = tuple(aliases)
        super().__init__(
            f"The projection contains a key column (`{key}`) more than once, aliased as: "
            + " and ".join(aliases)
            + ".",
            position,
            text,
        )


class InvalidQuery(PlanError):
    """A statement the planner refuses for a reason given in ``detail``."""
