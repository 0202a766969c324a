"""Checking an event (plain Python data) against a normalised Avro schema tree.

:func:`explain` walks an event and finds the first problem in declaration order, with its path
(``legs[2].price``), rule and reason. It is the slow, precise half of validation: the fast
predicate of ``compiled`` implements the same rules and runs first; only when it says no does
``explain`` run.

Accepted values: ``None`` for null, ``bool`` for boolean, ``int`` (not ``bool``) within range
for int/long, ``int`` or ``float`` for float/double (within the 32-bit range for float), ``str``
for string and enum symbols, ``bytes``/``bytearray`` for bytes and fixed, ``list``/``tuple``
for arrays, ``dict`` with ``str`` keys for maps and records. Logical types also accept
fastavro's Python types for them (``date``, ``time``, ``datetime``, ``Decimal``, ``UUID``). A
record field may be left out only if it has a default; keys that are not fields of the record
are refused.
"""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from streammesh.schemas.avro.defaults import FLOAT_MAX, INT_RANGE, LONG_RANGE

LOGICAL_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "date": (datetime.date,),
    "time-millis": (datetime.time,),
    "time-micros": (datetime.time,),
    "timestamp-millis": (datetime.datetime,),
    "timestamp-micros": (datetime.datetime,),
    "local-timestamp-millis": (datetime.datetime,),
    "local-timestamp-micros": (datetime.datetime,),
    "decimal": (decimal.Decimal,),
    "uuid": (uuid.UUID,),
}
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "int": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "string": (str,),
    "bytes": (bytes, bytearray),
    "enum": (str,),
    "fixed": (bytes, bytearray),
    "array": (list, tuple),
    "map": (dict,),
    "record": (dict,),
}


@dataclass(frozen=True, slots=True)
class Violation:
    """The first way an event breaks its schema."""

    path: str
    rule: str
    reason: str


def float_fits(value: Any) -> bool:
    """Whether an int or float value fits a 32-bit float (infinities and NaN do)."""
    if type(value) is int:
        return abs(value) <= FLOAT_MAX
    return type(value) is float and (abs(value) <= FLOAT_MAX or not math.isfinite(value))


def explain(root: Any, named: Mapping[str, Any], event: Any) -> Violation | None:
    """The first problem of ``event`` against the schema, in declaration order, or ``None``."""
    return _Explainer(named).explain(root, event, "")


def describe_value(value: Any) -> str:
    """A value and its Python type, shortened, for error reasons."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


class _Explainer:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self.named = named

    def resolve(self, node: Any) -> Any:
        return self.named.get(node, node) if isinstance(node, str) else node

    def explain(self, node: Any, value: Any, path: str) -> Violation | None:
        node = self.resolve(node)
        if isinstance(node, list):
            return self.union(node, value, path)
        kind = node if isinstance(node, str) else node["type"]
        if isinstance(node, dict) and isinstance(
            value, LOGICAL_PYTHON_TYPES.get(node.get("logicalType", ""), ())
        ):
            return None
        accepted = PYTHON_TYPES[kind]
        if type(value) not in accepted:
            return Violation(
                path, "type", f"expected {_expected(node)}, got {describe_value(value)}"
            )
        if kind in ("int", "long"):
            low, high = INT_RANGE if kind == "int" else LONG_RANGE
            if not low <= value <= high:
                return Violation(
                    path, "range", f"{value} is out of range for an Avro {kind} ({low} to {high})"
                )
        elif kind == "float" and not float_fits(value):
            return Violation(
                path, "range", f"{value} is beyond the largest 32-bit float (±{FLOAT_MAX:.7g})"
            )
        elif kind == "enum" and value not in node["symbols"]:
            return Violation(path, "enum", f"expected one of {node['symbols']}, got {value!r}")
        elif kind == "fixed" and len(value) != node["size"]:
            return Violation(
                path, "size", f"expected exactly {node['size']} bytes, got {len(value)}"
            )
        elif kind == "array":
            for index, item in enumerate(value):
                found = self.explain(node["items"], item, f"{path}[{index}]")
                if found is not None:
                    return found
        elif kind == "map":
            for key, item in value.items():
                if type(key) is not str:
                    return Violation(
                        path, "type", f"map keys must be str, got {describe_value(key)}"
                    )
                found = self.explain(node["values"], item, f"{path}[{key!r}]")
                if found is not None:
                    return found
        elif kind == "record":
            return self.record(node, value, path)
        return None

    def record(self, node: Mapping[str, Any], value: dict[Any, Any], path: str) -> Violation | None:
        names = set()
        for field in node["fields"]:
            name = field["name"]
            names.add(name)
            where = f"{path}.{name}" if path else name
            if name not in value:
                if "default" in field:
                    continue
                return Violation(
                    where, "required", f"is required by '{node['name']}' and has no default"
                )
            found = self.explain(field["type"], value[name], where)
            if found is not None:
                return found
        for key in value:
            if key not in names:
                where = f"{path}.{key}" if path else str(key)
                return Violation(
                    where,
                    "unknown-field",
                    f"is not a field of '{node['name']}'; remove it or add it to the schema",
                )
        return None

    def union(self, branches: list[Any], value: Any, path: str) -> Violation | None:
        candidates = []
        for branch in branches:
            resolved = self.resolve(branch)
            if self.explain(resolved, value, path) is None:
                return None
            kind = (
                resolved
                if isinstance(resolved, str)
                else ("union" if isinstance(resolved, list) else resolved["type"])
            )
            if type(value) in PYTHON_TYPES.get(kind, ()):
                candidates.append(resolved)
        if len(candidates) == 1:
            # Only one branch takes this kind of value: its own problem is the useful one.
            return self.explain(candidates[0], value, path)
        expected = " or ".join(_expected(self.resolve(branch)) for branch in branches)
        return Violation(path, "type", f"expected {expected}, got {describe_value(value)}")


def _expected(node: Any) -> str:
    if isinstance(node, str):
        return "null" if node == "null" else f"a{'n' if node[0] in 'aeiou' else ''} {node}"
    if node["type"] in ("record", "enum", "fixed"):
        return f"{node['type']} '{node['name']}'"
    if "logicalType" in node:
        return f"{node['logicalType']} ({node['type']})"
    return _expected(node["type"])
