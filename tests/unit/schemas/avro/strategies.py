"""Hypothesis strategies for events that match a parsed Avro schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from streammesh.schemas.avro import AvroSchema

_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    # a float field round-trips only what a 32-bit float represents exactly
    "float": st.floats(width=32, allow_nan=False),
    "double": st.floats(allow_nan=False),
    "string": st.text(max_size=20),
    "bytes": st.binary(max_size=20),
}
_MAX_DEPTH = 3


def events(schema: AvroSchema, *, utf8_bytes: bool = False) -> st.SearchStrategy[Any]:
    """Events valid for ``schema`` (plain Python values, no logical types).

    With ``utf8_bytes``, bytes values are UTF-8 text: what a reader resolving bytes to string
    can read (other bytes fit the writer's schema but not the reader's type).
    """
    primitives = dict(_PRIMITIVES)
    if utf8_bytes:
        primitives["bytes"] = st.text(max_size=20).map(str.encode)
    return _Builder(schema, primitives).node(schema.tree, 0)


class _Builder:
    def __init__(self, schema: AvroSchema, primitives: Mapping[str, st.SearchStrategy[Any]]):
        self.schema = schema
        self.primitives = primitives

    def node(self, node: Any, depth: int) -> st.SearchStrategy[Any]:
        if isinstance(node, str) and node in self.primitives:
            return self.primitives[node]
        if isinstance(node, str):
            node = self.schema.named[node]
        if isinstance(node, list):
            flat = [b for b in node if isinstance(b, str) and b in self.primitives]
            if depth > _MAX_DEPTH and flat:  # end recursive types through a primitive branch
                return st.one_of([self.primitives[b] for b in flat])
            return st.one_of([self.node(branch, depth + 1) for branch in node])
        kind = node["type"]
        size = 3 if depth < _MAX_DEPTH else 0
        if kind in self.primitives:
            return self.primitives[kind]
        if kind == "enum":
            return st.sampled_from(node["symbols"])
        if kind == "fixed":
            return st.binary(min_size=node["size"], max_size=node["size"])
        if kind == "array":
            return st.lists(self.node(node["items"], depth + 1), max_size=size)
        if kind == "map":
            values = self.node(node["values"], depth + 1)
            return st.dictionaries(st.text(max_size=5), values, max_size=size)
        return st.fixed_dictionaries(
            {field["name"]: self.node(field["type"], depth + 1) for field in node["fields"]}
        )
