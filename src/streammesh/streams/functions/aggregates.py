"""Aggregate functions: an accumulator built row by row, read out as the result.

An :class:`Aggregate` is one call bound to its argument type (``SUM`` of an INTEGER column):
``init`` makes the empty accumulator, ``aggregate`` adds a value, ``undo`` retracts one (a
table row replaced or deleted takes its old contribution back), ``merge`` combines two
accumulators (session windows that merge) and ``result`` reads the value out. Accumulators
are plain values (numbers, tuples, lists, dicts) and are never mutated: each step returns a
new one, so a state store can keep, log and restore them.

Aggregates ksqlDB allows on streams only (``MIN``, ``MAX``, ``TOPK``, ``LATEST_BY_OFFSET``,
...) have ``table_capable = False``; their ``undo`` raises :class:`AggregateNotForTables`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from streammesh.streams.evaluation.rules import is_numeric
from streammesh.streams.evaluation.values import rescale, wrapper
from streammesh.streams.functions.errors import AggregateNotForTables
from streammesh.streams.types import (
    BIGINT,
    DOUBLE,
    STRING,
    BaseType,
    DecimalType,
    SqlType,
    array,
    map_of,
)


class Aggregate(ABC):
    """One aggregate call, bound to its argument type."""

    name: str = ""
    result_type: SqlType = BIGINT
    table_capable: bool = True

    @abstractmethod
    def init(self) -> Any:
        """The accumulator of no rows."""

    @abstractmethod
    def aggregate(self, accumulator: Any, value: Any) -> Any:
        """The accumulator with ``value`` added."""

    def undo(self, accumulator: Any, value: Any) -> Any:
        """The accumulator with an earlier ``value`` taken back (tables)."""
        raise AggregateNotForTables([self.name])

    @abstractmethod
    def merge(self, left: Any, right: Any) -> Any:
        """Two accumulators as one (``right`` holds the later rows)."""

    def result(self, accumulator: Any) -> Any:
        """The aggregate's value."""
        return accumulator


class Count(Aggregate):
    """``COUNT(*)`` counts rows; ``COUNT(x)`` rows where ``x`` is not NULL."""

    name, result_type = "COUNT", BIGINT

    def __init__(self, star: bool) -> None:
        self.star = star

    def init(self) -> int:
        return 0

    def aggregate(self, accumulator: int, value: Any) -> int:
        return accumulator + 1 if self.star or value is not None else accumulator

    def undo(self, accumulator: int, value: Any) -> int:
        return accumulator - 1 if self.star or value is not None else accumulator

    def merge(self, left: int, right: int) -> int:
        return left + right


class CountDistinct(Aggregate):
    """``COUNT_DISTINCT(x)``: distinct non-NULL values (exact; ksqlDB estimates with
    HyperLogLog)."""

    name, result_type, table_capable = "COUNT_DISTINCT", BIGINT, False

    def init(self) -> frozenset[Any]:
        return frozenset()

    def aggregate(self, accumulator: frozenset[Any], value: Any) -> frozenset[Any]:
        return accumulator if value is None else accumulator | {value}

    def merge(self, left: frozenset[Any], right: frozenset[Any]) -> frozenset[Any]:
        return left | right

    def result(self, accumulator: frozenset[Any]) -> int:
        return len(accumulator)


class Sum(Aggregate):
    """``SUM(x)``: same type as ``x``; NULLs ignored; no rows (or only NULLs) sum to 0."""

    name = "SUM"

    def __init__(self, kind: SqlType) -> None:
        self.result_type = kind
        self._fix: Callable[[Any], Any]
        if kind.base in {BaseType.INTEGER, BaseType.BIGINT}:
            self._zero: Any = 0
            self._fix = wrapper(kind)
        elif isinstance(kind, DecimalType):
            self._zero = Decimal(0).scaleb(-kind.scale)
            self._fix = lambda value: value
        else:
            self._zero = 0.0
            self._fix = float

    def init(self) -> Any:
        return self._zero

    def aggregate(self, accumulator: Any, value: Any) -> Any:
        return accumulator if value is None else self._fix(accumulator + value)

    def undo(self, accumulator: Any, value: Any) -> Any:
        return accumulator if value is None else self._fix(accumulator - value)

    def merge(self, left: Any, right: Any) -> Any:
        return self._fix(left + right)


