"""ksqlDB's KAFKA format: one column written by Kafka's standard serializers, and NONE.

INTEGER is 4 bytes big-endian two's complement (``IntegerSerializer``), BIGINT 8 bytes
(``LongSerializer``), DOUBLE 8 bytes IEEE 754 big-endian (``DoubleSerializer``), STRING UTF-8
(``StringSerializer``), BYTES the bytes as they are. A NULL is a null record. There is no type
coercion: bytes of the wrong size for the column are refused.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from streammesh.streams.formats.base import Column, FormatName, Row
from streammesh.streams.formats.errors import (
    DeserializationFailed,
    SerializationFailed,
    UnsupportedFormat,
)
from streammesh.streams.formats.values import ValueMismatch, writer_for
from streammesh.streams.types import BaseType, type_text

_FORMAT = FormatName.KAFKA
_FIXED = {BaseType.INTEGER: ">i", BaseType.BIGINT: ">q", BaseType.DOUBLE: ">d"}
_SUPPORTED = (*_FIXED, BaseType.STRING, BaseType.BYTES)
_SERIALIZERS = {
    BaseType.INTEGER: "IntegerDeserializer",
    BaseType.BIGINT: "LongDeserializer",
    BaseType.DOUBLE: "DoubleDeserializer",
}


class KafkaSerde:
    """One primitive column to Kafka's standard serialized bytes and back (see the module)."""

    __slots__ = ("_column", "_columns", "_fixed", "_string", "_write")

    def __init__(self, columns: Sequence[Column]) -> None:
        """Args:
        columns: Exactly one column of INTEGER, BIGINT, DOUBLE, STRING or BYTES.

        Raises:
            UnsupportedFormat: no column, several, or another type.
        """
        if len(columns) != 1:
            raise UnsupportedFormat(
                _FORMAT,
                f"it holds exactly one column, got {len(columns)}"
                + (f" ({', '.join(column.name for column in columns)})" if columns else ""),
            )
        column = columns[0]
        if column.type.base not in _SUPPORTED:
            raise UnsupportedFormat(
                _FORMAT,
                f"type {type_text(column.type)} is not supported; it supports INT, BIGINT, "
                "DOUBLE, STRING and BYTES",
                column.name,
            )
        self._columns = (column,)
        self._column = column
        # Chosen once: what the column's type reads and writes with, so that a record does
        # not look its type up again.
        self._fixed = _FIXED.get(column.type.base)
        self._string = column.type.base is BaseType.STRING
        self._write = writer_for(column.type, column.name)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The one column."""
        return self._columns

    @property
    def wrapped(self) -> bool:
        """Always ``False``: the column's bare value."""
        return False

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """The column's bytes; a null row or a NULL value is a null record."""
        if row is None:
            return None
        column = self._column
        if len(row) != 1:
            raise SerializationFailed(
                _FORMAT, column.name, f"the row has {len(row)} values for 1 column"
            )
        value = row[0]
        if value is None:
            return None
        if self._string and type(value) is str:
            return value.encode("utf-8")
        try:
            checked = self._write(value)
        except ValueMismatch as exc:
            raise SerializationFailed(_FORMAT, exc.path, exc.reason) from None
        if self._fixed is not None:
            return struct.pack(self._fixed, checked)
        if self._string:
            assert isinstance(value, str)
            return value.encode("utf-8")
        assert isinstance(value, bytes | bytearray)
        return bytes(value)

    def deserialize(self, data: bytes | None) -> Row | None:
        """The one-column row of ``data`` (``None`` for a null record)."""
        if data is None:
            return None
        if self._string:
            try:
                return (data.decode("utf-8"),)
            except UnicodeDecodeError as exc:
                raise DeserializationFailed(
                    _FORMAT, f"not UTF-8 text (byte {exc.start} is invalid)", self._column.name
                ) from None
        column = self._column
        base = column.type.base
        if base in _FIXED:
            size = struct.calcsize(_FIXED[base])
            if len(data) != size:
                raise DeserializationFailed(
                    _FORMAT,
                    f"size of data received by {_SERIALIZERS[base]} is not {size} "
                    f"(got {len(data)} bytes for {type_text(column.type)})",
                    column.name,
                )
            return (struct.unpack(_FIXED[base], data)[0],)
        if base is BaseType.STRING:
            try:
                return (data.decode("utf-8"),)
            except UnicodeDecodeError as exc:
                raise DeserializationFailed(
                    _FORMAT, f"not UTF-8 text (byte {exc.start} is invalid)", column.name
                ) from None
        return (bytes(data),)


class NoneSerde:
    """ksqlDB's NONE key format: the key is not read, and written as a null key."""

    __slots__ = ()

    def __init__(self, columns: Sequence[Column] = ()) -> None:
        """Args:
        columns: Must be empty.

        Raises:
            UnsupportedFormat: key columns were declared.
        """
        if columns:
            raise UnsupportedFormat(
                FormatName.NONE,
                "a key format of NONE cannot have key columns, got "
                + ", ".join(column.name for column in columns),
            )

    @property
    def columns(self) -> tuple[Column, ...]:
        """No columns."""
        return ()

    @property
    def wrapped(self) -> bool:
        """Always ``False``."""
        return False

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """Always a null key."""
        return None

    def deserialize(self, data: bytes | None) -> Row | None:
        """The empty row, whatever the bytes."""
        return ()
