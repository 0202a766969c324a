"""``@udf`` and ``@udaf``: Python functions usable from SQL and the DSL.

Argument and result types come from the annotations (``int`` is BIGINT, ``float`` DOUBLE,
``str`` STRING, ``bool`` BOOLEAN, ``bytes`` BYTES, ``date``/``time``/``datetime`` DATE/TIME/
TIMESTAMP, ``list[T]`` ARRAY, ``dict[str, T]`` MAP) or are given explicitly. A parameter
annotated ``X | None`` receives NULLs; otherwise a NULL argument makes the result NULL
without calling the function.

Example:
    >>> from streammesh.streams.functions import udf
    >>> @udf(name="SHOUT")
    ... def shout(text: str) -> str:
    ...     return text.upper() + "!"
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Any, TypeVar

from streammesh.streams.functions.aggregates import Aggregate, AggregateFunction
from streammesh.streams.functions.errors import InvalidFunction
from streammesh.streams.functions.registry import (
    FUNCTION_ATTRIBUTE,
    FunctionRegistry,
    default_registry,
)
from streammesh.streams.functions.signatures import Overload, ScalarFunction, of
from streammesh.streams.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DATE,
    DOUBLE,
    STRING,
    TIME,
    TIMESTAMP,
    SqlType,
    array,
    map_of,
)

F = TypeVar("F", bound=Callable[..., Any])

_SIMPLE: dict[object, SqlType] = {
    int: BIGINT,
    float: DOUBLE,
    str: STRING,
    bool: BOOLEAN,
    bytes: BYTES,
    date: DATE,
    time: TIME,
    datetime: TIMESTAMP,
}


def sql_type_of(annotation: object) -> tuple[SqlType, bool]:
    """The SQL type of a Python annotation, and whether it allows ``None``.

    Raises:
        ValueError: an annotation with no SQL type.
    """
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in {typing.Union, types.UnionType}:
        members = [item for item in typing.get_args(annotation) if item is not type(None)]
        nullable = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            raise ValueError(f"{annotation} is a union of several types")
        annotation, origin = members[0], typing.get_origin(members[0])
    if annotation in _SIMPLE:
        return _SIMPLE[annotation], nullable
    if origin is list:
        (element,) = typing.get_args(annotation)
        return array(sql_type_of(element)[0]), nullable
    if origin is dict:
        key, value = typing.get_args(annotation)
        return map_of(sql_type_of(key)[0], sql_type_of(value)[0]), nullable
    raise ValueError(f"{annotation!r} has no SQL type; pass the types explicitly")


def _scalar_definition(
    function: Callable[..., Any],
    name: str,
    returns: SqlType | None,
    parameters: Sequence[SqlType] | None,
    description: str | None,
    deterministic: bool,
) -> ScalarFunction:
    try:
        hints = typing.get_type_hints(function)
    except Exception as exc:  # annotations are user code; any failure is a bad definition
        raise InvalidFunction(name, f"its annotations cannot be read: {exc}") from exc
    signature = inspect.signature(function)
    params = [
        p
        for p in signature.parameters.values()
        if p.kind in {p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD}
    ]
    nullable = False
    try:
        if parameters is None:
            kinds = []
            for param in params:
                if param.name not in hints:
                    raise ValueError(f"parameter {param.name!r} has no annotation")
                kind, optional = sql_type_of(hints[param.name])
                kinds.append(kind)
                nullable = nullable or optional
        else:
            kinds = list(parameters)
            if len(kinds) != len(params):
                raise ValueError(f"{len(kinds)} parameter types for {len(params)} parameters")
        if returns is None:
            if "return" not in hints:
                raise ValueError("the result has no annotation; pass returns=")
            returns = sql_type_of(hints["return"])[0]
    except ValueError as exc:
        raise InvalidFunction(name, str(exc)) from None
    overload = Overload(tuple(of(kind) for kind in kinds), returns, function, null_safe=nullable)
    text = description or inspect.getdoc(function) or ""
    return ScalarFunction(
        name, (overload,), text.split("\n")[0], deterministic, True, "User-defined"
    )


def udf(
    function: F | None = None,
    *,
    name: str | None = None,
    returns: SqlType | None = None,
    parameters: Sequence[SqlType] | None = None,
    description: str | None = None,
    deterministic: bool = True,
    registry: FunctionRegistry | None = None,
) -> Any:
    """Register a Python function as a scalar SQL function (``@udf`` or ``@udf(...)``).

    Args:
        function: The function (when used as ``@udf`` without arguments).
        name: The SQL name (default: the function's name, upper-cased).
        returns: The result type (default: from the return annotation).
        parameters: The parameter types (default: from the annotations).
        description: For ``DESCRIBE FUNCTION`` and docs (default: the docstring's first line).
        deterministic: False for functions like RANDOM.
        registry: Where to register (default: :func:`default_registry`).

    Raises:
        InvalidFunction: types that cannot be worked out, or a built-in's name.
    """

    def decorate(target: F) -> F:
        sql_name = (name or target.__name__).upper()
        definition = _scalar_definition(
            target, sql_name, returns, parameters, description, deterministic
        )
        (registry or default_registry()).register(definition)
        setattr(target, FUNCTION_ATTRIBUTE, definition)
        return target

    return decorate(function) if function is not None else decorate


A = TypeVar("A", bound=type[Aggregate])


def udaf(
    cls: A | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    registry: FunctionRegistry | None = None,
) -> Any:
    """Register an :class:`~streammesh.streams.functions.aggregates.Aggregate` subclass as
    an aggregate SQL function. Its constructor takes the argument's SQL type; it sets
    ``result_type`` (and ``table_capable = False`` if it cannot ``undo``).

    Raises:
        InvalidFunction: not an Aggregate subclass, or a built-in's name.
    """

    def decorate(target: A) -> A:
        sql_name = (name or target.__name__).upper()
        if not (isinstance(target, type) and issubclass(target, Aggregate)):
            raise InvalidFunction(sql_name, "@udaf decorates a subclass of Aggregate")

        def factory(
            types_: Sequence[SqlType | None], constants: Sequence[Any], _star: bool
        ) -> Aggregate:
            if len(types_) != 1 or types_[0] is None or constants:
                raise ValueError("it takes one column argument")
            made = target(types_[0])  # type: ignore[call-arg]
            made.name = sql_name
            return made

        text = description or inspect.getdoc(target) or ""
        definition = AggregateFunction(
            sql_name, (f"{sql_name}(ANY)",), text.split("\n")[0], factory, True, "User-defined"
        )
        (registry or default_registry()).register(definition)
        setattr(target, FUNCTION_ATTRIBUTE, definition)
        return target

    return decorate(cls) if cls is not None else decorate
