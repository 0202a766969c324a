"""Column values to and from their JSON form, as ksqlDB's JSON format writes and reads them.

The JSON form is what JSON and JSON_SR payloads hold and what the other formats' text and
registry encodings start from: DECIMAL a number (``decimal.Decimal``, so no digit is lost),
BYTES base64 text, DATE days since the epoch, TIME milliseconds of the day, TIMESTAMP
milliseconds since the epoch. Reading is as lenient as ksqlDB: numbers given as text, text
columns given numbers, field names of any case.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from streammesh.streams.types import (
    ArrayType,
    BaseType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
    type_text,
)

EPOCH = datetime.date(1970, 1, 1)
_EPOCH_TIME = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_INT_RANGES = {
    BaseType.INTEGER: (-(2**31), 2**31 - 1),
    BaseType.BIGINT: (-(2**63), 2**63 - 1),
}
_MS_PER_DAY = 86_400_000


class ValueMismatch(Exception):
    """A value does not fit its type; ``path`` locates it under the column (``.CITY``, ``[2]``).

    Internal to the formats: each serde turns it into its public error naming the column.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def describe(value: object) -> str:
    """A value as messages show it: its JSON kind and a short text."""
    kinds = {bool: "boolean", int: "number", float: "number", Decimal: "number", str: "string"}
    kind = next((name for cls, name in kinds.items() if type(value) is cls), None)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if kind is None:
        return f"a {type(value).__name__}"
    shown = repr(value) if isinstance(value, str) else str(value).lower()
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"the {kind} {shown}"


# --- reading: the JSON form to column values -------------------------------------------------


