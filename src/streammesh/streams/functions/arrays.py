"""ksqlDB's array and map functions."""

from __future__ import annotations

from typing import Any

from streammesh.streams.evaluation.values import sql_text
from streammesh.streams.functions.signatures import (
    ANY,
    ARRAY,
    MAP,
    ArgumentTypes,
    I,
    Overload,
    S,
    ScalarFunction,
    same_as,
    scalar,
)
from streammesh.streams.types import (
    BOOLEAN,
    INTEGER,
    STRING,
    ArrayType,
    MapType,
    SqlType,
    array,
    map_of,
)


def _element(types: ArgumentTypes) -> SqlType:
    kind = types[0]
    if not isinstance(kind, ArrayType):
        raise ValueError("the first argument must be an ARRAY")
    return kind.element


def _distinct(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


def _sort(values: list[Any], direction: str = "ASC") -> list[Any] | None:
    present = sorted(value for value in values if value is not None)
    nulls = [value for value in values if value is None]
    if direction.upper() == "DESC":
        return present[::-1] + nulls
    if direction.upper() != "ASC":
        return None
    return present + nulls


def _join(values: list[Any], delimiter: str = ",") -> str:
    return delimiter.join("null" if value is None else sql_text(value) for value in values)


def _slice(values: list[Any], start: int, end: int) -> list[Any] | None:
    if start < 1 or end < start - 1:
        return None
    return values[start - 1 : end]


def _as_map(keys: list[Any], values: list[Any]) -> dict[Any, Any]:
    return dict(zip(keys, values, strict=False))


def _map_types(types: ArgumentTypes) -> MapType:
    kind = types[0]
    if not isinstance(kind, MapType):
        raise ValueError("the first argument must be a MAP")
    return kind


def _contains_type(types: ArgumentTypes) -> SqlType:
    element = _element(types)
    given = types[1]
    if given is not None and given != element:
        from streammesh.streams.evaluation.rules import is_numeric

        if not (is_numeric(given) and is_numeric(element)):
            raise ValueError(f"the value to look for must be {element} like the array's elements")
    return BOOLEAN


def _as_map_type(types: ArgumentTypes) -> SqlType:
    keys, values = types
    if not isinstance(keys, ArrayType) or not isinstance(values, ArrayType):
        raise ValueError("both arguments must be ARRAYs")
    return map_of(keys.element, values.element)


def _two_arrays(function: Any) -> Overload:
    return Overload((ARRAY, ARRAY), same_as(0), function, unify=True)


ARRAYS: tuple[ScalarFunction, ...] = (
    scalar(
        "ARRAY_LENGTH", "Collections", "The number of elements.", Overload((ARRAY,), INTEGER, len)
    ),
    scalar(
        "ARRAY_CONTAINS",
        "Collections",
        "Whether the array has the value (false for a NULL array).",
        Overload(
            (ARRAY, ANY),
            _contains_type,
            lambda values, value: values is not None and value in values,
            null_safe=True,
        ),
    ),
    scalar(
        "ARRAY_DISTINCT",
        "Collections",
        "The distinct elements, in order of first appearance (NULL included).",
        Overload((ARRAY,), same_as(0), _distinct),
        examples=("ARRAY_DISTINCT(ARRAY[1, 1, 2, 3, 1, 2]) => [1, 2, 3]",),
    ),
    scalar(
        "ARRAY_MAX",
        "Collections",
        "The largest non-NULL element; NULL if none.",
        Overload(
            (ARRAY,),
            _element,
            lambda values: max((v for v in values if v is not None), default=None),
        ),
    ),
    scalar(
        "ARRAY_MIN",
        "Collections",
        "The smallest non-NULL element; NULL if none.",
        Overload(
            (ARRAY,),
            _element,
            lambda values: min((v for v in values if v is not None), default=None),
        ),
    ),
    scalar(
        "ARRAY_JOIN",
        "Collections",
        "The elements written out, separated by a delimiter (default ',').",
        Overload((ARRAY,), STRING, _join),
        Overload((ARRAY, S), STRING, _join),
    ),
    scalar(
        "ARRAY_SORT",
        "Collections",
        "The elements sorted ('ASC' default, or 'DESC'); NULLs last.",
        Overload((ARRAY,), same_as(0), _sort),
        Overload((ARRAY, S), same_as(0), _sort),
        examples=("ARRAY_SORT(ARRAY['Foo', 'Bar', NULL, 'baz']) => ['Bar', 'Foo', 'baz', NULL]",),
    ),
    scalar(
        "ARRAY_CONCAT",
        "Collections",
        "Both arrays one after the other (a NULL one counts as empty; both NULL gives NULL).",
        Overload(
            (ARRAY, ARRAY),
            same_as(0),
            lambda a, b: None if a is None and b is None else (a or []) + (b or []),
            null_safe=True,
            unify=True,
        ),
    ),
    scalar(
        "ARRAY_EXCEPT",
        "Collections",
        "The distinct elements of the first array not in the second.",
        _two_arrays(lambda a, b: [v for v in _distinct(a) if v not in b]),
    ),
    scalar(
        "ARRAY_INTERSECT",
        "Collections",
        "The distinct elements in both arrays.",
        _two_arrays(lambda a, b: [v for v in _distinct(a) if v in b]),
    ),
    scalar(
        "ARRAY_UNION",
        "Collections",
        "The distinct elements of both arrays.",
        _two_arrays(lambda a, b: _distinct(a + b)),
    ),
    scalar(
        "ARRAY_REMOVE",
        "Collections",
        "The array without the elements equal to a value.",
        Overload(
            (ARRAY, ANY),
            same_as(0),
            lambda values, value: None if values is None else [v for v in values if v != value],
            null_safe=True,
        ),
    ),
    scalar(
        "SLICE",
        "Collections",
        "The elements from one 1-based position to another, both included.",
        Overload((ARRAY, I, I), same_as(0), _slice),
    ),
    scalar(
        "AS_MAP",
        "Collections",
        "A map from an array of keys and an array of values.",
        Overload((ARRAY, ARRAY), _as_map_type, _as_map),
    ),
    scalar(
        "MAP_KEYS",
        "Collections",
        "The keys of a map.",
        Overload((MAP,), lambda types: array(_map_types(types).key), lambda m: list(m)),
    ),
    scalar(
        "MAP_VALUES",
        "Collections",
        "The values of a map.",
        Overload((MAP,), lambda types: array(_map_types(types).value), lambda m: list(m.values())),
    ),
    scalar(
        "MAP_UNION",
        "Collections",
        "The entries of both maps, the second's winning (NULL maps are skipped).",
        Overload(
            (MAP, MAP),
            same_as(0),
            lambda a, b: None if a is None and b is None else {**(a or {}), **(b or {})},
            null_safe=True,
            unify=True,
        ),
    ),
)
