"""A fast yes/no check of events against an Avro schema, built once per schema.

It runs before every serialization, so its cost is per-event overhead on top of fastavro's
writer, which is too lenient to rely on by itself: it truncates ``3.7`` into an ``int`` field,
writes ``2**40`` as an ``int`` and takes any value for a ``boolean``. A tree of closures costs
about half of fastavro's write time for a ten-field record; so each record becomes one
generated function with the checks of its primitive fields inlined (the technique of
``dataclasses`` and ``fastjsonschema``). Only integer variable names and ``repr`` literals of
field names, which the parser has already restricted to ``[A-Za-z_][A-Za-z0-9_]*``, go into
the generated source. Everything else (unions, arrays, maps, logical types) is a closure that
the generated code calls.

The predicate accepts exactly what ``validation.explain`` accepts; a property test holds the
two together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from streammesh.schemas.avro.defaults import INT_RANGE, LONG_RANGE
from streammesh.schemas.avro.validation import LOGICAL_PYTHON_TYPES, PYTHON_TYPES, float_fits

Check = Callable[[Any], bool]

_MISSING = object()

_INLINE: dict[str, str] = {
    "null": "{v} is None",
    "boolean": "type({v}) is bool",
    "int": f"(type({{v}}) is int and {INT_RANGE[0]} <= {{v}} <= {INT_RANGE[1]})",
    "long": f"(type({{v}}) is int and {LONG_RANGE[0]} <= {{v}} <= {LONG_RANGE[1]})",
    "double": "(type({v}) is float or type({v}) is int)",
    "string": "type({v}) is str",
    "bytes": "type({v}) in _BYTES",
}
"""Source of the inlined check of a primitive without attributes; ``{v}`` is the value."""


def compile_check(root: Any, named: Mapping[str, Any]) -> Check:
    """A predicate that is true exactly when ``validation.explain`` finds nothing wrong.

    Args:
        root: The normalised schema tree.
        named: Normalised definitions of the named types the tree uses, by full name.
    """
    return _Compiler(named).build(root)


class _Compiler:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self.named = named
        self.built: dict[str, Check] = {}

    def build(self, node: Any) -> Check:
        if isinstance(node, str) and node in self.named:
            if node not in self.built:
                # A recursive type calls its own check, which is not built yet: look it up late.
                self.built[node] = lambda value: self.built[node](value)
                self.built[node] = self.build(self.named[node])
            return self.built[node]
        if isinstance(node, list):
            branches = tuple(self.build(branch) for branch in node)
            return lambda value: any(branch(value) for branch in branches)
        kind = node if isinstance(node, str) else node["type"]
        check = self.build_kind(kind, node)
        logical = (
            LOGICAL_PYTHON_TYPES.get(node.get("logicalType", ""))
            if isinstance(node, dict)
            else None
        )
        if logical is None:
            return check
        return lambda value: isinstance(value, logical) or check(value)

    def build_kind(self, kind: str, node: Any) -> Check:
        if kind == "record":
            return self.record(node)
        if kind == "float":
            return float_fits
        if kind == "enum":
            symbols = frozenset(node["symbols"])
            return lambda value: type(value) is str and value in symbols
        if kind == "fixed":
            size = node["size"]
            return lambda value: type(value) in (bytes, bytearray) and len(value) == size
        if kind == "array":
            items = self.build(node["items"])
            return lambda value: type(value) in (list, tuple) and all(map(items, value))
        if kind == "map":
            values = self.build(node["values"])
            return lambda value: (
                type(value) is dict
                and all(type(key) is str for key in value)
                and all(map(values, value.values()))
            )
        if kind in ("int", "long"):
            low, high = INT_RANGE if kind == "int" else LONG_RANGE
            return lambda value: type(value) is int and low <= value <= high
        accepted = PYTHON_TYPES[kind]
        return lambda value: type(value) in accepted

    def inline(self, node: Any, variable: str, constants: dict[str, Any]) -> str | None:
        """Source testing ``variable`` against ``node``, for primitives, enums and unions
        (``["null", "string"]`` is the most common field type; a branch that cannot be
        inlined is called); else ``None``."""
        if isinstance(node, str) and node in _INLINE:
            return _INLINE[node].format(v=variable)
        if node == "float":
            constants["float_fits"] = float_fits
            return f"float_fits({variable})"
        if isinstance(node, str) and node in self.named and self.named[node]["type"] == "enum":
            node = self.named[node]
        if isinstance(node, dict) and node["type"] == "enum" and "logicalType" not in node:
            constant = f"symbols_{len(constants)}"
            constants[constant] = frozenset(node["symbols"])
            return f"(type({variable}) is str and {variable} in {constant})"
        if isinstance(node, list):
            # Branches that cannot be inlined (a logical type, a record) are called, the
            # others inlined: `["null", timestamp]` tests `x is None` before any call.
            tests = []
            for branch in node:
                test = self.inline(branch, variable, constants)
                if test is None:
                    constant = f"branch_{len(constants)}"
                    constants[constant] = self.build(branch)
                    test = f"{constant}({variable})"
                tests.append(test)
            return "(" + " or ".join(f"({test})" for test in tests) + ")"
        return None

    def record(self, node: Mapping[str, Any]) -> Check:
        constants: dict[str, Any] = {"_MISSING": _MISSING, "_BYTES": (bytes, bytearray)}
        required: list[str] = []
        body: list[str] = []
        for index, field in enumerate(node["fields"]):
            variable = f"x{index}"
            field_type = field["type"]
            test = self.inline(field_type, variable, constants)
            if test is None:
                constants[f"c{index}"] = self.build(field_type)
                test = f"c{index}({variable})"
            name = repr(field["name"])
            if "default" in field:
                body += [
                    f"    {variable} = value.get({name}, _MISSING)",
                    f"    if {variable} is not _MISSING:",
                    "        present += 1",
                    f"        if not {test}:",
                    "            return False",
                ]
            else:
                required.append(f"{variable} = value[{name}]")
                body.append(f"    if not {test}:\n        return False")
        source = "\n".join(
            [
                "def check(value):",
                "    if type(value) is not dict:",
                "        return False",
                *(_fetch(required) if required else []),
                f"    present = {len(required)}",
                *body,
                "    return present == len(value)",
            ]
        )
        exec(compile(source, f"<avro check of {node['name']}>", "exec"), constants)
        check: Check = constants["check"]
        return check


def _fetch(assignments: list[str]) -> list[str]:
    """Source reading every required field at once: one ``try`` instead of one test each."""
    return [
        "    try:",
        *(f"        {line}" for line in assignments),
        "    except KeyError:",
        "        return False",
    ]
