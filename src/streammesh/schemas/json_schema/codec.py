"""JSON payloads: compact UTF-8 JSON, validated on the way out and on the way in."""

from __future__ import annotations

import json
from typing import Any

from streammesh.schemas.errors import InvalidEvent, UndecodablePayload
from streammesh.schemas.json_schema.schema import JsonSchema
from streammesh.schemas.json_schema.validation import dotted_path, validate_event

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(schema: JsonSchema, event: object) -> bytes:
    """Validate ``event`` and encode it; ``InvalidEvent`` if either fails."""
    validate_event(schema, event)
    try:
        return _encoder.encode(event).encode()
    except (TypeError, ValueError) as exc:
        path, reason = _not_json(event, [])
        raise InvalidEvent(schema.name, path, "json", reason or str(exc)) from exc


def decode(schema: JsonSchema, payload: bytes, reader: JsonSchema | None) -> Any:
    """Decode ``payload`` and check it against ``reader`` (or ``schema`` without one).

    Raises:
        UndecodablePayload: not UTF-8 JSON, or a document the schema does not accept.
    """
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodablePayload("JSON", f"not UTF-8 JSON: {exc}") from exc
    try:
        validate_event(reader or schema, event)
    except InvalidEvent as exc:
        raise UndecodablePayload("JSON", str(exc)) from exc
    return event


def _not_json(value: object, parts: list[str | int]) -> tuple[str, str]:
    """Where in ``value`` the first value JSON cannot carry is, and why."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return dotted_path(parts), f"has a non-string key {key!r}"
            found = _not_json(item, [*parts, key])
            if found[1]:
                return found
        return "", ""
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _not_json(item, [*parts, index])
            if found[1]:
                return found
        return "", ""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return dotted_path(parts), f"is {value!r}, which JSON cannot represent"
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return dotted_path(parts), "contains a lone surrogate, which UTF-8 cannot encode"
        return "", ""
    if value is None or isinstance(value, int | float | bool):
        return "", ""
    return dotted_path(parts), f"is a {type(value).__name__}, which JSON cannot represent"
