"""The bytes a join keeps in its state stores: SQL values, rows and join keys.

The encoding is self-delimiting (every value says its own length), so the bytes of a
foreign key followed by the bytes of a primary key can be scanned by the foreign key's prefix
without one key's bytes ever being the start of another's. Equal values give equal bytes,
which is what store keys need. It is the mesh's own internal layout: nothing outside the
join operators and their changelogs reads it.
"""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

__all__ = ["decode", "encode"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DAY = dt.date(1970, 1, 1)
_LENGTH = struct.Struct(">I")
_INT = struct.Struct(">q")
_DOUBLE = struct.Struct(">d")

# One tag byte per kind of value.
_NULL, _TRUE, _FALSE = b"N", b"T", b"F"
_INTEGER, _BIG, _FLOAT, _DECIMAL = b"i", b"I", b"d", b"m"
_TEXT, _BYTES, _DATE, _TIME, _TIMESTAMP = b"s", b"b", b"D", b"H", b"Z"
_LIST, _MAP, _TUPLE = b"l", b"o", b"r"


def encode(value: object) -> bytes:
    """The bytes of a SQL value, a row (tuple) or a join key.

    Raises:
        TypeError: ``value`` is not one of the values a row holds.
    """
    out = bytearray()
    _write(out, value)
    return bytes(out)


def decode(data: bytes) -> object:
    """The value :func:`encode` made ``data`` from.

    Raises:
        ValueError: ``data`` is not such an encoding (a damaged store).
    """
    try:
        value, end = _read(data, 0)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise ValueError(f"not an encoded join value: {exc}") from exc
    if end != len(data):
        raise ValueError(f"not an encoded join value: {len(data) - end} trailing bytes")
    return value


def _sized(out: bytearray, tag: bytes, payload: bytes) -> None:
    out += tag + _LENGTH.pack(len(payload)) + payload


def _write(out: bytearray, value: object) -> None:
    if value is None:
        out += _NULL
    elif value is True:
        out += _TRUE
    elif value is False:
        out += _FALSE
    elif isinstance(value, int):
        if -(2**63) <= value < 2**63:
            out += _INTEGER + _INT.pack(value)
        else:
            _sized(out, _BIG, str(value).encode())
    elif isinstance(value, float):
        out += _FLOAT + _DOUBLE.pack(value)
    elif isinstance(value, Decimal):
        _sized(out, _DECIMAL, str(value).encode())
    elif isinstance(value, str):
        _sized(out, _TEXT, value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, bytes | bytearray | memoryview):
        _sized(out, _BYTES, bytes(value))
    elif isinstance(value, dt.datetime):
        delta = value.astimezone(dt.UTC) - _EPOCH
        out += _TIMESTAMP + _INT.pack(delta // dt.timedelta(microseconds=1))
    elif isinstance(value, dt.date):
        out += _DATE + _INT.pack((value - _EPOCH_DAY).days)
    elif isinstance(value, dt.time):
        micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000
        out += _TIME + _INT.pack(micros + value.microsecond)
    elif isinstance(value, tuple | list):
        out += (_TUPLE if isinstance(value, tuple) else _LIST) + _LENGTH.pack(len(value))
        for item in value:
            _write(out, item)
    elif isinstance(value, dict):
        out += _MAP + _LENGTH.pack(len(value))
        for key, item in value.items():
            _write(out, key)
            _write(out, item)
    else:
        raise TypeError(f"a join cannot store a {type(value).__name__} value: {value!r}")


def _read(data: bytes, at: int) -> tuple[object, int]:
    tag = data[at : at + 1]
    at += 1
    if tag == _NULL:
        return None, at
    if tag == _TRUE:
        return True, at
    if tag == _FALSE:
        return False, at
    if tag in (_INTEGER, _FLOAT, _DATE, _TIME, _TIMESTAMP):
        end = at + 8
        chunk = data[at:end]
        if tag == _FLOAT:
            return _DOUBLE.unpack(chunk)[0], end
        number: int = _INT.unpack(chunk)[0]
        if tag == _INTEGER:
            return number, end
        if tag == _DATE:
            return _EPOCH_DAY + dt.timedelta(days=number), end
        if tag == _TIME:
            return (dt.datetime.min + dt.timedelta(microseconds=number)).time(), end
        return _EPOCH + dt.timedelta(microseconds=number), end
    if tag in (_BIG, _DECIMAL, _TEXT, _BYTES):
        (size,) = _LENGTH.unpack_from(data, at)
        start = at + _LENGTH.size
        payload = data[start : start + size]
        if len(payload) != size:
            raise IndexError("value cut short")
        end = start + size
        if tag == _BIG:
            return int(payload.decode()), end
        if tag == _DECIMAL:
            return Decimal(payload.decode()), end
        if tag == _TEXT:
            return payload.decode("utf-8", "surrogatepass"), end
        return bytes(payload), end
    if tag in (_LIST, _TUPLE, _MAP):
        (count,) = _LENGTH.unpack_from(data, at)
        at += _LENGTH.size
        if tag == _MAP:
            mapping: dict[object, object] = {}
            for _ in range(count):
                key, at = _read(data, at)
                mapping[key], at = _read(data, at)
            return mapping, at
        items: list[object] = []
        for _ in range(count):
            item, at = _read(data, at)
            items.append(item)
        return (tuple(items) if tag == _TUPLE else items), at
    raise IndexError(f"unknown tag {tag!r}")
