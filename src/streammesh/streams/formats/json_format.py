"""ksqlDB's JSON format: a row as a JSON object of its columns, or one bare value.

Several columns (and, by default, one value column) are written as an object whose property
names are the column names; reading matches property names to columns in any case, taking the
first match, and a missing property is NULL. A single key column, or a single value column with
``WRAP_SINGLE_VALUE=false``, is written as the bare JSON value. Payloads that JSON_SR wrote
(magic byte 0 and a schema id before the JSON) are read too, as ksqlDB's JSON format does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal

from streammesh.streams.formats.base import Column, FormatName, Row
from streammesh.streams.formats.errors import DeserializationFailed, SerializationFailed
from streammesh.streams.formats.values import ValueMismatch, describe, dumps, from_json, lookup
from streammesh.streams.formats.values import to_json as value_to_json

_WIRE_HEADER = 5


class JsonSerde:
    """Rows to JSON text and back (see the module)."""

    __slots__ = ("_columns", "_format", "_wrapped")

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        wrapped: bool,
        format_name: FormatName = FormatName.JSON,
    ) -> None:
        """Args:
        columns: The columns of the key or the value.
        wrapped: Write an object of the columns; ``False`` (one column only) the bare value.
        format_name: How messages name the format.
        """
        self._columns = tuple(columns)
        self._wrapped = wrapped
        self._format = format_name

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, in order."""
        return self._columns

    @property
    def wrapped(self) -> bool:
        """Whether rows are JSON objects (``False``: one bare value)."""
        return self._wrapped

    def to_document(self, row: Sequence[object]) -> object:
        """The JSON document (Python data, decimals as ``Decimal``) that ``row`` is written as.

        Raises:
            SerializationFailed: a value does not fit its column.
        """
        if len(row) != len(self._columns):
            raise SerializationFailed(
                self._format,
                ", ".join(column.name for column in self._columns),
                f"the row has {len(row)} values for {len(self._columns)} columns",
            )
        try:
            values = [
                value_to_json(value, column.type, column.name)
                for column, value in zip(self._columns, row, strict=True)
            ]
        except ValueMismatch as exc:
            raise SerializationFailed(self._format, exc.path, exc.reason) from None
        if not self._wrapped:
            return values[0]
        return {column.name: value for column, value in zip(self._columns, values, strict=True)}

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """UTF-8 JSON text of ``row``; ``None`` (and a bare NULL) is a null record."""
        if row is None:
            return None
        document = self.to_document(row)
        if document is None and not self._wrapped:
            return None
        return dumps(document).encode("utf-8")

    def from_document(self, document: object) -> Row:
        """The row a parsed JSON document holds.

        Raises:
            DeserializationFailed: naming the column whose value does not fit, or saying the
                document is not an object when columns are wrapped.
        """
        if not self._wrapped:
            column = self._columns[0]
            return (self._read(document, column),)
        if not isinstance(document, Mapping):
            raise DeserializationFailed(
                self._format,
                f"expected a JSON object with the columns "
                f"{', '.join(column.name for column in self._columns)}, got {describe(document)}",
            )
        return tuple(self._read(lookup(document, column.name), column) for column in self._columns)

    def _read(self, value: object, column: Column) -> object:
        try:
            return from_json(value, column.type, column.name)
        except ValueMismatch as exc:
            column_path = exc.path
            raise DeserializationFailed(self._format, exc.reason, column_path) from None

    def deserialize(self, data: bytes | None) -> Row | None:
        """The row of a JSON record (``None`` for a null record or a JSON ``null``)."""
        if data is None:
            return None
        document = parse_json(data, self._format)
        if document is None:
            return None
        return self.from_document(document)


def parse_json(data: bytes, format_name: str) -> object:
    """The document in ``data`` (numbers with a fraction as ``Decimal``), skipping a Confluent
    wire-format header.

    Raises:
        DeserializationFailed: the bytes are not UTF-8 JSON; it gives the line and column.
    """
    if data[:1] == b"\x00" and len(data) >= _WIRE_HEADER:
        data = data[_WIRE_HEADER:]
    try:
        return json.loads(data.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError as exc:
        raise DeserializationFailed(
            format_name, f"not UTF-8 text (byte {exc.start} is invalid)"
        ) from None
    except json.JSONDecodeError as exc:
        raise DeserializationFailed(
            format_name, f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
