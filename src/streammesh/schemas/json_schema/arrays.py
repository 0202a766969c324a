"""Compatibility of array schemas: item schemas (lists and tuples), sizes, uniqueness."""

from __future__ import annotations

from collections.abc import Callable

from streammesh.schemas.base import Incompatibility
from streammesh.schemas.json_schema.bounds import size_bounds
from streammesh.schemas.json_schema.conjunction import Conjunction
from streammesh.schemas.json_schema.nodes import Node
from streammesh.schemas.json_schema.subschemas import pointer

Check = Callable[[Node, Conjunction, str], list[Incompatibility]]


def array_rules(
    reader: Node, writer: Conjunction, path: str, check: Check
) -> list[Incompatibility]:
    """Every array-level incompatibility between ``reader`` and ``writer``."""
    problems = size_bounds(reader, writer, "array", path)
    if reader.get("uniqueItems") is True and True not in writer.values("uniqueItems"):
        problems.append(
            Incompatibility(
                path, "UNIQUE_ITEMS_ADDED", "the reader requires unique items, the writer does not"
            )
        )
    longest = max((len(_prefix(node)) for node in (reader, *writer.nodes)), default=0)
    for index in range(longest):
        read = _item(reader, index)
        written = Conjunction.of(*(i for node in writer.nodes if (i := _item(node, index))))
        if read is not None and not written.never():
            problems.extend(check(read, written, pointer(path, "prefixItems", index)))
    read = _rest(reader)
    written = Conjunction.of(*(i for node in writer.nodes if (i := _rest(node))))
    if read is None or written.never():
        return problems
    at = pointer(path, "items")
    found = check(read, written, at)
    if found and read.contents is False:
        return [
            *problems,
            Incompatibility(
                at,
                "ADDITIONAL_ITEMS_REMOVED",
                f"the reader refuses items past position {len(_prefix(reader))}, the writer "
                "allows them",
            ),
        ]
    return problems + found


def _prefix(node: Node) -> list[object]:
    """The tuple-position item schemas (2020-12 ``prefixItems``, draft 7 ``items`` list)."""
    for keyword in ("prefixItems", "items"):
        value = node.get(keyword)
        if isinstance(value, list):
            return value
    return []


def _item(node: Node, index: int) -> Node | None:
    prefix = _prefix(node)
    if index < len(prefix):
        return node.child(prefix[index])
    return _rest(node)


def _rest(node: Node) -> Node | None:
    """The schema for items past the tuple positions, ``None`` when unconstrained."""
    if node.contents is False:
        return node
    items = node.get("items")
    value = node.get("additionalItems") if isinstance(items, list) else items
    if value is None or value is True:
        value = node.get("unevaluatedItems")
    if value is None or value is True:
        return None
    return node.child(value)