def from_json(value: object, kind: SqlType, path: str) -> object:
    """The column value of type ``kind`` that the JSON ``value`` holds.

    Raises:
        ValueMismatch: ``value`` cannot be read as ``kind``.
    """
    if value is None:
        return None
    reader = _READERS.get(kind.base)
    if reader is not None:
        return reader(value, kind, path)
    if isinstance(kind, DecimalType):
        return fit_decimal(_decimal_from_json(value, kind, path), kind, path)
    if isinstance(kind, ArrayType):
        if not isinstance(value, list):
            raise _expected(kind, value, path)
        return [from_json(item, kind.element, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(kind, MapType):
        if not isinstance(value, Mapping):
            raise _expected(kind, value, path)
        return {
            from_json(key, kind.key, f"{path} key {key!r}"): from_json(
                item, kind.value, f"{path}[{key!r}]"
            )
            for key, item in value.items()
        }
    if isinstance(kind, StructType):
        if not isinstance(value, Mapping):
            raise _expected(kind, value, path)
        return {
            item.name: from_json(lookup(value, item.name), item.type, f"{path}.{item.name}")
            for item in kind.fields
        }
    raise ValueMismatch(path, f"type {type_text(kind)} is not supported")


def lookup(document: Mapping[str, object], name: str) -> object:
    """The value of the first property named ``name`` in any case (ksqlDB's rule), or None."""
    if name in document:
        return document[name]
    folded = name.casefold()
    for key, item in document.items():
        if isinstance(key, str) and key.casefold() == folded:
            return item
    return None


def _expected(kind: SqlType, value: object, path: str) -> ValueMismatch:
    return ValueMismatch(path, f"expected {type_text(kind)}, got {describe(value)}")


def _boolean(value: object, kind: SqlType, path: str) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _expected(kind, value, path)


def _integer(value: object, kind: SqlType, path: str) -> object:
    number: int
    if isinstance(value, bool):
        raise _expected(kind, value, path)
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal | float) and math.isfinite(value):
        number = int(value)  # ksqlDB takes a JSON number's integer part (Jackson's intValue)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise _expected(kind, value, path) from None
    else:
        raise _expected(kind, value, path)
    low, high = _INT_RANGES[kind.base]
    if not low <= number <= high:
        raise ValueMismatch(path, f"{number} is out of the range of {type_text(kind)}")
    return number


def _double(value: object, kind: SqlType, path: str) -> object:
    if isinstance(value, bool):
        raise _expected(kind, value, path)
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise _expected(kind, value, path) from None
    raise _expected(kind, value, path)


def _string(value: object, kind: SqlType, path: str) -> object:
    if isinstance(value, str):
        return value
    # ksqlDB reads any JSON value into a STRING column as its JSON text.
    return dumps(value)


def _bytes(value: object, kind: SqlType, path: str) -> object:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueMismatch(
                path, f"expected base64 text for BYTES, got {describe(value)}"
            ) from None
    raise _expected(kind, value, path)


def _whole(value: object, kind: SqlType, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise _expected(kind, value, path)


def _date(value: object, kind: SqlType, path: str) -> object:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    days = _whole(value, kind, path)
    try:
        return EPOCH + datetime.timedelta(days=days)
    except OverflowError:
        raise ValueMismatch(path, f"{days} days since 1970-01-01 is out of range") from None


def _time(value: object, kind: SqlType, path: str) -> object:
    if isinstance(value, datetime.time):
        return value
    millis = _whole(value, kind, path)
    if not 0 <= millis < _MS_PER_DAY:
        raise ValueMismatch(path, f"{millis} ms is not a time of day (0 to 86399999)")
    return time_from_millis(millis)


def _timestamp(value: object, kind: SqlType, path: str) -> object:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    millis = _whole(value, kind, path)
    try:
        return timestamp_from_millis(millis)
    except OverflowError:
        raise ValueMismatch(path, f"{millis} ms since the epoch is out of range") from None


def _decimal_from_json(value: object, kind: SqlType, path: str) -> Decimal:
    if isinstance(value, bool):
        raise _expected(kind, value, path)
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):  # ksqlDB also reads decimals written as text
        try:
            return Decimal(value)
        except InvalidOperation:
            raise _expected(kind, value, path) from None
    raise _expected(kind, value, path)


def fit_decimal(value: Decimal, kind: DecimalType, path: str) -> Decimal:
    """``value`` at the scale of ``kind``; a value that needs rounding or more digits fails."""
    if not value.is_finite():
        raise ValueMismatch(path, f"{value} is not a number that {type_text(kind)} holds")
    try:
        scaled = value.quantize(Decimal(1).scaleb(-kind.scale))
    except InvalidOperation:
        scaled = None
    if scaled is None or scaled != value or len(scaled.as_tuple().digits) > kind.precision:
        raise ValueMismatch(
            path, f"cannot fit decimal '{value}' into {type_text(kind)} without rounding"
        )
    return scaled


_READERS = {
    BaseType.BOOLEAN: _boolean,
    BaseType.INTEGER: _integer,
    BaseType.BIGINT: _integer,
    BaseType.DOUBLE: _double,
    BaseType.STRING: _string,
    BaseType.BYTES: _bytes,
    BaseType.DATE: _date,
    BaseType.TIME: _time,
    BaseType.TIMESTAMP: _timestamp,
}


def reader_for(kind: SqlType) -> Callable[[object, SqlType, str], object]:
    """What :func:`from_json` calls for a value of ``kind`` that is not ``None`` (chosen once
    per column instead of once per value). For the common types the value already of the
    column's Python type is taken as it is, without the general checks (the same result)."""
    reader = _READERS.get(kind.base)
    if reader is None:
        return from_json
    return _FAST_READERS.get(kind.base, reader)


def _fast_integer(low: int, high: int) -> Callable[[object, SqlType, str], object]:
    def read(value: object, kind: SqlType, path: str) -> object:
        if type(value) is int and low <= value <= high:
            return value
        return _integer(value, kind, path)

    return read


def _fast_double(value: object, kind: SqlType, path: str) -> object:
    kind_of = type(value)
    if kind_of is float:
        return value
    if kind_of is Decimal or kind_of is int:
        return float(value)  # type: ignore[arg-type]
    return _double(value, kind, path)


def _fast_string(value: object, kind: SqlType, path: str) -> object:
    return value if type(value) is str else _string(value, kind, path)


_FAST_READERS: dict[BaseType, Callable[[object, SqlType, str], object]] = {
    BaseType.INTEGER: _fast_integer(*_INT_RANGES[BaseType.INTEGER]),
    BaseType.BIGINT: _fast_integer(*_INT_RANGES[BaseType.BIGINT]),
    BaseType.DOUBLE: _fast_double,
    BaseType.STRING: _fast_string,
}


class InexactNumber(Exception):
    """A reader of :func:`float_reader_for` met a number parsed as a binary float where the
    exact reading (the number's text, as ``Decimal``) could give another value or message.

    Internal to the JSON format: it then parses the record again, exactly.
    """


def float_reader_for(kind: SqlType) -> Callable[[object, SqlType, str], object] | None:
    """A reader like :func:`reader_for`'s for values parsed with fractions as binary floats
    (orjson), or ``None`` when ``kind`` needs the exact reading (DECIMAL, ARRAY, MAP, STRUCT).

    A DOUBLE takes a float as it is: a correctly rounded parse of the text gives the same
    double as ``float(Decimal(text))``. Any other type met with a float, and a STRING met
    with an array or object (written back as JSON text, digits included), raises
    :class:`InexactNumber`: ``1.50`` read exactly is the text ``1.50`` and the integer of
    ``1e20`` is exact, so only the exact parse gives ksqlDB's answer. Values of other JSON
    kinds are parsed alike by both, and read by the usual reader.
    """
    reader = _READERS.get(kind.base)
    if reader is None or type(kind) is not SqlType:
        return None
    if kind.base is BaseType.DOUBLE:
        return _fast_double
    if kind.base in _INT_RANGES:
        low, high = _INT_RANGES[kind.base]

        def integer(value: object, kind: SqlType, path: str) -> object:
            kind_of = type(value)
            if kind_of is int and low <= value <= high:  # type: ignore[operator]
                return value
            if kind_of is float:
                raise InexactNumber
            return _integer(value, kind, path)

        return integer
    if kind.base is BaseType.STRING:
        return _float_string
    general = reader

    def other(value: object, kind: SqlType, path: str) -> object:
        if type(value) is float:
            raise InexactNumber
        return general(value, kind, path)

    return other


def _float_string(value: object, kind: SqlType, path: str) -> object:
    kind_of = type(value)
    if kind_of is str:
        return value
    if kind_of is float or kind_of is list or kind_of is dict:
        raise InexactNumber
    return _string(value, kind, path)


# --- writing: column values to the JSON form -------------------------------------------------


def to_json(value: object, kind: SqlType, path: str) -> object:
    """The JSON form of the column value ``value`` of type ``kind``, checking it fits.

    Raises:
        ValueMismatch: ``value`` is not a value of ``kind`` (see the module for the types).
    """
    if value is None:
        return None
    base = kind.base
    if base is BaseType.BOOLEAN and isinstance(value, bool):
        return value
    if base in _INT_RANGES and isinstance(value, int) and not isinstance(value, bool):
        low, high = _INT_RANGES[base]
        if not low <= value <= high:
            raise ValueMismatch(path, f"{value} is out of the range of {type_text(kind)}")
        return value
    if base is BaseType.DOUBLE and isinstance(value, float | int) and not isinstance(value, bool):
        return float(value)
    if isinstance(kind, DecimalType) and isinstance(value, Decimal | int):
        if isinstance(value, bool):
            raise _expected(kind, value, path)
        return fit_decimal(Decimal(value), kind, path)
    if base is BaseType.STRING and isinstance(value, str):
        return value
    if base is BaseType.BYTES and isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if base is BaseType.DATE and type(value) is datetime.date:
        return (value - EPOCH).days
    if base is BaseType.TIME and isinstance(value, datetime.time):
        return time_millis(value)
    if base is BaseType.TIMESTAMP and isinstance(value, datetime.datetime):
        return timestamp_millis(value)
    if isinstance(kind, ArrayType) and isinstance(value, list | tuple):
        return [to_json(item, kind.element, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(kind, MapType) and isinstance(value, Mapping):
        return {
            _map_key(to_json(key, kind.key, f"{path} key {key!r}")): to_json(
                item, kind.value, f"{path}[{key!r}]"
            )
            for key, item in value.items()
        }
    if isinstance(kind, StructType) and isinstance(value, Mapping):
        unknown = sorted(set(value) - {item.name for item in kind.fields})
        if unknown:
            raise ValueMismatch(path, f"{type_text(kind)} has no field '{unknown[0]}'")
        return {
            item.name: to_json(value.get(item.name), item.type, f"{path}.{item.name}")
            for item in kind.fields
        }
    raise ValueMismatch(
        path, f"expected a value of type {type_text(kind)}, got {type(value).__name__} {value!r}"
    )


def writer_for(kind: SqlType, path: str) -> Callable[[object], object]:
    """``value -> to_json(value, kind, path)``, chosen once per column: a value of the
    column's usual Python type skips the general checks (the same result).

    The writer raises :class:`ValueMismatch` as :func:`to_json` does.
    """
    base = kind.base
    if type(kind) is not SqlType:  # DECIMAL, ARRAY, MAP, STRUCT
        return lambda value: to_json(value, kind, path)
    if base in _INT_RANGES:
        low, high = _INT_RANGES[base]

        def integer(value: object) -> object:
            if type(value) is int and low <= value <= high:
                return value
            return to_json(value, kind, path)

        return integer
    if base is BaseType.DOUBLE:
        return lambda value: value if type(value) is float else to_json(value, kind, path)
    if base is BaseType.STRING:
        return lambda value: value if type(value) is str else to_json(value, kind, path)
    if base is BaseType.BOOLEAN:
        return lambda value: value if type(value) is bool else to_json(value, kind, path)
    return lambda value: to_json(value, kind, path)


def _map_key(key: object) -> str:
    return key if isinstance(key, str) else dumps(key)


def time_millis(value: datetime.time) -> int:
    """Milliseconds since midnight (sub-millisecond digits are dropped, as ksqlDB's TIME)."""
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def time_from_millis(millis: int) -> datetime.time:
    """The time of day ``millis`` milliseconds after midnight."""
    seconds, ms = divmod(millis, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return datetime.time(hour, minute, second, ms * 1000)


def timestamp_from_millis(millis: int) -> datetime.datetime:
    """The aware UTC datetime ``millis`` milliseconds after the epoch."""
    return _EPOCH_TIME + datetime.timedelta(milliseconds=millis)


def timestamp_millis(value: datetime.datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (a naive one is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    delta = value - _EPOCH_TIME
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


# --- JSON text -------------------------------------------------------------------------------


def dumps(value: object) -> str:
    """Compact JSON text as ksqlDB (Jackson) writes it: decimals in plain notation with their
    scale (``1.50``), doubles as Java prints them (``1.0E7``)."""
    if isinstance(value, Mapping):
        items = (
            f"{json.dumps(str(key), ensure_ascii=False)}:{dumps(item)}"
            for key, item in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, Decimal):
        # A BigDecimal has no negative zero: ``-0.00`` is written ``0.00``.
        return format(value.copy_abs() if value.is_zero() else value, "f")
    if isinstance(value, float):
        return java_double(value)
    return json.dumps(value, ensure_ascii=False)


def java_double(value: float) -> str:
    """``Double.toString``: shortest digits, scientific (``1.0E-4``) outside [1e-3, 1e7)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    mantissa = shown[0] + "." + (shown[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"
