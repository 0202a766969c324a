"""ksqlDB's JSON functions: JSON held in STRING values, and ``TO_JSON_STRING``."""

from __future__ import annotations

import base64
import json
import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from streammesh.streams.evaluation.values import sql_text
from streammesh.streams.functions.signatures import ANY, Overload, S, ScalarFunction, scalar
from streammesh.streams.types import BOOLEAN, INTEGER, STRING, array, map_of

_MISSING = object()
_STEP = re.compile(r"\.(?P<name>[^.\[\]]+)|\[(?P<index>-?\d+)\]|\[['\"](?P<quoted>[^'\"]*)['\"]\]")


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _MISSING


def _path(path: str) -> list[str | int]:
    if not path.startswith("$"):
        raise ValueError(f"JSONPath {path!r} must start with $")
    steps: list[str | int] = []
    index = 1
    while index < len(path):
        match = _STEP.match(path, index)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r} at {path[index:]!r}")
        if match.group("index") is not None:
            steps.append(int(match.group("index")))
        else:
            steps.append(
                match.group("name") if match.group("name") is not None else match.group("quoted")
            )
        index = match.end()
    return steps


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def extract_json_field(text: str, path: str) -> Any:
    """The value at a JSONPath (``$.log.cloud``, ``$.a[0]``): a string as itself, anything
    else as JSON text; NULL when absent or not JSON."""
    node = _parse(text)
    if node is _MISSING:
        return None
    for step in _path(path):
        if (
            isinstance(step, int) and isinstance(node, list) and -len(node) <= step < len(node)
        ) or (isinstance(step, str) and isinstance(node, dict) and step in node):
            node = node[step]  # type: ignore[index]
        else:
            return None
    if node is None:
        return None
    return node if isinstance(node, str) else _compact(node)


def _array_length(text: str) -> int | None:
    node = _parse(text)
    return len(node) if isinstance(node, list) else None


def _keys(text: str) -> list[str] | None:
    node = _parse(text)
    return list(node) if isinstance(node, dict) else None


def _records(text: str) -> dict[str, str] | None:
    node = _parse(text)
    if not isinstance(node, dict):
        return None
    return {key: _compact(value) for key, value in node.items()}


def _concat(*texts: str | None) -> str | None:
    nodes: list[Any] = [_parse(text) if text is not None else _MISSING for text in texts]
    if any(node is _MISSING for node in nodes):
        return None
    if all(isinstance(node, dict) for node in nodes):
        merged: dict[str, Any] = {}
        for node in nodes:
            merged.update(node)
        return _compact(merged)
    items: list[Any] = []
    for node in nodes:
        items.extend(node if isinstance(node, list) else [node])
    return _compact(items)


def _java_time(value: time) -> str:
    # Java's LocalTime.toString leaves out zero seconds.
    if value.second == 0 and value.microsecond == 0:
        return value.strftime("%H:%M")
    return sql_text(value)


def json_value(value: Any) -> Any:
    """A SQL value as the JSON value ksqlDB writes for it."""
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return sql_text(value)
    if isinstance(value, datetime):
        return sql_text(value)
    if isinstance(value, time):
        return _java_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return value


def to_json_string(value: Any) -> str:
    """Any SQL value as compact JSON text (NULL is ``null``)."""
    return _compact(json_value(value))


JSON: tuple[ScalarFunction, ...] = (
    scalar(
        "EXTRACTJSONFIELD",
        "JSON",
        "The value at a JSONPath in JSON text, as a STRING; NULL when absent.",
        Overload((S, S), STRING, extract_json_field),
    ),
    scalar(
        "JSON_ARRAY_LENGTH",
        "JSON",
        "The length of a JSON array; NULL for anything else.",
        Overload((S,), INTEGER, _array_length),
        examples=("JSON_ARRAY_LENGTH('[1, [1, [2]], 3]') => 3", "JSON_ARRAY_LENGTH('{}') => NULL"),
    ),
    scalar(
        "JSON_KEYS",
        "JSON",
        "The top-level keys of a JSON object; NULL for anything else.",
        Overload((S,), array(STRING), _keys),
    ),
    scalar(
        "JSON_RECORDS",
        "JSON",
        "The top-level entries of a JSON object, values as JSON text.",
        Overload((S,), map_of(STRING, STRING), _records),
    ),
    scalar(
        "IS_JSON_STRING",
        "JSON",
        "Whether text parses as JSON (NULL gives false).",
        Overload(
            (S,),
            BOOLEAN,
            lambda text: text is not None and _parse(text) is not _MISSING,
            null_safe=True,
        ),
    ),
    scalar(
        "JSON_CONCAT",
        "JSON",
        "Merges JSON objects, or concatenates as arrays (PostgreSQL's ||); NULL if any is"
        " NULL or not JSON.",
        Overload((S,), STRING, _concat, variadic=S, null_safe=True),
    ),
    scalar(
        "TO_JSON_STRING",
        "JSON",
        "Any value as JSON text.",
        Overload((ANY,), STRING, to_json_string, null_safe=True),
    ),
)
