"""JSON rows read from and written with orjson by functions compiled per schema.

``JsonSerde`` reads a record of a known shape with one generated function: each column's
property taken from orjson's dict by name, the usual Python type of its column (``int`` in
range, ``float``, ``str``, ``bool``) kept as it is by an inline check, anything else given to
the column's reader (:func:`~streammesh.streams.formats.values.float_reader_for`, which
raises ``InexactNumber`` when only the exact parse gives ksqlDB's answer). Rows are written
the same way: each value checked inline, the column's writer for anything unusual, a double
outside Java's plain range as Java's text (an ``orjson.Fragment``), and the dict of the
columns written by ``orjson.dumps`` — the bytes ``values.dumps`` writes. Generated Python, as
``streammesh.serde.avro_writer``: a row costs one call instead of one per column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from streammesh.streams.formats.base import Column, Row
from streammesh.streams.formats.values import java_double, writer_for
from streammesh.streams.types import BaseType, SqlType

__all__ = ["PLAIN_DOUBLES", "compile_reader", "compile_writer"]

_Reader = Callable[[object, SqlType, str], object]
_INT_RANGES = {
    BaseType.INTEGER: (-(2**31), 2**31 - 1),
    BaseType.BIGINT: (-(2**63), 2**63 - 1),
}
_USUAL = {BaseType.DOUBLE: "float", BaseType.STRING: "str", BaseType.BOOLEAN: "bool"}
"""The Python type a column's value usually has (integers: ``int`` and in range)."""
PLAIN_DOUBLES = (1e-3, 1e7)
"""Java's ``Double.toString`` writes a double in [1e-3, 1e7) as its shortest digits in plain
notation (``1.0``, ``0.001``), as orjson does; outside, its own scientific form (``1.0E7``)."""


def _usual(kind: SqlType, value: str) -> str | None:
    """A condition true when ``value`` is of ``kind``'s usual Python type (and range)."""
    if type(kind) is not SqlType:
        return None
    if kind.base in _INT_RANGES:
        low, high = _INT_RANGES[kind.base]
        return f"type({value}) is int and {low} <= {value} <= {high}"
    usual = _USUAL.get(kind.base)
    return None if usual is None else f"type({value}) is {usual}"


def compile_reader(
    columns: Sequence[Column],
    readers: Sequence[_Reader],
    taken: Sequence[str | None],
) -> Callable[[dict[str, Any]], Row]:
    """A function from an object orjson parsed to its row: column ``i`` takes the property
    ``taken[i]`` (``None``: no property, NULL) read by ``readers[i]``.

    The function raises what the readers raise (``ValueMismatch``, ``InexactNumber``).
    """
    lines = ["def read(document):"]
    constants: dict[str, Any] = {}
    names = []
    for index, (column, reader, name) in enumerate(zip(columns, readers, taken, strict=True)):
        value = f"v{index}"
        names.append(value)
        if name is None:
            lines.append(f"    {value} = None")
            continue
        constants[f"r{index}"], constants[f"k{index}"] = reader, column.type
        lines.append(f"    {value} = document[{name!r}]")
        usual = _usual(column.type, value)
        slow = f"r{index}({value}, k{index}, {column.name!r})"
        if usual is None:
            lines.append(f"    if {value} is not None:")
        else:
            lines.append(f"    if {value} is not None and not ({usual}):")
        lines.append(f"        {value} = {slow}")
    lines.append(f"    return ({', '.join(names)},)")
    exec(compile("\n".join(lines), "<JSON row reader>", "exec"), constants)
    return constants["read"]  # type: ignore[no-any-return]


def compile_writer(
    columns: Sequence[Column], *, wrapped: bool
) -> Callable[[Sequence[object]], Any]:
    """A function from a row (of ``len(columns)`` values) to its JSON text as orjson writes
    it (``wrapped``: the object of the columns) or, not wrapped, to the one value to write
    (``None`` for NULL) — for columns whose JSON form is a scalar and whose names orjson
    writes as ``json.dumps`` does (the caller checks).

    The function raises ``ValueMismatch`` for a value that does not fit its column and
    ``orjson.JSONEncodeError`` for text orjson refuses (a lone surrogate).
    """
    width = len(columns)
    lines = ["def write(row):"]
    values = [f"v{index}" for index in range(width)]
    lines.append(f"    ({', '.join(values)},) = row")
    constants: dict[str, Any] = {
        "Fragment": orjson.Fragment,
        "java_double": java_double,
        "dumps": orjson.dumps,
    }
    low, high = PLAIN_DOUBLES
    for index, column in enumerate(columns):
        value = values[index]
        constants[f"w{index}"] = writer_for(column.type, column.name)
        usual = _usual(column.type, value)
        if usual is None:
            lines.append(f"    {value} = w{index}({value})")
        else:
            lines.append(f"    if not ({usual}):")
            lines.append(f"        {value} = w{index}({value})")
        if column.type.base is BaseType.DOUBLE:
            # 0.0, -0.0 and None are written alike; NaN and the infinities are not plain.
            lines.append(f"    if {value} and not {low!r} <= abs({value}) < {high!r}:")
            lines.append(f"        {value} = Fragment(java_double({value}))")
    if wrapped:
        items = ", ".join(f"{column.name!r}: {values[i]}" for i, column in enumerate(columns))
        lines.append(f"    return dumps({{{items}}})")
    else:
        lines.append(f"    return {values[0]}")
    exec(compile("\n".join(lines), "<JSON row writer>", "exec"), constants)
    return constants["write"]  # type: ignore[no-any-return]
