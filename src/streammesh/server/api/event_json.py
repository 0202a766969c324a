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

from streammesh.dataplane import Key, ProductEvent


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
