"""Compatibility of value bounds: numbers, string lengths and patterns, array and object sizes.

A reader bound is fine when the writer's (tightest) bound is at least as tight; a reader
bound the writer lacks is "ADDED" (Confluent's name), a tighter one "DECREASED"/"INCREASED".
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from streammesh.schemas.base import Incompatibility
from streammesh.schemas.json_schema.conjunction import Conjunction
from streammesh.schemas.json_schema.dialects import Dialect
from streammesh.schemas.json_schema.nodes import Node

# (reader keyword, rule prefix, is an upper bound) for counts where absent means unbounded.
_SIZES = {
    "string": (("maxLength", "MAX_LENGTH", True), ("minLength", "MIN_LENGTH", False)),
    "array": (("maxItems", "MAX_ITEMS", True), ("minItems", "MIN_ITEMS", False)),
    "object": (
        ("maxProperties", "MAX_PROPERTIES", True),
        ("minProperties", "MIN_PROPERTIES", False),
    ),
}


def size_bounds(reader: Node, writer: Conjunction, kind: str, path: str) -> list[Incompatibility]:
    """``maxLength``/``minLength``, ``maxItems``/``minItems``, ``max/minProperties``."""
    problems = []
    for keyword, rule, upper in _SIZES[kind]:
        limit = reader.get(keyword)
        if not _number(limit):
            continue
        written = [v for v in writer.values(keyword) if _number(v)]
        if upper:
            tightest = min(written, default=None)
            if tightest is None or tightest > limit:
                change = "ADDED" if tightest is None else "DECREASED"
                problems.append(_bound(path, f"{rule}_{change}", keyword, limit, tightest))
        else:
            tightest = max(written, default=0)
            if tightest < limit:
                change = "ADDED" if not written else "INCREASED"
                problems.append(_bound(path, f"{rule}_{change}", keyword, limit, tightest))
    return problems


def string_pattern(reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
    """A reader ``pattern`` must be one the writer already enforces (regexes are not compared
    by meaning, only by text)."""
    pattern = reader.get("pattern")
    if not isinstance(pattern, str):
        return []
    written = writer.values("pattern")
    if pattern in written:
        return []
    rule = "PATTERN_CHANGED" if written else "PATTERN_ADDED"
    shown = f"{written[0]!r}" if written else "none"
    return [
        Incompatibility(
            path, rule, f"the reader requires pattern {pattern!r}, the writer's is {shown}"
        )
    ]


def numeric_bounds(reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
    """``maximum``/``exclusiveMaximum``, ``minimum``/``exclusiveMinimum``, ``multipleOf``."""
    problems = []
    upper = _tightest(writer, "maximum", "exclusiveMaximum", upper=True)
    lower = _tightest(writer, "minimum", "exclusiveMinimum", upper=False)
    for keyword, rule, exclusive, is_upper in (
        ("maximum", "MAXIMUM", False, True),
        ("exclusiveMaximum", "EXCLUSIVE_MAXIMUM", True, True),
        ("minimum", "MINIMUM", False, False),
        ("exclusiveMinimum", "EXCLUSIVE_MINIMUM", True, False),
    ):
        limit = _numeric(reader, keyword)
        if not _number(limit):
            continue
        written = upper if is_upper else lower
        if written is None:
            problems.append(_bound(path, f"{rule}_ADDED", keyword, limit, None))
            continue
        value, written_exclusive = written
        inside = value < limit if is_upper else value > limit
        on_edge_ok = value == limit and (not exclusive or written_exclusive)
        if not (inside or on_edge_ok):
            change = "DECREASED" if is_upper else "INCREASED"
            problems.append(_bound(path, f"{rule}_{change}", keyword, limit, value))
    problems.extend(_multiple_of(reader, writer, path))
    return problems


def _multiple_of(reader: Node, writer: Conjunction, path: str) -> list[Incompatibility]:
    factor = reader.get("multipleOf")
    if not _number(factor):
        return []
    divisor = Fraction(str(factor))
    written = [v for v in writer.values("multipleOf") if _number(v)]
    if "number" not in writer.types() and divisor.denominator == 1 and divisor == 1:
        return []  # every integer is a multiple of 1
    if any((Fraction(str(w)) / divisor).denominator == 1 for w in written):
        return []
    rule = "MULTIPLE_OF_CHANGED" if written else "MULTIPLE_OF_ADDED"
    return [_bound(path, rule, "multipleOf", factor, written[0] if written else None)]


def _tightest(
    writer: Conjunction, inclusive: str, exclusive: str, *, upper: bool
) -> tuple[Any, bool] | None:
    """The writer's tightest bound on one side, as ``(value, is_exclusive)``."""
    candidates = [(v, False) for n in writer.nodes if _number(v := _numeric(n, inclusive))]
    candidates += [(v, True) for n in writer.nodes if _number(v := _numeric(n, exclusive))]
    if not candidates:
        return None
    # An exclusive bound is tighter than an inclusive one at the same value.
    if upper:
        return min(candidates, key=lambda c: (c[0], not c[1]))
    return max(candidates, key=lambda c: (c[0], c[1]))


def _numeric(node: Node, keyword: str) -> Any:
    """A numeric bound; draft-04's ``exclusiveMaximum: true`` makes ``maximum`` exclusive
    (later drafts spell it ``exclusiveMaximum: 5``)."""
    if node.dialect is not Dialect.DRAFT4:
        return node.get(keyword)
    base = "maximum" if keyword.lower().endswith("maximum") else "minimum"
    flagged = node.get("exclusive" + base.capitalize()) is True
    if keyword == base:
        return None if flagged else node.get(base)
    return node.get(base) if flagged else None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bound(path: str, rule: str, keyword: str, limit: Any, written: Any) -> Incompatibility:
    shown = "none" if written is None else repr(written)
    return Incompatibility(
        path, rule, f"the reader requires {keyword} {limit!r}, the writer's bound is {shown}"
    )
