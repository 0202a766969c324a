"""State bytes: group keys and aggregate accumulators as tagged JSON.

Accumulators are plain values (numbers, text, ``Decimal``, ``bytes``, dates and times, lists,
tuples, dicts, frozensets; see :mod:`streammesh.streams.functions.aggregates`). State stores
hold bytes and their changelogs are topics anyone with access to the log can write, so the
values are encoded as JSON with a tag for each kind JSON lacks — never pickled, which would run
code from the log on restore.
"""

from __future__ import annotations

import base64
import datetime
import json
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _ascii_string
from typing import Any

import orjson

_ENCODE = json.JSONEncoder(separators=(",", ":")).encode
"""``json.dumps(..., separators=...)`` builds an encoder per call; one does for all."""


def encode_state(value: Any) -> bytes:
    """The bytes of ``value`` (see the module docstring).

    Raises:
        TypeError: a value of a kind accumulators never hold.
    """
    if type(value) is list:
        # The usual group key and state (text and numbers, a list of them): the same bytes
        # as the tagged path, written without the encoder's per-call setup — by orjson when
        # the text is ASCII (orjson escapes it as ``encode_basestring_ascii`` does) and the
        # integers fit in 64 bits (it refuses larger ones).
        if _plain(value):
            try:
                return orjson.dumps(value)
            except orjson.JSONEncodeError:
                pass
        text = _plain_text(value)
        if text is not None:
            return text.encode("ascii")
    return _ENCODE(_tagged(value)).encode("utf-8")


def _plain(items: list[Any], depth: int = 0) -> bool:
    """Whether ``items`` holds only ASCII text (but DEL), integers, booleans, None and lists
    of those (what orjson writes as the tagged path does)."""
    for item in items:
        kind = type(item)
        if kind is int or item is None or kind is bool:
            continue
        if kind is str:
            if not item.isascii() or "\x7f" in item:  # orjson writes DEL as it is
                return False
        elif kind is not list or depth >= _PLAIN_DEPTH or not _plain(item, depth + 1):
            return False
    return True


def _plain_text(items: list[Any], depth: int = 0) -> str | None:
    """The compact JSON text of ``items`` when it holds only text, integers, booleans, None
    and lists of those (JSON holds them untagged), else ``None``."""
    parts = []
    for item in items:
        kind = type(item)
        if kind is str:
            parts.append(_ascii_string(item))
        elif kind is int:
            parts.append(int.__repr__(item))
        elif item is None:
            parts.append("null")
        elif kind is bool:
            parts.append("true" if item else "false")
        elif kind is list and depth < _PLAIN_DEPTH:
            inner = _plain_text(item, depth + 1)
            if inner is None:
                return None
            parts.append(inner)
        else:
            return None
    return "[" + ",".join(parts) + "]"


_PLAIN_DEPTH = 4


def decode_state(data: bytes) -> Any:
    """The value :func:`encode_state` wrote as ``data``."""
    return _untagged(json.loads(data))


def _tagged(value: Any) -> Any:
    # bool before int (a bool is an int); str and None are JSON as they are.
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}  # keeps NaN and infinities, which JSON cannot carry
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    if isinstance(value, tuple):
        return {"t": [_tagged(item) for item in value]}
    if isinstance(value, frozenset | set):
        return {"s": [_tagged(item) for item in value], "z": isinstance(value, frozenset)}
    if isinstance(value, dict):
        return {"m": [[_tagged(k), _tagged(v)] for k, v in value.items()]}
    if isinstance(value, datetime.datetime):
        return {"ts": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"da": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"ti": value.isoformat()}
    raise TypeError(f"cannot keep a {type(value).__name__} in a state store")


def _untagged(value: Any) -> Any:
    if isinstance(value, list):
        return [_untagged(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "f" in value:
        return float(value["f"])
    if "d" in value:
        return Decimal(value["d"])
    if "b" in value:
        return base64.b64decode(value["b"])
    if "t" in value:
        return tuple(_untagged(item) for item in value["t"])
    if "s" in value:
        items = (_untagged(item) for item in value["s"])
        return frozenset(items) if value["z"] else set(items)
    if "m" in value:
        return {_untagged(k): _untagged(v) for k, v in value["m"]}
    if "ts" in value:
        return datetime.datetime.fromisoformat(value["ts"])
    if "da" in value:
        return datetime.date.fromisoformat(value["da"])
    return datetime.time.fromisoformat(value["ti"])
