"""The canonical text of an Avro schema, which its fingerprint is computed from.

It is the Parsing Canonical Form of the Avro specification (full names, no ``namespace``,
primitives as bare strings, the spec's key order, no whitespace, strings unescaped) extended
with every other attribute the spec's form drops: ``default``, ``aliases``, ``doc``,
``order`` (unless the implied ``ascending``), ``logicalType`` and its parameters, and custom
properties. Two schemas that differ only in layout or key order get the same text, but two that
differ in a default, alias or doc do not: those change what readers get or what the contract
says, so the registry must treat them as different versions. The extra attributes follow the
spec's keys, sorted by name; aliases are sorted because their order means nothing.
"""

from __future__ import annotations

import json
from typing import Any

_PCF_ORDER = ("name", "type", "fields", "symbols", "items", "values", "size")
_NESTED_TYPES = ("type", "items", "values")


def canonical_text(node: Any) -> str:
    """The canonical text of a normalised schema tree."""
    if isinstance(node, str):
        return _scalar(node)
    if isinstance(node, list):
        return "[" + ",".join(canonical_text(branch) for branch in node) + "]"
    return _object(node)


def _object(node: dict[str, Any]) -> str:
    keys = [key for key in _PCF_ORDER if key in node]
    keys += sorted(key for key in node if key not in _PCF_ORDER)
    parts = []
    for key in keys:
        value = node[key]
        if key == "order" and value == "ascending":
            continue
        if key in _NESTED_TYPES:
            text = canonical_text(value)
        elif key == "fields":
            text = "[" + ",".join(_object(field) for field in value) + "]"
        else:
            text = _scalar(value)
        parts.append(f"{_scalar(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
