"""What every format shares: columns, the format names, their options and the ``RowSerde``
Protocol.

A row is a tuple of column values in column order, with these Python types (the expression
evaluator uses the same): BOOLEAN ``bool``, INTEGER and BIGINT ``int``, DOUBLE ``float``,
DECIMAL ``decimal.Decimal``, STRING ``str``, BYTES ``bytes``, DATE ``datetime.date``, TIME
``datetime.time``, TIMESTAMP an aware ``datetime.datetime`` in UTC (a naive one is taken as
UTC), ARRAY ``list``, MAP ``dict``, STRUCT ``dict`` from field name to value; ``None`` is
SQL NULL. A whole record that is null (a tombstone, a missing key) is the row ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from streammesh.streams.types import SqlType

Row = tuple[object, ...]
"""Column values in column order."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a key or a value: its name (as ksqlDB stores it, usually upper case)
    and its type."""

    name: str
    type: SqlType


class FormatName(StrEnum):
    """ksqlDB's ``KEY_FORMAT`` / ``VALUE_FORMAT`` values."""

    NONE = "NONE"
    JSON = "JSON"
    JSON_SR = "JSON_SR"
    DELIMITED = "DELIMITED"
    KAFKA = "KAFKA"
    AVRO = "AVRO"
    PROTOBUF = "PROTOBUF"

    @property
    def uses_registry(self) -> bool:
        """Whether the format keeps its schemas in the schema registry (Confluent wire format)."""
        return self in _REGISTRY_FORMATS


_REGISTRY_FORMATS = frozenset({FormatName.AVRO, FormatName.JSON_SR, FormatName.PROTOBUF})


@dataclass(frozen=True, slots=True)
class FormatOptions:
    """The ``WITH`` properties that change how a format writes and reads.

    Attributes:
        wrap_single_value: ``WRAP_SINGLE_VALUE``: ``False`` writes a one-column value as the
            bare value (``10``) instead of an object or record (``{"ID": 10}``). ``None``
            is ksqlDB's default: values wrapped, a single key column unwrapped, several key
            columns wrapped.
        delimiter: ``KEY_DELIMITER`` / ``VALUE_DELIMITER`` for DELIMITED: one character, or
            ``TAB`` / ``SPACE``.
        schema_full_name: ``VALUE_AVRO_SCHEMA_FULL_NAME`` (or the Protobuf / JSON_SR
            equivalent): the record name of a generated schema; ksqlDB's default is
            ``io.confluent.ksql.avro_schemas.KsqlDataSourceSchema``.
        schema: AVRO only: the text of a schema already registered under the subject, to
            write with instead of registering a generated one (a data product's value
            schema); each column is written to the record field of its name.
    """

    wrap_single_value: bool | None = None
    delimiter: str = ","
    schema_full_name: str | None = None
    schema: str | None = None


class RowSerde(Protocol):
    """Rows of some columns to a record's key or value bytes, and back."""

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns this serde writes and reads, in order."""
        ...

    @property
    def wrapped(self) -> bool:
        """Whether a row is written as an object or record of its columns (``False``: the
        single column's bare value, or DELIMITED's line)."""
        ...

    def serialize(self, row: Sequence[object] | None) -> bytes | None:
        """The bytes of ``row`` (``None``: a null record).

        Raises:
            SerializationFailed: a value does not fit its column's type; it names the column.
        """
        ...

    def deserialize(self, data: bytes | None) -> Row | None:
        """The row held in ``data`` (``None`` for a null record).

        Raises:
            DeserializationFailed: the bytes cannot be read; it names the column and the reason.
        """
        ...
