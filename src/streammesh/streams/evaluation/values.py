"""Python values of SQL types, and the conversions between them.

Representation (what a row holds and an expression returns): BOOLEAN ``bool``; INTEGER and
BIGINT ``int``, wrapped to 32 and 64 bits like Java's ``int`` and ``long`` (ksqlDB runs on
the JVM, where ``2147483647 + 1`` is ``-2147483648``); DECIMAL ``decimal.Decimal`` at the
type's scale; DOUBLE ``float``; STRING ``str``; BYTES ``bytes``; DATE ``datetime.date``;
TIME ``datetime.time``; TIMESTAMP an aware ``datetime.datetime`` in UTC; ARRAY ``list``;
MAP ``dict``; STRUCT ``dict`` in field order. NULL is ``None``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from streammesh.streams.types import (
    ArrayType,
    BaseType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
)

Converter = Callable[[Any], Any]
"""A function from a non-NULL value of one type to a value of another (or ``None``)."""

DECIMALS = Context(prec=200, rounding=ROUND_HALF_UP)
"""Exact enough for any DECIMAL(38, s) arithmetic before the result is rounded to its scale."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def wrap32(value: int) -> int:
    """``value`` as Java's ``int`` would hold it (two's complement, 32 bits)."""
    return ((value + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def wrap64(value: int) -> int:
    """``value`` as Java's ``long`` would hold it (two's complement, 64 bits)."""
    return ((value + 0x8000000000000000) & 0xFFFFFFFFFFFFFFFF) - 0x8000000000000000


def wrapper(kind: SqlType) -> Callable[[int], int]:
    """:func:`wrap32` for INTEGER, :func:`wrap64` otherwise."""
    return wrap32 if kind.base is BaseType.INTEGER else wrap64


def rescale(value: Decimal, kind: DecimalType) -> Decimal | None:
    """``value`` rounded half up to the type's scale; ``None`` if it does not fit the
    precision (ksqlDB fails the expression, which yields NULL)."""
    result = value.quantize(Decimal(1).scaleb(-kind.scale), context=DECIMALS)
    if len(result.as_tuple().digits) > kind.precision and result != 0:
        return None
    return result


def timestamp_from_millis(millis: int) -> datetime:
    """A TIMESTAMP from milliseconds since the epoch."""
    return datetime.fromtimestamp(millis / 1000, UTC).replace(microsecond=(millis % 1000) * 1000)


def millis_of(value: datetime) -> int:
    """Milliseconds since the epoch of a TIMESTAMP (a naive one is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def java_double(value: float) -> str:
    """``value`` as Java's ``Double.toString`` writes it (``1.0``, ``1.0E7``, ``NaN``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text else f"{text}.0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = len(text) - 1 + exponent
    mantissa = f"{text[0]}.{text[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{power}"


def sql_text(value: Any) -> str:
    """A non-NULL value as ksqlDB's ``CAST(x AS STRING)`` writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}"
    if isinstance(value, time):
        text = value.strftime("%H:%M:%S")
        return f"{text}.{value.microsecond // 1000:03d}" if value.microsecond else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(sql_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{sql_text(k)}={sql_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def coercer(source: SqlType, target: SqlType) -> Converter | None:
    """The implicit conversion of a value of ``source`` to ``target`` (widening), or ``None``
    when the value is already right as it is."""
    if source == target:
        return None
    if target.base is BaseType.DOUBLE and source.base in {
        BaseType.INTEGER,
        BaseType.BIGINT,
        BaseType.DECIMAL,
    }:
        return float
    if isinstance(target, DecimalType):
        if source.base in {BaseType.INTEGER, BaseType.BIGINT}:
            return lambda value: Decimal(value).quantize(Decimal(1).scaleb(-target.scale))
        if isinstance(source, DecimalType):
            if source.scale == target.scale:
                return None
            return lambda value: value.quantize(Decimal(1).scaleb(-target.scale), context=DECIMALS)
        return None
    if isinstance(source, ArrayType) and isinstance(target, ArrayType):
        inner = coercer(source.element, target.element)
        if inner is None:
            return None
        return lambda value: [None if item is None else inner(item) for item in value]
    if isinstance(source, MapType) and isinstance(target, MapType):
        keys, values = coercer(source.key, target.key), coercer(source.value, target.value)
        if keys is None and values is None:
            return None
        key_of = keys or (lambda item: item)
        value_of = values or (lambda item: item)
        return lambda value: {
            key_of(k) if k is not None else None: value_of(v) if v is not None else None
            for k, v in value.items()
        }
    if isinstance(source, StructType) and isinstance(target, StructType):
        return _struct_converter(source, target, coercer)
    return None


def _struct_converter(
    source: StructType,
    target: StructType,
    inner: Callable[[SqlType, SqlType], Converter | None],
) -> Converter:
    plan: list[tuple[str, Converter | None, bool]] = []
    for item in target.fields:
        mine = source.field(item.name)
        if mine is None:
            plan.append((item.name, None, False))
        else:
            plan.append((item.name, inner(mine.type, item.type), True))

    def convert(value: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, function, present in plan:
            field = value.get(name) if present else None
            result[name] = function(field) if function and field is not None else field
        return result

    return convert


_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _to_integer(kind: SqlType) -> Converter:
    wrap = wrapper(kind)
    low, high = (-(2**31), 2**31 - 1) if kind.base is BaseType.INTEGER else (-(2**63), 2**63 - 1)

    def from_text(value: str) -> int | None:
        text = value.strip()
        if not _INTEGER_TEXT.fullmatch(text):
            return None
        number = int(text)
        return number if low <= number <= high else None

    def convert(value: Any) -> int | None:
        if isinstance(value, str):
            return from_text(value)
        if isinstance(value, float):
            # Java's (int)/(long) of a double: NaN is 0, out of range saturates.
            if math.isnan(value):
                return 0
            if math.isinf(value):
                return high if value > 0 else low
            return max(low, min(high, int(value)))
        if isinstance(value, Decimal):
            return wrap(int(value.to_integral_value(rounding=ROUND_DOWN)))
        return wrap(int(value))

    return convert


def _to_double(value: Any) -> float | None:
    if isinstance(value, str):
        text = value.strip()
        if text in {"NaN", "Infinity", "+Infinity", "-Infinity"}:
            return float(text.replace("Infinity", "inf"))
        return float(text) if _NUMBER_TEXT.fullmatch(text) else None
    return float(value)


def _to_decimal(kind: DecimalType) -> Converter:
    def convert(value: Any) -> Decimal | None:
        if isinstance(value, str):
            text = value.strip()
            if not _NUMBER_TEXT.fullmatch(text):
                return None
            number = Decimal(text)
        elif isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                return None
            number = Decimal(repr(value))
        else:
            number = Decimal(value)
        try:
            return rescale(number, kind)
        except InvalidOperation:
            return None

    return convert


def _to_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _to_time(value: Any) -> time | None:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).time()
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        return None


def _to_timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def caster(source: SqlType, target: SqlType) -> Converter:
    """The conversion ``CAST(x AS target)`` applies to a non-NULL ``x`` of ``source``.

    A value that does not convert (``CAST('abc' AS INTEGER)``, a number too large for the
    type) gives ``None``: ksqlDB logs the failure to its processing log and the expression
    is NULL. Call only when :func:`~streammesh.streams.evaluation.rules.castable` allows.
    """
    if source == target:
        return lambda value: value
    base = target.base
    if base is BaseType.STRING:
        return sql_text
    if base is BaseType.BOOLEAN:
        return lambda value: value.strip().lower() == "true"
    if base in {BaseType.INTEGER, BaseType.BIGINT}:
        return _to_integer(target)
    if base is BaseType.DOUBLE:
        return _to_double
    if isinstance(target, DecimalType):
        return _to_decimal(target)
    if base is BaseType.DATE:
        return _to_date
    if base is BaseType.TIME:
        return _to_time
    if base is BaseType.TIMESTAMP:
        return _to_timestamp
    if isinstance(source, ArrayType) and isinstance(target, ArrayType):
        inner = caster(source.element, target.element)
        return lambda value: [None if item is None else inner(item) for item in value]
    if isinstance(source, MapType) and isinstance(target, MapType):
        keys, values = caster(source.key, target.key), caster(source.value, target.value)
        return lambda value: {
            keys(k) if k is not None else None: values(v) if v is not None else None
            for k, v in value.items()
        }
    if isinstance(source, StructType) and isinstance(target, StructType):
        return _struct_converter(source, target, caster)
    raise ValueError(f"no cast from {source} to {target}")
