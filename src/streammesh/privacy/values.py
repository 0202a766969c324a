"""The plaintext of encrypted fields: any event value, as tagged JSON bytes.

Field values are plain Python data (see :mod:`streammesh.schemas.base`) plus the types Avro's
logical types give (``Decimal``, ``datetime``, ``date``, ``time``, ``UUID``). JSON carries the
first kind; the others, ``bytes`` and every mapping are tagged (``{"$": type, "v": ...}``) so
a value comes back with exactly its type. No pickle: decoding must never run code.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import orjson

_ENCODERS: dict[type, tuple[str, Callable[[Any], str]]] = {
    bytes: ("bytes", lambda value: base64.b64encode(value).decode("ascii")),
    Decimal: ("decimal", str),
    dt.datetime: ("datetime", lambda value: value.isoformat()),
    dt.date: ("date", lambda value: value.isoformat()),
    dt.time: ("time", lambda value: value.isoformat()),
    uuid.UUID: ("uuid", str),
}
_DECODERS: dict[str, Callable[[str], Any]] = {
    "bytes": base64.b64decode,
    "decimal": Decimal,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "uuid": uuid.UUID,
}


class UnsupportedValue(TypeError):
    """A value of a type the codec cannot carry (the caller names the field)."""


def encode_value(value: object) -> bytes:
    """The bytes that :func:`decode_value` turns back into ``value``.

    Raises:
        UnsupportedValue: ``value`` holds a type that is not event data.
    """
    if type(value) is str:  # most classified fields (e-mails, names, numbers as text)
        try:
            return orjson.dumps(value)
        except orjson.JSONEncodeError:  # lone surrogates: as json does below
            pass
    return _json(_tag(value))


def decode_value(data: bytes) -> Any:
    """The value :func:`encode_value` encoded (``ValueError`` on bytes it did not write)."""
    if data[:1] == b'"':  # a string: orjson reads it exactly (numbers it may not: 2**70)
        try:
            text: str = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # an escaped lone surrogate, which json reads (or not JSON: it raises)
        else:
            return text
    return _untag(json.loads(data))


PLAIN_TYPES = (str, int, bool)
"""Value types orjson writes and reads back exactly (an int beyond 64 bits it refuses to
write; a float it would write NaN of as null)."""
_TAGGED = b"t"


def encode_fields(values: Mapping[str, object]) -> bytes:
    """The bytes that :func:`decode_fields` turns back into ``values`` (field path → value):
    one JSON object, written by orjson when every value is text, an integer or a boolean
    (most classified fields), else tagged (as :func:`encode_value`) after a ``t``.

    Raises:
        UnsupportedValue: a value holds a type that is not event data.
    """
    for value in values.values():
        if type(value) not in PLAIN_TYPES:
            break
    else:
        try:
            return orjson.dumps(values)
        except orjson.JSONEncodeError:  # an int beyond 64 bits, lone surrogates: tagged
            pass
    return _TAGGED + _json({path: _tag(value) for path, value in values.items()})


def _json(tagged: object) -> bytes:
    """JSON bytes of tagged values: UTF-8, or escaped where text holds lone surrogates
    (which UTF-8 cannot carry and ``json.loads`` reads back exactly)."""
    text = json.dumps(tagged, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(tagged, separators=(",", ":")).encode()


def decode_fields(data: bytes) -> dict[str, Any]:
    """The values :func:`encode_fields` encoded (``ValueError`` on bytes it did not write)."""
    try:
        if data[:1] == b"{":
            plain = orjson.loads(data)
            if type(plain) is dict:
                return plain
        elif data[:1] == _TAGGED:
            tagged = json.loads(data[1:])
            if type(tagged) is dict:
                return {path: _untag(value) for path, value in tagged.items()}
    except (orjson.JSONDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    raise ValueError("the plaintext is not an object of fields")


def _tag(value: object) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_tag(item) for item in value]
    if isinstance(value, Mapping):
        return {"$": "map", "v": {str(key): _tag(item) for key, item in value.items()}}
    # datetime before date: a datetime is a date too.
    for kind in (bytes, Decimal, dt.datetime, dt.date, dt.time, uuid.UUID):
        if isinstance(value, kind):
            name, encode = _ENCODERS[kind]
            return {"$": name, "v": encode(value)}
    raise UnsupportedValue(type(value).__name__)


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(item) for item in value]
    if isinstance(value, dict):
        kind, inner = value["$"], value["v"]
        if kind == "map":
            return {key: _untag(item) for key, item in inner.items()}
        return _DECODERS[kind](inner)
    return value
