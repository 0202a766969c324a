"""What join operators take and give: input records of one side, output records, and the
layout that puts a left and a right row together as the ``Join`` plan node's row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from streammesh.streams.plan.nodes import Join, PlanColumn, Role

__all__ = [
    "DropReason",
    "JoinColumn",
    "JoinInput",
    "JoinLayout",
    "JoinOutput",
    "JoinResult",
    "Row",
    "Side",
    "reader",
]

Row = tuple[object, ...]
"""A row: a tuple of SQL values in its node's schema order."""

JoinColumn = int | Callable[[Row], object]
"""Where a side's join value is: a column index into its rows, or a function of the row (a
compiled expression, for ksqlDB's ``ON t.id = CAST(tt.id AS BIGINT)``)."""


def reader(column: JoinColumn) -> Callable[[Row], object]:
    """The function reading a :data:`JoinColumn`'s value from a row."""
    if isinstance(column, int):
        index = column
        return lambda row: row[index]
    return column


class Side(StrEnum):
    """Which input of a join a record comes from."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        """The other side."""
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


class DropReason(StrEnum):
    """Why a join dropped an input record without output (the engine counts them)."""

    NULL_KEY = "null join key"
    """A stream record whose join column is NULL (ksqlDB drops it, as Kafka Streams does)."""
    NULL_VALUE = "null value"
    """A stream record without a value: nothing to join."""
    LATE = "late"
    """A stream-stream join record whose window closed more than the grace period ago."""


@dataclass(frozen=True, slots=True)
class JoinInput:
    """One input record of one side.

    Attributes:
        key: The record key's columns (a table's primary key; a stream's key, if any).
        row: The side's row, as its plan node's schema lists the columns (keys, values and
            pseudo-columns for a ``Source``); ``None`` for a tombstone.
        timestamp: The record's timestamp (ROWTIME), UTC milliseconds.
    """

    key: Row
    row: Row | None
    timestamp: int


@dataclass(frozen=True, slots=True)
class JoinOutput:
    """One output record: its key, the joined row (``None``: a tombstone of a table join),
    and its timestamp.

    ``left`` and ``right`` are the rows that were joined (``None`` for a missing side), for
    callers that assemble rows themselves.
    """

    key: Row
    row: Row | None
    timestamp: int
    left: Row | None = None
    right: Row | None = None


@dataclass(frozen=True, slots=True)
class JoinResult:
    """What processing one input record gave: the output records in order, and why the
    record was dropped, if it was."""

    outputs: tuple[JoinOutput, ...] = ()
    dropped: DropReason | None = None


@dataclass(frozen=True, slots=True)
class JoinLayout:
    """How a joined row is laid out: the left row (or NULLs), then the right row (or NULLs);
    with ``key_index``, that column of the concatenation moves to the front and holds the
    join's output key (the non-NULL side's key in a FULL OUTER join, ksqlDB's synthetic
    ``ROWKEY``), which is how the planner lays out a ``Join`` node's rows.

    >>> JoinLayout(left_width=2, right_width=2, key_index=0).row(("k",), (1, "a"), None)
    ('k', 'a', None, None)
    """

    left_width: int
    right_width: int
    key_index: int | None = None

    @classmethod
    def of(cls, join: Join) -> JoinLayout:
        """The layout of a ``Join`` plan node's rows."""
        left = join.left.schema.columns
        right = join.right.schema.columns
        key = next((c for c in join.schema.columns if c.role is Role.KEY), None)
        index = None if key is None else _position(key, (*left, *right))
        return cls(len(left), len(right), index)

    def row(self, key: Row, left: Row | None, right: Row | None) -> Row:
        """The joined row of ``left`` and ``right`` (either may be missing)."""
        joined = (*(left or (None,) * self.left_width), *(right or (None,) * self.right_width))
        if self.key_index is None:
            return joined
        index = self.key_index
        return (key[0] if key else None, *joined[:index], *joined[index + 1 :])


def _position(key: PlanColumn, columns: Sequence[PlanColumn]) -> int:
    for index, column in enumerate(columns):
        if column.name == key.name and column.source == key.source:
            return index
    raise ValueError(f"the join key {key.source}.{key.name} is not a column of either side")
