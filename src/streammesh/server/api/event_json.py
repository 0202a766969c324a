"""Events as JSON: how ``/api/v1`` writes a :class:`ProductEvent` (and the SDK reads it back).

Keys: text for string and uuid keys, a number for int and long keys, base64 text for bytes
keys. Values: JSON as is; bytes become base64 text, decimals text, dates and times ISO 8601,
UUIDs text. Header values are bytes, so base64 text too.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson

from streammesh.dataplane import Key, ProductEvent

_RENDERED = orjson.OPT_PASSTHROUGH_DATACLASS
"""orjson writes str, int, float, bool, None, dict, list, tuple, UUID, dates and times (with
the offset as ``isoformat`` does) as :func:`json_value` makes them; a dataclass is left to
:func:`_json_default` like any other type it does not write."""


def json_value(value: Any) -> Any:
    """``value`` with every part JSON can not hold turned into text (see the module doc)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(name): json_value(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return str(value)


def json_key(key: Key | None) -> str | int | None:
    """The JSON form of a decoded key."""
    if key is None or isinstance(key, str | int):
        return key
    if isinstance(key, bytes):
        return base64.b64encode(key).decode("ascii")
    return str(key)


def event_document(event: ProductEvent) -> dict[str, Any]:
    """The JSON shape of one event (``EventDocument``)."""
    return {
        "product": event.product,
        "key": json_key(event.key),
        "value": json_value(event.value),
        "partition": event.partition,
        "offset": event.offset,
        "timestamp": event.timestamp.isoformat(),
        "schema_id": event.schema_id,
        "headers": [
            {"name": name, "value": base64.b64encode(data).decode("ascii")}
            for name, data in event.headers
        ],
    }


def events_json(document: dict[str, Any], events: list[ProductEvent]) -> bytes:
    """``document`` with ``events`` (their :func:`event_document`) as JSON bytes.

    Values are handed to orjson as they are, not walked in Python first (most of a consume
    answer's time): orjson writes what JSON holds and calls back only for the rest (bytes,
    decimals, ...). A value orjson refuses (a map with keys that are not text, an integer
    beyond 64 bits) makes the answer take the :func:`event_document` path, which writes every
    value the same way.
    """
    texts: dict[datetime, str] = {}  # a batch's events share few timestamps (milliseconds)

    def utc_text(timestamp: datetime) -> str:
        text = texts.get(timestamp)
        if text is None:
            text = texts[timestamp] = _utc_text(timestamp)
        return text

    rendered = [
        {
            "product": event.product,
            "key": key if type(key := event.key) is str else json_key(key),
            "value": event.value,
            "partition": event.partition,
            "offset": event.offset,
            "timestamp": utc_text(event.timestamp),
            "schema_id": event.schema_id,
            "headers": [
                {"name": name, "value": base64.b64encode(data).decode("ascii")}
                for name, data in event.headers
            ]
            if event.headers
            else [],
        }
        for event in events
    ]
    try:
        return orjson.dumps(
            {**document, "events": rendered}, default=_json_default, option=_RENDERED
        )
    except TypeError:
        pass
    for each, event in zip(rendered, events, strict=True):
        each["value"] = json_value(event.value)
    return orjson.dumps({**document, "events": rendered})


def _utc_text(timestamp: datetime) -> str:
    """A timestamp as pydantic writes a UTC datetime (``Z``, not ``+00:00``)."""
    text = timestamp.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _json_default(value: Any) -> Any:
    """What :func:`json_value` makes of a value orjson does not write itself."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(name): item for name, item in value.items()}
    if isinstance(value, list | tuple):  # a subclass orjson does not take as one
        return list(value)
    return json_value(value)
