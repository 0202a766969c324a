"""Compatibility of array schemas: item schemas (lists and tuples), sizes, uniqueness, contains.

Tuples follow Confluent's content models for items: the positions past a schema's tuple are
*open* when any item may follow (no ``additionalItems``, or 2020-12 ``items``), *closed* when
none may (``false``), *partially open* when a schema constrains them. A position the reader
adds is safe when the writer's tail is closed, or its tail schema is one the reader's position
accepts; a position the reader drops is safe when the reader's tail is open or accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    problems.extend(_positions(reader, writer, path, check))
    problems.extend(_tail(reader, writer, path, check))
    problems.extend(_contains(reader, writer, path, check))
    return problems


def _positions(reader: Node, writer: Conjunction, path: str, check: Check) -> list[Incompatibility]:
    """Tuple positions, compared by Confluent's item content-model rules."""
    read_prefix = _prefix(reader)
    written_prefixes = [_prefix(node) for node in writer.nodes]
    longest = max((len(p) for p in (read_prefix, *written_prefixes)), default=0)
    tail = Conjunction.of(*(t for node in writer.nodes if (t := _rest(node))))
    problems = []
    for index in range(longest):
        at = pointer(path, reader.dialect.tuple_keyword, index)
        read = _item(reader, index)
        written_here = any(index < len(p) for p in written_prefixes)
        written = Conjunction.of(*(i for node in writer.nodes if (i := _item(node, index))))
        if read is None or written.never():
            continue  # the reader takes anything here, or the writer writes nothing here
        found = check(read, written, at)
        if not found:
            continue
        if index < len(read_prefix) and not written_here:
            problems.append(_added(at, index, tail, found))
        elif index >= len(read_prefix) and written_here:
            problems.append(_removed(at, index, read, found))
        else:
            problems.extend(found)
    return problems


def _added(at: str, index: int, tail: Conjunction, found: list[Incompatibility]) -> Incompatibility:
    if tail.nodes:
        return Incompatibility(
            at,
            "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            f"the reader adds tuple position {index}; the writer's schema for items past its "
            f"tuple allows values the reader refuses there: {found[0].reason}",
        )
    return Incompatibility(
        at,
        "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
        f"the reader adds tuple position {index}; the writer's tuple is open (any item may "
        f"follow it), so written documents may hold values the reader refuses: {found[0].reason}",
    )


def _removed(at: str, index: int, read: Node, found: list[Incompatibility]) -> Incompatibility:
    if read.contents is False:
        return Incompatibility(
            at,
            "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
            f"the writer writes tuple position {index}, which the reader no longer declares "
            "and its closed tuple (no additional items) refuses",
        )
    return Incompatibility(
        at,
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        f"the writer writes tuple position {index}, which the reader no longer declares and "
        f"its schema for additional items does not accept: {found[0].reason}",
    )


def _tail(reader: Node, writer: Conjunction, path: str, check: Check) -> list[Incompatibility]:
    """Items past every tuple: ``additionalItems`` (or ``items``) against the writer's."""
    read = _rest(reader)
    written = Conjunction.of(*(i for node in writer.nodes if (i := _rest(node))))
    if read is None or written.never():
        return []
    tuple_tail = bool(_prefix(reader))
    # Before 2020-12 a tuple is an "items" array and its tail "additionalItems".
    spelled = (
        "additionalItems" if tuple_tail and reader.dialect.tuple_keyword == "items" else "items"
    )
    at = pointer(path, spelled)
    found = check(read, written, at)
    if not found:
        return []
    if read.contents is False:
        return [
            Incompatibility(
                at,
                "ADDITIONAL_ITEMS_REMOVED",
                f"the reader refuses items past position {len(_prefix(reader))}, the writer "
                "allows them",
            )
        ]
    if tuple_tail and not written.nodes:
        return [
            Incompatibility(
                at,
                "ADDITIONAL_ITEMS_NARROWED",
                "the reader constrains items past its tuple, the writer allows any: "
                f"{found[0].reason}",
            )
        ]
    if not written.nodes:
        return [
            Incompatibility(
                at,
                "SCHEMA_ADDED",
                "the reader constrains the array's items, the writer allows any: "
                f"{found[0].reason}",
            )
        ]
    return found


def _contains(reader: Node, writer: Conjunction, path: str, check: Check) -> list[Incompatibility]:
    """``contains`` with ``minContains``/``maxContains`` (2019-09 on)."""
    wanted = reader.get("contains")
    if wanted is None:
        return []
    at = pointer(path, "contains")
    problems: list[Incompatibility] = []
    read = reader.child(wanted)
    least = _count(reader, "minContains", 1)
    most = _count(reader, "maxContains", None)
    sources = [
        (node, node.child(c)) for node in writer.nodes if (c := node.get("contains")) is not None
    ]
    if least > 0:
        # Some writer "contains" whose matches all match the reader's, with enough of them.
        covering = [n for n, c in sources if not check(read, Conjunction.of(c), at)]
        counts = [_count(node, "minContains", 1) for node in covering]
        if not sources:
            problems.append(
                Incompatibility(
                    at,
                    "SCHEMA_ADDED",
                    "the reader requires an item matching 'contains'; the writer requires none",
                )
            )
        elif not covering:
            problems.extend(check(read, Conjunction.of(*(c for _, c in sources)), at))
        elif max(counts) < least:
            explicit = any(node.get("minContains") is not None for node in covering)
            rule = "MIN_CONTAINS_INCREASED" if explicit else "MIN_CONTAINS_ADDED"
            problems.append(_count_problem(path, rule, "minContains", least, max(counts)))
    if most is not None:
        # Some writer "contains" that every reader match also matches, capped low enough.
        covering = [n for n, c in sources if not check(c, Conjunction.of(read), at)]
        caps = [c for node in covering if (c := _count(node, "maxContains", None)) is not None]
        caps += [c for c in writer.values("maxItems") if isinstance(c, int)]
        if not caps:
            problems.append(_count_problem(path, "MAX_CONTAINS_ADDED", "maxContains", most, None))
        elif min(caps) > most:
            problems.append(
                _count_problem(path, "MAX_CONTAINS_DECREASED", "maxContains", most, min(caps))
            )
    return problems


def _count(node: Node, keyword: str, default: int | None) -> Any:
    value = node.get(keyword)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _count_problem(
    path: str, rule: str, keyword: str, limit: int, written: int | None
) -> Incompatibility:
    shown = "none" if written is None else str(written)
    return Incompatibility(
        pointer(path, keyword),
        rule,
        f"the reader requires {keyword} {limit}, the writer's bound is {shown}",
    )


def _prefix(node: Node) -> list[object]:
    """The tuple-position item schemas (2020-12 ``prefixItems``, earlier an ``items`` list)."""
    value = node.get(node.dialect.tuple_keyword)
    return value if isinstance(value, list) else []


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
