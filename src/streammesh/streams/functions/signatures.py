"""Overloads of scalar functions: which argument types each accepts, what it returns.

A parameter is a :class:`Param`: a label for messages and docs, and a function saying which
type the implementation receives for an argument of a given type (the argument is widened to
it), or ``None`` if the parameter refuses it. A ``NULL`` literal fits any parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streammesh.streams.evaluation.rules import is_numeric, widens_to
from streammesh.streams.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    ArrayType,
    BaseType,
    MapType,
    SqlType,
    StructType,
    type_text,
)

ArgumentTypes = tuple[SqlType | None, ...]
"""Argument types after widening; ``None`` for a ``NULL`` literal."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: ``label`` for messages, ``accepts`` maps an argument type to the type
    the implementation receives (``None``: refused)."""

    label: str
    accepts: Callable[[SqlType], SqlType | None]


def of(kind: SqlType) -> Param:
    """A parameter of type ``kind``; narrower numbers are widened to it."""
    return Param(type_text(kind), lambda given: kind if widens_to(given, kind) else None)


def exactly(kind: SqlType) -> Param:
    """A parameter of type ``kind`` and nothing else."""
    return Param(type_text(kind), lambda given: kind if given == kind else None)


def family(label: str, *bases: BaseType) -> Param:
    """A parameter accepting any type of these families, unchanged."""
    allowed = frozenset(bases)
    return Param(label, lambda given: given if given.base in allowed else None)


ANY = Param("ANY", lambda given: given)
NUMBER = Param("NUMERIC", lambda given: given if is_numeric(given) else None)
ARRAY = family("ARRAY", BaseType.ARRAY)
MAP = family("MAP", BaseType.MAP)
PRIMITIVE = Param(
    "PRIMITIVE",
    lambda given: None if isinstance(given, ArrayType | MapType | StructType) else given,
)
S, I, L, D, B = of(STRING), of(INTEGER), of(BIGINT), of(DOUBLE), of(BOOLEAN)  # noqa: E741
BY, DT, TM, TS = of(BYTES), of(DATE), of(TIME), of(TIMESTAMP)

Returns = SqlType | Callable[[ArgumentTypes], SqlType]
"""A fixed return type, or a function of the argument types (it raises ``ValueError`` with
the reason when the types do not fit together, e.g. ``ARRAY_CONTAINS`` of a wrong element)."""


@dataclass(frozen=True, slots=True)
class Overload:
    """One signature of a function and its implementation.

    Attributes:
        params: The fixed parameters.
        returns: The result type (see :data:`Returns`).
        implementation: Called with the argument values (widened to the parameter types).
        variadic: A parameter repeated after the fixed ones, if any.
        null_safe: ``False`` (ksqlDB's usual rule): a NULL argument gives NULL without calling
            the implementation; ``True``: the implementation sees ``None``.
        min_variadic: How many variadic arguments are needed at least.
        unify: Every argument is widened to the result type (COALESCE, GREATEST, ...).
    """

    params: tuple[Param, ...]
    returns: Returns
    implementation: Callable[..., Any]
    variadic: Param | None = None
    null_safe: bool = False
    min_variadic: int = 0
    unify: bool = False

    def signature(self, name: str) -> str:
        """``NAME(STRING, INTEGER, ...)`` for messages and docs."""
        labels = [param.label for param in self.params]
        if self.variadic is not None:
            labels.append(f"{self.variadic.label}...")
        return f"{name}({', '.join(labels)})"

    def bind(self, given: Sequence[SqlType | None]) -> ArgumentTypes | None:
        """The argument types the implementation receives, or ``None`` if it refuses."""
        fixed = len(self.params)
        if len(given) < fixed or (self.variadic is None and len(given) != fixed):
            return None
        if len(given) - fixed < self.min_variadic:
            return None
        targets: list[SqlType | None] = []
        for index, kind in enumerate(given):
            param = self.params[index] if index < fixed else self.variadic
            assert param is not None
            if kind is None:
                targets.append(None)
                continue
            target = param.accepts(kind)
            if target is None:
                return None
            targets.append(target)
        return tuple(targets)

    def result_type(self, targets: ArgumentTypes) -> SqlType:
        """The result type for these (bound) argument types; ``ValueError`` if they clash."""
        return self.returns if isinstance(self.returns, SqlType) else self.returns(targets)


@dataclass(frozen=True, slots=True)
class Binding:
    """A call resolved to one overload: its argument and result types and implementation."""

    name: str
    argument_types: ArgumentTypes
    returns: SqlType
    implementation: Callable[..., Any]
    null_safe: bool
    deterministic: bool = True
    user_defined: bool = False


@dataclass(frozen=True, slots=True)
class ScalarFunction:
    """A scalar function: a name, its overloads (tried in order) and what it does."""

    name: str
    overloads: tuple[Overload, ...]
    description: str
    deterministic: bool = True
    user_defined: bool = False
    category: str = "Other"
    examples: tuple[str, ...] = field(default=())

    @property
    def signatures(self) -> tuple[str, ...]:
        """Each overload as ``NAME(TYPES...)``."""
        return tuple(overload.signature(self.name) for overload in self.overloads)


def scalar(
    name: str,
    category: str,
    description: str,
    *overloads: Overload,
    deterministic: bool = True,
    examples: tuple[str, ...] = (),
) -> ScalarFunction:
    """A built-in scalar function."""
    return ScalarFunction(name, overloads, description, deterministic, False, category, examples)


def same_as(index: int) -> Callable[[ArgumentTypes], SqlType]:
    """A return type equal to argument ``index``'s (``ValueError`` if that is NULL)."""

    def returns(types: ArgumentTypes) -> SqlType:
        kind = types[index]
        if kind is None:
            raise ValueError(f"argument {index + 1} is NULL, so the result has no type")
        return kind

    return returns
