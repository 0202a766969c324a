"""The expression tree both front ends build: the SQL parser from statements, the Python DSL
from its builder calls.

Nodes are immutable and carry no types: the planner types them against a schema and compiles
them to functions of a row (see :mod:`streammesh.streams.evaluation`). ``Position`` says where
a node was written (line and column, 1-based) so that errors can point at it; nodes the DSL
builds have none.

Names follow ksqlDB: an unquoted identifier is upper-cased by the parser (``price`` is
``PRICE``), a back-quoted one is kept as written; nodes hold the resolved name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from streammesh.streams.types import SqlType


@dataclass(frozen=True, slots=True)
class Position:
    """Where a node starts in the statement text (1-based line and column)."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Expression:
    """Base of every node."""

    position: Position | None = field(default=None, kw_only=True, compare=False)


@dataclass(frozen=True, slots=True)
class Column(Expression):
    """A column, optionally qualified by its source's name or alias (``T.PRICE``)."""

    name: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Literal(Expression):
    """A constant. ``value`` is ``None`` for ``NULL``; ``type`` is the literal's type when the
    text fixes it (``12`` is INTEGER, ``12.5`` DECIMAL(3, 1), ``'x'`` STRING, ``TRUE``
    BOOLEAN), ``None`` for ``NULL``."""

    value: bool | int | float | Decimal | str | bytes | None
    type: SqlType | None = None


class TimeUnit(StrEnum):
    """A time unit keyword written as a function argument (``DATEADD(DAYS, 2, d)``): ksqlDB's
    grammar reads ``MILLISECOND(S)``, ``SECOND(S)``, ``MINUTE(S)``, ``HOUR(S)`` and ``DAY(S)``
    there as a unit, not a column. The parser gives it as ``Literal(TimeUnit.DAYS, STRING)``
    (a ``TimeUnit`` is a ``str``, so functions taking the unit as text read it as is)."""

    MILLISECONDS = "MILLISECONDS"
    SECONDS = "SECONDS"
    MINUTES = "MINUTES"
    HOURS = "HOURS"
    DAYS = "DAYS"

    @classmethod
    def of(cls, word: str) -> TimeUnit | None:
        """The unit a keyword names, singular or plural, in any case; ``None`` if none."""
        key = word.upper()
        return cls.__members__.get(key) or cls.__members__.get(f"{key}S")


class BinaryOperator(StrEnum):
    """Operators between two operands, by their SQL spelling."""

    ADD = "+"
    SUBTRACT = "-"
    MULTIPLY = "*"
    DIVIDE = "/"
    MODULO = "%"
    CONCAT = "||"
    EQUAL = "="
    NOT_EQUAL = "<>"
    LESS = "<"
    LESS_OR_EQUAL = "<="
    GREATER = ">"
    GREATER_OR_EQUAL = ">="
    AND = "AND"
    OR = "OR"
    IS_DISTINCT_FROM = "IS DISTINCT FROM"
    """ksqlDB's null-safe inequality; ``a IS NOT DISTINCT FROM b`` is ``NOT`` around it."""


class UnaryOperator(StrEnum):
    """Operators on one operand."""

    NEGATE = "-"
    PLUS = "+"
    NOT = "NOT"


@dataclass(frozen=True, slots=True)
class Binary(Expression):
    """``left operator right``."""

    operator: BinaryOperator
    left: Expression
    right: Expression


@dataclass(frozen=True, slots=True)
class Unary(Expression):
    """``operator operand``."""

    operator: UnaryOperator
    operand: Expression


@dataclass(frozen=True, slots=True)
class Call(Expression):
    """A function call: scalar (``UCASE(x)``), aggregate (``SUM(x)``) or table function, by its
    upper-cased name; ``star`` for ``COUNT(*)``; ``distinct`` for ``COUNT(DISTINCT x)``."""

    name: str
    arguments: tuple[Expression, ...] = ()
    star: bool = False
    distinct: bool = False


@dataclass(frozen=True, slots=True)
class Cast(Expression):
    """``CAST(operand AS type)``."""

    operand: Expression
    type: SqlType


@dataclass(frozen=True, slots=True)
class WhenClause:
    """One ``WHEN condition THEN result`` of a ``CASE``."""

    condition: Expression
    result: Expression


@dataclass(frozen=True, slots=True)
class Case(Expression):
    """``CASE [operand] WHEN ... THEN ... [ELSE default] END``; with ``operand`` each
    condition is compared with it for equality (the "simple" form)."""

    whens: tuple[WhenClause, ...]
    default: Expression | None = None
    operand: Expression | None = None


@dataclass(frozen=True, slots=True)
class Like(Expression):
    """``operand [NOT] LIKE pattern [ESCAPE escape]`` (``%`` any run, ``_`` one character)."""

    operand: Expression
    pattern: Expression
    escape: str | None = None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InList(Expression):
    """``operand [NOT] IN (values...)``."""

    operand: Expression
    values: tuple[Expression, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between(Expression):
    """``operand [NOT] BETWEEN low AND high`` (both ends included)."""

    operand: Expression
    low: Expression
    high: Expression
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull(Expression):
    """``operand IS [NOT] NULL``."""

    operand: Expression
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Subscript(Expression):
    """``base[index]``: an array element (1-based; negative counts from the end) or a map
    value."""

    base: Expression
    index: Expression


@dataclass(frozen=True, slots=True)
class Dereference(Expression):
    """``base->field``: a field of a struct."""

    base: Expression
    field_name: str


@dataclass(frozen=True, slots=True)
class ArrayConstructor(Expression):
    """``ARRAY[a, b, ...]``."""

    elements: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class MapConstructor(Expression):
    """``MAP(k1 := v1, k2 := v2, ...)``."""

    entries: tuple[tuple[Expression, Expression], ...]


@dataclass(frozen=True, slots=True)
class StructConstructor(Expression):
    """``STRUCT(name := value, ...)``."""

    fields: tuple[tuple[str, Expression], ...]


@dataclass(frozen=True, slots=True)
class Lambda(Expression):
    """``(x, y) => body``, an argument of higher-order functions (``TRANSFORM``, ``FILTER``,
    ``REDUCE``)."""

    parameters: tuple[str, ...]
    body: Expression
