"""Checking events against a JSON Schema, reporting the first problem as ``InvalidEvent``."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from typing import Any, cast

from jsonschema.exceptions import ValidationError, best_match

from streammesh.schemas.errors import InvalidEvent
from streammesh.schemas.json_schema.patterns import search
from streammesh.schemas.json_schema.schema import JsonSchema
from streammesh.schemas.json_schema.typesets import json_type

# Rule identifiers by JSON Schema keyword; the rest are the keyword in kebab case.
_RULES = {
    "additionalProperties": "unknown-field",
    "unevaluatedProperties": "unknown-field",
    "additionalItems": "unknown-item",
    "unevaluatedItems": "unknown-item",
    "dependentRequired": "required",
    "dependencies": "required",
    None: "forbidden",
}


_SCALARS = frozenset({str, int, bool, type(None)})


def validate_event(schema: JsonSchema, event: object) -> None:
    """Raise ``InvalidEvent`` for the first way ``event`` breaks ``schema``.

    "First" is deterministic: the validator walks the key-sorted canonical document.
    """
    compiled = schema.compiled
    if compiled is not None and is_plain_json(event) and compiled.is_valid(event):
        return
    explain_invalid(schema, event)


def is_plain_json(value: object) -> bool:
    """Whether ``value`` is made of ``dict`` (``str`` keys), ``list``, ``str``, ``int``,
    ``bool``, ``None`` and finite ``float`` only: exact types, no subclasses.

    Only such events take the compiled validator's fast path: jsonschema-rs reads a tuple
    as an array (``jsonschema`` does not), and encoders differ on everything else (orjson
    writes ``NaN`` as ``null``, a ``UUID`` as a string); those go the ``jsonschema`` way.
    """
    kind = type(value)
    if kind is dict:
        for key, item in cast("dict[object, object]", value).items():
            if type(key) is not str:
                return False
            # Scalars inline: a call per field would double the cost of this walk.
            item_kind = type(item)
            if item_kind in _SCALARS:
                continue
            if item_kind is float:
                if cast(float, item) - cast(float, item) != 0.0:  # inf or nan
                    return False
                continue
            if not is_plain_json(item):
                return False
        return True
    if kind in _SCALARS:
        return True
    if kind is float:
        return cast(float, value) - cast(float, value) == 0.0  # False for inf and nan
    if kind is list:
        return all(map(is_plain_json, cast("list[object]", value)))
    return False


def explain_invalid(schema: JsonSchema, event: object) -> None:
    """Check ``event`` with the ``jsonschema`` validator; ``InvalidEvent`` for its first
    problem, with the field path and the rule."""
    error = next(schema.validator.iter_errors(event), None)  # type: ignore[arg-type]
    if error is None:
        return
    if error.context:
        # anyOf/oneOf: report the branch error that went deepest, not "no branch matched".
        error = best_match([error]) or error
    path, reason = _describe(error)
    raise InvalidEvent(schema.name, path, rule_of(error), reason)


def rule_of(error: ValidationError) -> str:
    """The stable short rule identifier for a ``jsonschema`` error."""
    keyword = error.validator
    if keyword in _RULES:
        return _RULES[keyword]
    return re.sub(r"(?<!^)(?=[A-Z])", "-", str(keyword)).lower()


def dotted_path(parts: Iterable[str | int]) -> str:
    """``legs[2].price`` from ``("legs", 2, "price")``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _describe(error: ValidationError) -> tuple[str, str]:
    parts: deque[str | int] = deque(error.absolute_path)
    instance: Any = error.instance
    keyword = error.validator
    value: Any = error.validator_value
    if keyword == "required" and isinstance(instance, dict):
        missing = next(name for name in value if name not in instance)
        return dotted_path([*parts, missing]), "is required but missing"
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        extra = _unexpected(error.schema, instance)
        if extra is not None:
            return (
                dotted_path([*parts, extra]),
                "is not a field of this schema (it does not allow other fields)",
            )
    path = dotted_path(parts)
    if keyword == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        return path, f"expected {expected}, got {_show(instance)}"
    if keyword in ("enum", "const"):
        allowed = value if keyword == "enum" else [value]
        return path, f"must be one of {allowed!r}, got {_show(instance)}"
    if keyword is None:
        return path, "is not allowed by the schema"
    return path, f"{error.message} (keyword {keyword!r})"


def _unexpected(schema: Any, instance: dict[str, Any]) -> str | None:
    if not isinstance(schema, dict):
        return None
    declared = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    for name in instance:
        if name not in declared and not any(search(p, name) for p in patterns):
            return name
    return None


def _show(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({json_type(value)})"
