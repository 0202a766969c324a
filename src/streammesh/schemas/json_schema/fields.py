"""The fields of a JSON Schema, for the catalog's search and governance's doc checks."""

from __future__ import annotations

import json

from streammesh.schemas.base import SchemaField
from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.typesets import ALL_TYPES, local_types, type_label


def list_fields(root: Node) -> tuple[SchemaField, ...]:
    """Every property under ``root``, depth first, in declaration order.

    Properties of ``allOf``/``anyOf``/``oneOf`` branches and of ``$ref`` targets count as
    the object's own; a path seen twice is listed once (first wins).
    """
    found: dict[str, SchemaField] = {}
    _object_fields(root, "", found, frozenset())
    return tuple(found.values())


def _object_fields(
    node: Node, prefix: str, found: dict[str, SchemaField], active: frozenset[int]
) -> None:
    parts = _parts(node)
    if any(id(part.contents) in active for part in parts):
        return  # a recursive schema: its fields were listed one level up
    active = active | {id(part.contents) for part in parts}
    for part in parts:
        properties = part.get("properties")
        if isinstance(properties, dict):
            listed = part.get("required")
            required = set(listed) if isinstance(listed, list) else set()
            for name, subschema in properties.items():
                _field(part.child(subschema), f"{prefix}{name}", found, active, name in required)
        additional = part.get("additionalProperties")
        if isinstance(additional, dict) and additional:
            _nested(part.child(additional), f"{prefix.rstrip('.')}{{}}.", found, active)


def _field(
    node: Node, path: str, found: dict[str, SchemaField], active: frozenset[int], required: bool
) -> None:
    if path not in found:
        default = node.get("default")
        types = local_types(node)
        # A listed property whose own type admits null may still be sent empty.
        nullable = "null" in types and types != ALL_TYPES
        found[path] = SchemaField(
            path=path,
            type=type_name(node),
            doc=_doc(node),
            default=None if default is None else json.dumps(default),
            required=required and not nullable,
        )
    _nested(node, f"{path}.", found, active)


def _nested(node: Node, prefix: str, found: dict[str, SchemaField], active: frozenset[int]) -> None:
    """Fields inside a field's value: its properties, its array items' ones."""
    _object_fields(node, prefix, found, active)
    for part in _parts(node):
        items = part.get("items")
        if isinstance(items, dict):
            _nested(part.child(items), f"{prefix.rstrip('.')}[].", found, active)


def _parts(node: Node) -> list[Node]:
    """``node`` and what it is made of: ``$ref`` targets and combinator branches, nested."""
    parts: list[Node] = []
    pending = [node]
    seen: set[int] = set()
    while pending:
        part = pending.pop(0)
        if id(part.contents) in seen:
            continue
        seen.add(id(part.contents))
        parts.append(part)
        target = part.follow()
        if target is not None:
            pending.append(target)
        for keyword in ("allOf", "anyOf", "oneOf"):
            pending.extend(part.child(branch) for branch in part.get(keyword) or ())
    return parts


def type_name(node: Node, depth: int = 0) -> str:
    """A short type description: ``string``, ``integer|null``, ``array<string>``, ``Money``."""
    types = local_types(node)
    if types >= ALL_TYPES and depth < 8:
        target = node.follow()
        if target is not None:
            title = target.get("title")
            return title if isinstance(title, str) else type_name(target, depth + 1)
        for keyword in ("oneOf", "anyOf", "allOf"):
            branches = node.get(keyword)
            if branches:
                names = [type_name(node.child(b), depth + 1) for b in branches]
                return ("&" if keyword == "allOf" else "|").join(names)
    label = type_label(types)
    if label == "array":
        items = node.get("items")
        if isinstance(items, dict) and depth < 8:
            return f"array<{type_name(node.child(items), depth + 1)}>"
    return label


def _doc(node: Node) -> str | None:
    for part in _parts(node):
        description = part.get("description")
        if isinstance(description, str) and description:
            return description
    return None
