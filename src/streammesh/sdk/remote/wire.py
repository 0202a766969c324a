"""How the SDK's remote mesh writes requests and reads answers of the REST API."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime
from urllib.parse import quote

from streammesh.dataplane import Key
from streammesh.products import KeyType

API = "/api/v1"
"""Where the REST API lives on a server."""


def path_segment(reference: str) -> str:
    return quote(reference, safe="")


def json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def decode_key(key_type: KeyType, raw: str | int | None) -> Key | None:
    if raw is None:
        return None
    if key_type is KeyType.UUID:
        return uuid.UUID(str(raw))
    if key_type is KeyType.BYTES:
        return base64.b64decode(str(raw))
    if key_type in (KeyType.INT, KeyType.LONG):
        return int(raw)
    return str(raw)
