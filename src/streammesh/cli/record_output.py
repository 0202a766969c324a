"""How ``streammesh consume`` prints a record: as text, or as one JSON object per line.

JSON lines have stable keys::

    {"topic": "t", "partition": 0, "offset": 7, "timestamp_ms": 1700000000000,
     "key": "acct-1", "key_encoding": "utf-8",
     "value": "{\\"qty\\":5}", "value_encoding": "utf-8",
     "headers": [{"name": "source", "value": "web", "encoding": "utf-8"}]}

Keys, values and header values are bytes in the log. Bytes that are valid UTF-8 are printed as
a string with ``"encoding": "utf-8"``; any other bytes as base64 with ``"encoding": "base64"``;
an absent key and a tombstone value are ``null`` with a ``null`` encoding. Headers are a list,
not an object, because a record may carry the same header name more than once and their order
is kept.
"""

from __future__ import annotations

import base64
from typing import Any

from streammesh.log import Record

UTF8 = "utf-8"
BASE64 = "base64"


def encode_bytes(data: bytes | None) -> tuple[str | None, str | None]:
    """``(text, encoding)`` for ``data``: UTF-8 text when it decodes, else base64."""
    if data is None:
        return None, None
    try:
        return data.decode(UTF8), UTF8
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), BASE64


def record_document(record: Record) -> dict[str, Any]:
    """The JSON object ``consume --json`` prints for ``record``."""
    key, key_encoding = encode_bytes(record.key)
    value, value_encoding = encode_bytes(record.value)
    headers = []
    for name, raw in record.headers:
        text, encoding = encode_bytes(raw)
        headers.append({"name": name, "value": text, "encoding": encoding})
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp_ms": record.timestamp_ms,
        "key": key,
        "key_encoding": key_encoding,
        "value": value,
        "value_encoding": value_encoding,
        "headers": headers,
    }


def record_text(record: Record) -> str:
    """The value as text, as ``kafka-console-consumer`` prints it (``null`` for a tombstone).

    Bytes that are not UTF-8 are shown as backslash escapes; use ``--json`` to get them exactly.
    """
    if record.value is None:
        return "null"
    return record.value.decode(UTF8, errors="backslashreplace")