class Avg(Aggregate):
    """``AVG(x)``: DOUBLE (DECIMAL for a DECIMAL column); no non-NULL rows give 0.0, as in
    ksqlDB."""

    name = "AVG"

    def __init__(self, kind: SqlType) -> None:
        self._sum = Sum(kind)
        self.result_type = kind if isinstance(kind, DecimalType) else DOUBLE

    def init(self) -> tuple[Any, int]:
        return (self._sum.init(), 0)

    def aggregate(self, accumulator: tuple[Any, int], value: Any) -> tuple[Any, int]:
        if value is None:
            return accumulator
        return (self._sum.aggregate(accumulator[0], value), accumulator[1] + 1)

    def undo(self, accumulator: tuple[Any, int], value: Any) -> tuple[Any, int]:
        if value is None:
            return accumulator
        return (self._sum.undo(accumulator[0], value), accumulator[1] - 1)

    def merge(self, left: tuple[Any, int], right: tuple[Any, int]) -> tuple[Any, int]:
        return (self._sum.merge(left[0], right[0]), left[1] + right[1])

    def result(self, accumulator: tuple[Any, int]) -> Any:
        total, count = accumulator
        if isinstance(self.result_type, DecimalType):
            if count == 0:
                return self._sum.init()
            return rescale(Decimal(total) / Decimal(count), self.result_type)
        return 0.0 if count == 0 else total / count


class Extreme(Aggregate):
    """``MIN(x)`` / ``MAX(x)``: NULLs ignored; NULL when there is no value."""

    table_capable = False

    def __init__(self, name: str, kind: SqlType) -> None:
        self.name, self.result_type = name, kind
        self._pick: Callable[[Any, Any], Any] = min if name == "MIN" else max

    def init(self) -> Any:
        return None

    def aggregate(self, accumulator: Any, value: Any) -> Any:
        if value is None:
            return accumulator
        return value if accumulator is None else self._pick(accumulator, value)

    def merge(self, left: Any, right: Any) -> Any:
        return self.aggregate(left, right)


