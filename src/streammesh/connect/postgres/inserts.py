"""The hot path of change data capture: an insert into a captured table, in one function.

Most of what a CDC source reads are inserts, and each one used to pass through four steps
of general code: the pgoutput TupleData decoded into a tuple of texts, zipped into a row,
each value converted to its Avro type into a new row, a :class:`SourceRecord` made of it.
:func:`compile_insert` writes that as one straight-line function per table layout (built
when the table's Relation message arrives): each column's value is sliced off the payload
and converted where it lies, integers and floats parsed from the bytes, the row and the
record built once.

The function is only ever a shortcut: wherever the general path would do something else
than produce the record — a value that does not convert (a dead letter), a column count that
is not the layout's, a binary or unchanged value, a malformed payload (an error) — it
returns ``None`` and the stream takes the general path, which then does exactly what it did
before. So the records it makes are the general path's, value for value.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import struct
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from streammesh.connect.base import Position, SourceRecord
from streammesh.connect.columns import Column, value_converter

__all__ = ["InsertFunction", "compile_insert", "set_position"]

InsertFunction = Callable[[bytes, "int | None"], "SourceRecord | None"]
"""An Insert message's payload and its transaction's commit time → its record (position
still to be set), or ``None``: take the general path."""

_INT = struct.Struct("!i").unpack_from
_TEXT, _NULL = ord("t"), ord("n")
_INTEGERS = frozenset(("int2", "int4", "int8", "oid"))
_FLOATS = frozenset(("float4", "float8"))

# Setting a frozen record's slots directly: a third of the cost of its generated __init__
# (one record per row; the record is new and no one else holds it yet).
_NEW = object.__new__
_SETTERS = {
    name: getattr(SourceRecord, name).__set__
    for name in ("product", "key", "value", "position", "timestamp_ms", "headers", "stream")
}
if set(_SETTERS) != {field.name for field in dataclasses.fields(SourceRecord)}:
    # A field added to SourceRecord must be set here too, or its records would lack it.
    raise ImportError("SourceRecord's fields changed: update postgres.inserts to set them")

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
"""The headers of every record of an insert: none (one read-only mapping shared by all)."""

set_position: Callable[[SourceRecord, Position], None] = _SETTERS["position"]
"""Gives a record just made its position (see :data:`_SETTERS`)."""


def compile_insert(product: str, table: str, columns: Sequence[Column]) -> InsertFunction:
    """The function making the record of an insert into ``table`` (its columns as the
    Relation message lists them) for ``product``, as the plain envelope makes it: the row
    converted to the columns' Avro values, the primary key its key (one column: its value;
    several: a record of them by name; none: ``None``)."""
    namespace: dict[str, Any] = {
        "_int": _INT,
        "_iso": datetime.datetime.fromisoformat,
        "_UTC": datetime.UTC,
        "_Decimal": decimal.Decimal,
        "_new": _NEW,
        "_Record": SourceRecord,
        "_count": struct.pack("!h", len(columns)),
        "_product": product,
        "_no_headers": _NO_HEADERS,
        "_table": table,
        **{f"_set_{name}": setter for name, setter in _SETTERS.items()},
    }
    lines = [
        "def insert(data, commit_time_ms):",
        "    try:",
        "        if data[6:8] != _count:",  # after 'I', the relation OID and 'N'
        "            return None",
        "        o = 8",
    ]
    for index, column in enumerate(columns):
        namespace[f"_n{index}"] = column.name
        text = "data[o - n:o]"
        converter = value_converter(column)
        namespace[f"_c{index}"] = converter
        check: list[str] = []
        if column.sql_type in _INTEGERS:
            value = f"int({text})"
        elif column.sql_type in _FLOATS:
            value = f"float({text})"
        elif converter is None:  # text: kept as it is
            value = f"{text}.decode()"
        elif column.sql_type == "timestamptz":
            # The session's TimeZone is UTC: the text ends in +00, and fromisoformat reads
            # it as the UTC moment the converter would give. Anything else: the converter.
            value = f"_iso({text}.decode())"
            check = [f"            if v{index}.tzinfo is not _UTC:", "                return None"]
        elif column.sql_type == "numeric" and column.precision is not None:
            # The converter's rule (quantized to the scale, at most `precision` digits) as
            # a bound: |v| < 10^(precision - scale). NaN and infinities raise here.
            scale = column.scale or 0
            namespace[f"_q{index}"] = decimal.Decimal(1).scaleb(-scale)
            namespace[f"_m{index}"] = decimal.Decimal(1).scaleb(column.precision - scale)
            value = f"_Decimal({text}.decode()).quantize(_q{index})"
            check = [
                f"            if not -_m{index} < v{index} < _m{index}:",
                "                return None",
            ]
        else:
            value = f"_c{index}({text}.decode())"
        lines += [
            "        k = data[o]",
            f"        if k == {_TEXT}:",
            "            (n,) = _int(data, o + 1)",
            "            o += 5 + n",
            f"            v{index} = {value}",
            *check,
            f"        elif k == {_NULL}:",
            "            o += 1",
            f"            v{index} = None",
            "        else:",  # binary, or an unchanged TOASTed value: the general path
            "            return None",
        ]
    keys = [index for index, column in enumerate(columns) if column.primary_key]
    if len(keys) == 1:
        key = f"v{keys[0]}"
    elif keys:
        key = "{" + ", ".join(f"_n{index}: v{index}" for index in keys) + "}"
    else:
        key = "None"
    row = "{" + ", ".join(f"_n{index}: v{index}" for index in range(len(columns))) + "}"
    lines += [
        "        if o != len(data):",
        "            return None",
        # Whatever went wrong, the general path does it again and says what it is.
        "    except Exception:",
        "        return None",
        "    record = _new(_Record)",
        "    _set_product(record, _product)",
        f"    _set_key(record, {key})",
        f"    _set_value(record, {row})",
        "    _set_position(record, {})",
        "    _set_timestamp_ms(record, commit_time_ms)",
        "    _set_headers(record, _no_headers)",
        "    _set_stream(record, _table)",
        "    return record",
    ]
    exec(compile("\n".join(lines), f"<insert into {table}>", "exec"), namespace)
    function: InsertFunction = namespace["insert"]
    return function
