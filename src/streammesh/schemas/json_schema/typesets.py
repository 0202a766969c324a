"""The JSON types a schema admits, and the JSON type of a Python value."""

from __future__ import annotations

from typing import Any

from streammesh.schemas.json_schema.nodes import Node

ALL_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})


def json_type(value: object) -> str:
    """The JSON type name of a decoded value (``integer`` for whole numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def widen(types: frozenset[str]) -> frozenset[str]:
    """``types`` with ``integer`` added where ``number`` is (every integer is a number)."""
    return types | {"integer"} if "number" in types else types


def local_types(node: Node) -> frozenset[str]:
    """The types this node's own ``type``/``enum``/``const`` keywords admit (no combinators,
    no ``$ref``), widened; :data:`ALL_TYPES` when they say nothing."""
    if node.contents is False:
        return frozenset()
    declared: Any = node.get("type")
    if isinstance(declared, str):
        types = widen(frozenset({declared}))
    elif isinstance(declared, list):
        types = widen(frozenset(t for t in declared if isinstance(t, str)))
    else:
        types = ALL_TYPES
    values = enum_values(node)
    if values is not None:
        types = types & widen(frozenset(json_type(value) for value in values))
    return types


def enum_values(node: Node) -> list[Any] | None:
    """The values ``enum``/``const`` allow (both, intersected), ``None`` without either."""
    values: list[Any] | None = None
    enum = node.get("enum")
    if isinstance(enum, list):
        values = list(enum)
    if (
        isinstance(node.contents, dict)
        and "const" in node.contents
        and node.dialect.knows("const")  # draft-04 has no const
        and node.get("$ref") is None
    ):
        const = node.contents["const"]
        values = [const] if values is None or const in values else []
    return values


def type_label(types: frozenset[str]) -> str:
    """A readable name for a type set (``number`` hides its implied ``integer``)."""
    if types >= ALL_TYPES:
        return "any"
    shown = sorted(types - {"integer"} if "number" in types else types)
    return "|".join(shown) if shown else "nothing"
