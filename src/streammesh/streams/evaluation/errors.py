"""Errors of typing and compiling expressions (see :mod:`streammesh.streams.errors`).

Each leaf names the expression as written (its text, or the column), the types involved and,
when the expression came from SQL text, where it starts (``at line 1, column 30``)::

    StreamsError
    └── ExpressionError
        ├── ExpressionTypeError      operands or arguments of types that do not fit together
        │   ├── IncompatibleTypes    ``cannot compare PRICE (DOUBLE) with 'x' (STRING)``
        │   └── InvalidCast          ``cannot cast B (BYTES) to INTEGER``
        ├── UnknownColumn            a column the schema does not have (nearest name suggested)
        ├── AmbiguousColumn          an unqualified name two sources share
        └── NullOperand              a NULL where ksqlDB's generated Java needs a value
                                     (``NOT B``, ``B AND C``, ``WHEN B``, ``S LIKE P``)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from streammesh.streams.errors import StreamsError
from streammesh.streams.expressions import Position
from streammesh.streams.types import SqlType, type_text


def where(position: Position | None) -> str:
    """`` at line L, column C`` for a position, or nothing."""
    if position is None:
        return ""
    return f" at line {position.line}, column {position.column}"


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` (difflib, case-insensitive), or ``None``."""
    options = list(candidates)
    by_upper = {option.upper(): option for option in options}
    found = difflib.get_close_matches(name.upper(), list(by_upper), n=1, cutoff=0.6)
    return by_upper[found[0]] if found else None


class ExpressionError(StreamsError):
    """Base of errors about an expression; ``position`` is where it was written, if known."""

    def __init__(self, message: str, position: Position | None) -> None:
        self.position = position
        super().__init__(message)


class ExpressionTypeError(ExpressionError):
    """An expression whose parts have types that do not fit together.

    Attributes:
        expression: The offending expression as text.
        problem: What does not fit, without the position.
    """

    def __init__(self, expression: str, problem: str, position: Position | None) -> None:
        self.expression = expression
        self.problem = problem
        super().__init__(f"{problem}{where(position)}", position)


class IncompatibleTypes(ExpressionTypeError):
    """Two operands that an operator cannot combine, e.g. a DOUBLE compared with a STRING.

    Attributes:
        verb: What the operator does (``compare``, ``add``, ...).
        left, right: Each operand as text.
        left_type, right_type: Their types.
    """

    def __init__(
        self,
        verb: str,
        left: str,
        left_type: SqlType,
        right: str,
        right_type: SqlType,
        position: Position | None,
        *,
        joiner: str = "with",
    ) -> None:
        self.verb = verb
        self.left = left
        self.left_type = left_type
        self.right = right
        self.right_type = right_type
        problem = (
            f"cannot {verb} {left} ({type_text(left_type)}) {joiner} {right}"
            f" ({type_text(right_type)})"
        )
        super().__init__(f"{left} {verb} {right}", problem, position)


class InvalidCast(ExpressionTypeError):
    """A ``CAST`` ksqlDB does not allow, e.g. from BYTES to INTEGER."""

    def __init__(
        self, operand: str, source: SqlType, target: SqlType, position: Position | None
    ) -> None:
        self.operand = operand
        self.source = source
        self.target = target
        problem = f"cannot cast {operand} ({type_text(source)}) to {type_text(target)}"
        super().__init__(operand, problem, position)


class UnknownColumn(ExpressionError):
    """A column the schema does not have.

    Attributes:
        name: The column as written (``T.PRICE`` when qualified).
        suggestion: The nearest known column, if one is close enough.
    """

    def __init__(self, name: str, known: Iterable[str], position: Position | None) -> None:
        self.name = name
        self.suggestion = nearest(name, known)
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        super().__init__(f"unknown column {name}{where(position)}{hint}", position)


class AmbiguousColumn(ExpressionError):
    """An unqualified column that more than one source has."""

    def __init__(self, name: str, sources: Iterable[str], position: Position | None) -> None:
        self.name = name
        self.sources = tuple(sources)
        qualified = " or ".join(f"{source}.{name}" for source in self.sources)
        super().__init__(
            f"column {name} is ambiguous{where(position)}: write {qualified}", position
        )


class NullOperand(ExpressionError):
    """A NULL met while evaluating a row where ksqlDB's generated Java needs a value: an
    operand of ``AND``/``OR``/``NOT``, a ``CASE`` condition, either side of ``LIKE``.

    ksqlDB fails there (unboxing a null ``Boolean``), logs the row to its processing log and
    makes the whole expression NULL (a WHERE drops the row); :func:`compile_expression` does
    the same and hands this error to its ``on_error`` hook.

    Attributes:
        expression: The expression that failed, as text.
        operand: The operand that was NULL, as text.
        operator: ``AND``, ``OR``, ``NOT``, ``CASE WHEN`` or ``LIKE``.
        key: The row's key, when the caller gave its key columns.
    """

    def __init__(
        self,
        expression: str,
        operand: str,
        operator: str,
        position: Position | None,
        key: object = None,
    ) -> None:
        self.expression = expression
        self.operand = operand
        self.operator = operator
        self.key = key
        for_key = f" for key {key!r}" if key is not None else ""
        super().__init__(
            f"{operator} cannot take NULL: {operand} is NULL in {expression}{for_key}"
            f"{where(position)} (the expression is NULL, as in ksqlDB)",
            position,
        )