class ByOffset(Aggregate):
    """``LATEST_BY_OFFSET`` / ``EARLIEST_BY_OFFSET``, of one value or of ``n`` (an ARRAY);
    NULLs ignored unless ``ignore_nulls`` is false. Rows arrive in offset order."""

    table_capable = False

    def __init__(self, name: str, kind: SqlType, count: int | None, ignore_nulls: bool) -> None:
        self.name = name
        self.latest = name == "LATEST_BY_OFFSET"
        self.count = count
        self.ignore_nulls = ignore_nulls
        self.result_type = kind if count is None else array(kind)

    def init(self) -> tuple[Any, ...]:
        return ()

    def aggregate(self, accumulator: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
        if value is None and self.ignore_nulls:
            return accumulator
        merged: tuple[Any, ...] = self.merge(accumulator, (value,))
        return merged

    def merge(self, left: Any, right: Any) -> Any:
        keep = self.count or 1
        both = left + right
        return both[-keep:] if self.latest else both[:keep]

    def result(self, accumulator: tuple[Any, ...]) -> Any:
        if self.count is None:
            return accumulator[-1] if accumulator else None
        return list(accumulator)


class Collect(Aggregate):
    """``COLLECT_LIST`` (every value, NULLs included; tables too) and ``COLLECT_SET``
    (distinct values, NULL included once; streams only), up to ``limit`` entries
    (ksqlDB's ``ksql.functions.collect_list.limit``/``collect_set.limit``; unlimited by
    default)."""

    def __init__(self, name: str, kind: SqlType, limit: int | None = None) -> None:
        self.name = name
        self.result_type = array(kind)
        self.distinct = name == "COLLECT_SET"
        self.table_capable = not self.distinct
        self.limit = limit

    def init(self) -> tuple[Any, ...]:
        return ()

    def aggregate(self, accumulator: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
        if self.limit is not None and len(accumulator) >= self.limit:
            return accumulator
        if self.distinct and value in accumulator:
            return accumulator
        return (*accumulator, value)

    def undo(self, accumulator: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
        if self.distinct:
            refused: tuple[Any, ...] = super().undo(accumulator, value)
            return refused
        # As ksqlDB: the last equal entry goes (the one inserted is not tracked); a value
        # that is absent was never added (the limit was reached).
        for index in range(len(accumulator) - 1, -1, -1):
            if accumulator[index] == value:
                return accumulator[:index] + accumulator[index + 1 :]
        return accumulator

    def merge(self, left: tuple[Any, ...], right: tuple[Any, ...]) -> tuple[Any, ...]:
        result = left
        for value in right:
            result = self.aggregate(result, value)
        return result

    def result(self, accumulator: tuple[Any, ...]) -> list[Any]:
        return list(accumulator)


class TopK(Aggregate):
    """``TOPK(x, k)`` / ``TOPKDISTINCT(x, k)``: the k largest non-NULL values, largest
    first."""

    table_capable = False

    def __init__(self, name: str, kind: SqlType, k: int) -> None:
        self.name, self.k = name, k
        self.distinct = name == "TOPKDISTINCT"
        self.result_type = array(kind)

    def init(self) -> tuple[Any, ...]:
        return ()

    def aggregate(self, accumulator: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
        if value is None or (self.distinct and value in accumulator):
            return accumulator
        return tuple(sorted((*accumulator, value), reverse=True)[: self.k])

    def merge(self, left: tuple[Any, ...], right: tuple[Any, ...]) -> tuple[Any, ...]:
        result = left
        for value in right:
            result = self.aggregate(result, value)
        return result

    def result(self, accumulator: tuple[Any, ...]) -> list[Any]:
        return list(accumulator)


class Histogram(Aggregate):
    """``HISTOGRAM(x)``: how often each non-NULL string occurs (up to 1000 distinct)."""

    name, result_type = "HISTOGRAM", map_of(STRING, BIGINT)
    LIMIT = 1000

    def init(self) -> tuple[tuple[str, int], ...]:
        return ()

    def _add(self, accumulator: tuple[tuple[str, int], ...], value: Any, step: int) -> Any:
        if value is None:
            return accumulator
        counts = dict(accumulator)
        if value not in counts and (step < 0 or len(counts) >= self.LIMIT):
            return accumulator
        counts[value] = counts.get(value, 0) + step
        return tuple((key, count) for key, count in counts.items() if count > 0)

    def aggregate(self, accumulator: Any, value: Any) -> Any:
        return self._add(accumulator, value, 1)

    def undo(self, accumulator: Any, value: Any) -> Any:
        return self._add(accumulator, value, -1)

    def merge(self, left: Any, right: Any) -> Any:
        result = left
        for key, count in right:
            for _ in range(count):
                result = self._add(result, key, 1)
        return result

    def result(self, accumulator: Any) -> dict[str, int]:
        return dict(accumulator)


Factory = Callable[[Sequence[SqlType | None], Sequence[Any], bool], Aggregate]
"""Makes an aggregate from the argument types, the constant arguments after the first, and
whether the call is ``COUNT(*)``; ``ValueError`` with the reason when they do not fit."""


@dataclass(frozen=True, slots=True)
class AggregateFunction:
    """An aggregate function: name, signatures (for docs and messages) and its factory."""

    name: str
    signatures: tuple[str, ...]
    description: str
    factory: Factory
    user_defined: bool = False
    category: str = "Aggregate"

    def create(
        self, argument_types: Sequence[SqlType | None], constants: Sequence[Any], star: bool
    ) -> Aggregate:
        """The aggregate for a call (``ValueError`` if the arguments do not fit)."""
        return self.factory(argument_types, constants, star)


def _column(types: Sequence[SqlType | None], numeric: bool = False) -> SqlType:
    if not types or types[0] is None:
        raise ValueError("it needs a column argument")
    if numeric and not is_numeric(types[0]):
        raise ValueError(f"it needs a numeric argument, not {types[0]}")
    return types[0]


def _by_offset(name: str) -> Factory:
    def make(types: Sequence[SqlType | None], constants: Sequence[Any], _star: bool) -> Aggregate:
        kind = _column(types)
        count: int | None = None
        ignore_nulls = True
        for constant in constants:
            if isinstance(constant, bool):
                ignore_nulls = constant
            elif isinstance(constant, int) and count is None:
                if constant < 1:
                    raise ValueError("the number of values must be positive")
                count = constant
            else:
                raise ValueError("the extra arguments are a count and a boolean ignoreNulls")
        return ByOffset(name, kind, count, ignore_nulls)

    return make


def _top(name: str) -> Factory:
    def make(types: Sequence[SqlType | None], constants: Sequence[Any], _star: bool) -> Aggregate:
        kind = _column(types)
        if len(constants) != 1 or not isinstance(constants[0], int) or constants[0] < 1:
            raise ValueError("it takes a positive constant k")
        return TopK(name, kind, constants[0])

    return make


def _no_constants(make: Callable[[SqlType], Aggregate]) -> Factory:
    def factory(
        types: Sequence[SqlType | None], constants: Sequence[Any], _star: bool
    ) -> Aggregate:
        if constants or len(types) != 1:
            raise ValueError("it takes one argument")
        return make(_column(types))

    return factory


def _count(types: Sequence[SqlType | None], constants: Sequence[Any], star: bool) -> Aggregate:
    if not star and len(types) != 1:
        raise ValueError("it takes one argument or *")
    return Count(star)


def _histogram(kind: SqlType) -> Aggregate:
    if kind.base is not BaseType.STRING:
        raise ValueError("it counts STRING values")
    return Histogram()


def _numeric(make: Callable[[SqlType], Aggregate]) -> Callable[[SqlType], Aggregate]:
    def checked(kind: SqlType) -> Aggregate:
        if not is_numeric(kind):
            raise ValueError(f"it needs a numeric argument, not {kind}")
        return make(kind)

    return checked


AGGREGATES: tuple[AggregateFunction, ...] = (
    AggregateFunction(
        "COUNT", ("COUNT(*)", "COUNT(ANY)"), "Rows, or rows where the argument is not NULL.", _count
    ),
    AggregateFunction(
        "COUNT_DISTINCT",
        ("COUNT_DISTINCT(ANY)",),
        "Distinct non-NULL values (exact).",
        _no_constants(lambda _k: CountDistinct()),
    ),
    AggregateFunction(
        "SUM",
        ("SUM(NUMERIC)",),
        "The sum of non-NULL values (0 if none).",
        _no_constants(_numeric(Sum)),
    ),
    AggregateFunction(
        "AVG",
        ("AVG(NUMERIC)",),
        "The average of non-NULL values as a DOUBLE (0.0 if none).",
        _no_constants(_numeric(Avg)),
    ),
    AggregateFunction(
        "MIN",
        ("MIN(ANY)",),
        "The smallest non-NULL value.",
        _no_constants(lambda k: Extreme("MIN", k)),
    ),
    AggregateFunction(
        "MAX",
        ("MAX(ANY)",),
        "The largest non-NULL value.",
        _no_constants(lambda k: Extreme("MAX", k)),
    ),
    AggregateFunction(
        "LATEST_BY_OFFSET",
        ("LATEST_BY_OFFSET(ANY[, ignoreNulls])", "LATEST_BY_OFFSET(ANY, n[, ignoreNulls])"),
        "The value (or n values) with the largest offsets.",
        _by_offset("LATEST_BY_OFFSET"),
    ),
    AggregateFunction(
        "EARLIEST_BY_OFFSET",
        ("EARLIEST_BY_OFFSET(ANY[, ignoreNulls])", "EARLIEST_BY_OFFSET(ANY, n[, ignoreNulls])"),
        "The value (or n values) with the smallest offsets.",
        _by_offset("EARLIEST_BY_OFFSET"),
    ),
    AggregateFunction(
        "COLLECT_LIST",
        ("COLLECT_LIST(ANY)",),
        "Every value (NULLs included) as an ARRAY.",
        _no_constants(lambda k: Collect("COLLECT_LIST", k)),
    ),
    AggregateFunction(
        "COLLECT_SET",
        ("COLLECT_SET(ANY)",),
        "The distinct values (NULL included) as an ARRAY.",
        _no_constants(lambda k: Collect("COLLECT_SET", k)),
    ),
    AggregateFunction(
        "TOPK", ("TOPK(ANY, k)",), "The k largest values, largest first.", _top("TOPK")
    ),
    AggregateFunction(
        "TOPKDISTINCT",
        ("TOPKDISTINCT(ANY, k)",),
        "The k largest distinct values.",
        _top("TOPKDISTINCT"),
    ),
    AggregateFunction(
        "HISTOGRAM",
        ("HISTOGRAM(STRING)",),
        "How often each string occurs, as a MAP.",
        _no_constants(_histogram),
    ),
)
