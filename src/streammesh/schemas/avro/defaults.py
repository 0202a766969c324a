"""Whether a field's (or enum's) ``default`` value fits its type, per the Avro specification.

Defaults are JSON values: bytes and fixed defaults are strings whose code points are the byte
values (0-255), and a union's default belongs to the union's first branch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from streammesh.schemas.avro.names import PRIMITIVES

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)


def default_problem(node: Any, value: Any, named: Mapping[str, Any]) -> str | None:
    """Why ``value`` is not a valid default for the normalised type ``node``, or ``None``."""
    node = named.get(node, node) if isinstance(node, str) else node
    if isinstance(node, list):
        if not node:
            return "a union with no branches has no valid default"
        problem = default_problem(node[0], value, named)
        if problem is None:
            return None
        return (
            f"a union's default must match its first branch ({_describe(node[0])}): {problem}; "
            "reorder the union so the default's type comes first"
        )
    kind = node if isinstance(node, str) else node["type"]
    if kind in PRIMITIVES:
        return _primitive_problem(kind, value)
    if kind == "enum":
        if value in node["symbols"]:
            return None
        return f"expected one of the symbols {node['symbols']}, got {value!r}"
    if kind == "fixed":
        problem = _primitive_problem("bytes", value)
        if problem is None and len(value) != node["size"]:
            return f"expected a string of {node['size']} characters, got {len(value)}"
        return problem
    if kind == "array":
        if not isinstance(value, list):
            return f"expected a JSON array, got {value!r}"
        for index, item in enumerate(value):
            problem = default_problem(node["items"], item, named)
            if problem is not None:
                return f"item {index}: {problem}"
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return f"expected a JSON object, got {value!r}"
        for key, item in value.items():
            problem = default_problem(node["values"], item, named)
            if problem is not None:
                return f"value of {key!r}: {problem}"
        return None
    return _record_problem(node, value, named)


def _record_problem(node: Mapping[str, Any], value: Any, named: Mapping[str, Any]) -> str | None:
    if not isinstance(value, dict):
        return f"expected a JSON object for record '{node['name']}', got {value!r}"
    for field in node["fields"]:
        if field["name"] in value:
            problem = default_problem(field["type"], value[field["name"]], named)
        elif "default" in field:
            problem = None
        else:
            problem = "missing (the field has no default of its own)"
        if problem is not None:
            return f"field '{field['name']}': {problem}"
    return None


def _primitive_problem(kind: str, value: Any) -> str | None:
    ok: bool
    if kind == "null":
        ok = value is None
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind in ("int", "long"):
        low, high = INT_RANGE if kind == "int" else LONG_RANGE
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    elif kind in ("float", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (kind == "double" or not math.isfinite(value) or abs(value) <= FLOAT_MAX)
    elif kind == "string":
        ok = isinstance(value, str)
    else:  # bytes: a JSON string of code points 0-255
        ok = isinstance(value, str) and all(ord(char) < 256 for char in value)
    if ok:
        return None
    return f"expected {_describe(kind)}, got {value!r}"


FLOAT_MAX = 3.4028234663852886e38
"""The largest finite 32-bit float."""


def _describe(node: Any) -> str:
    if isinstance(node, str):
        return f"'{node}'"
    if isinstance(node, list):
        return "a union"
    return f"'{node.get('name', node['type'])}'"


def python_default(node: Any, value: Any, named: Mapping[str, Any]) -> Any:
    """A valid JSON default as the Python value an event would hold: bytes for bytes and fixed
    (the JSON string's code points are the byte values), floats for float and double.

    ``node`` may be a normalised tree or fastavro's parsed form: both have the same shape.
    """
    node = named.get(node, node) if isinstance(node, str) else node
    if isinstance(node, list):
        return python_default(node[0], value, named)
    kind = node if isinstance(node, str) else node["type"]
    if kind in ("bytes", "fixed"):
        return value.encode("latin-1")
    if kind in ("float", "double"):
        return float(value)
    if kind == "array":
        return [python_default(node["items"], item, named) for item in value]
    if kind == "map":
        return {key: python_default(node["values"], item, named) for key, item in value.items()}
    if kind in ("record", "error"):
        fields = {field["name"]: field for field in node["fields"]}
        return {
            name: python_default(fields[name]["type"], item, named) for name, item in value.items()
        }
    return value
