"""Where the subschemas of a JSON Schema are, and how their locations are spelled.

Only keywords that hold schemas are walked: a ``"$ref"`` key inside ``enum``, ``const``,
``default`` or ``examples`` is data, not a reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Keywords whose value is one schema.
SINGLE = (
    "additionalItems",
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "if",
    "items",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
)
# Keywords whose value is a list of schemas (draft 7 ``items`` may be one too).
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
# Keywords whose value maps names to schemas (draft 7 ``dependencies`` may map to lists).
MAPS = (
    "$defs",
    "definitions",
    "dependencies",
    "dependentSchemas",
    "patternProperties",
    "properties",
)


def pointer(base: str, *tokens: str | int) -> str:
    """``base`` extended by ``tokens`` as a JSON pointer (``~`` and ``/`` escaped)."""
    escaped = (str(token).replace("~", "~0").replace("/", "~1") for token in tokens)
    return "/".join((base, *escaped))


def direct_subschemas(schema: Any, at: str) -> Iterator[tuple[str, Any]]:
    """The schemas directly inside ``schema`` (one keyword down), with their pointers.

    Args:
        schema: a decoded schema (``dict`` or ``bool``).
        at: the pointer of ``schema`` itself (``""`` for the root).
    """
    if not isinstance(schema, dict):
        return
    for keyword in SINGLE:
        value = schema.get(keyword)
        if isinstance(value, dict | bool):
            yield pointer(at, keyword), value
    for keyword in LISTS:
        value = schema.get(keyword)
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield pointer(at, keyword, index), item
    for keyword in MAPS:
        value = schema.get(keyword)
        if isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, dict | bool):
                    yield pointer(at, keyword, name), item
