"""The JSON form of an entry's ``before``/``after`` state.

Callers pass JSON-able mappings: ``str``, ``int``, ``float`` (finite), ``bool``, ``None``,
lists/tuples, and mappings with ``str`` keys. For convenience, enums become their value,
timezone-aware datetimes become ISO 8601 UTC text and dates ISO dates — so what is read back
holds those as strings. Anything else (a naive datetime, a set, a pydantic model, NaN) is
refused with the path of the offending value, before anything is written, and so is a state
larger than ``MAX_STATE_BYTES``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import orjson

from streammesh.audit.errors import InvalidAuditEntry

MAX_STATE_BYTES = 256 * 1024
"""The largest ``before`` or ``after`` accepted: both together stay far below the log's 1 MiB
record limit, so a recorded row can always be relayed and never blocks the ones after it."""

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_FLAT = frozenset({str, int, type(None)})
"""Value types written as they are (exactly these: a bool, an enum or a float is checked)."""


def encode_state(subject: str, field: str, state: Mapping[str, Any] | None) -> str | None:
    """``state`` as compact JSON text with sorted keys, or ``None``.

    Raises:
        InvalidAuditEntry: ``state`` is not a mapping or holds a value JSON cannot carry.
    """
    if state is None:
        return None
    if type(state) is dict and all(
        type(key) is str and type(value) in _FLAT for key, value in state.items()
    ):
        # The common flat state (a key handout's): nothing to convert, so encoded as it is
        # in C. orjson refuses what json would write differently (an int beyond 64 bits,
        # a lone surrogate): that takes the way below.
        try:
            encoded = orjson.dumps(state, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
        else:
            if len(encoded) <= MAX_STATE_BYTES:
                return encoded.decode()
    if not isinstance(state, Mapping):
        raise InvalidAuditEntry(subject, field, f"must be a mapping or None, not {_kind(state)}")
    plain = _plain(subject, field, state)
    text = _ENCODER.encode(plain)
    size = len(text.encode())
    if size > MAX_STATE_BYTES:
        raise InvalidAuditEntry(
            subject, field, f"is {size} bytes of JSON, more than {MAX_STATE_BYTES}; record less"
        )
    return text


def decode_state(text: str | None) -> dict[str, Any] | None:
    """The mapping stored by ``encode_state``."""
    if text is None:
        return None
    decoded: dict[str, Any] = json.loads(text)
    return decoded


def utc_text(moment: datetime) -> str:
    """``moment`` (timezone-aware) as ISO 8601 in UTC with a ``Z`` suffix."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _plain(subject: str, path: str, value: object) -> object:
    # Order matters: bool before int (bool is an int), Enum before str/int (StrEnum is a str),
    # datetime before date (datetime is a date).
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return _plain(subject, path, value.value)
    if isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidAuditEntry(subject, path, f"is {value}, which JSON cannot carry")
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidAuditEntry(subject, path, "is a datetime without a timezone")
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        plain: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidAuditEntry(subject, path, f"has a key {key!r} that is not a str")
            plain[key] = _plain(subject, f"{path}.{key}", item)
        return plain
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_plain(subject, f"{path}[{index}]", item) for index, item in enumerate(value)]
    raise InvalidAuditEntry(subject, path, f"is {_kind(value)}, which is not JSON-able")


def _kind(value: object) -> str:
    return f"a {type(value).__name__}"
