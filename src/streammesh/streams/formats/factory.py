"""``serde_for``: the serde of a key or a value in one of ksqlDB's formats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from streammesh.serde import SchemaResolver
from streammesh.streams.formats.base import Column, FormatName, FormatOptions, RowSerde
from streammesh.streams.formats.delimited import DelimitedSerde
from streammesh.streams.formats.errors import UnsupportedFormat
from streammesh.streams.formats.json_format import JsonSerde
from streammesh.streams.formats.kafka import KafkaSerde, NoneSerde
from streammesh.streams.formats.registry import AvroSerde, JsonSrSerde, ProtobufSerde


def serde_for(
    format_name: FormatName,
    columns: Sequence[Column],
    *,
    part: Literal["key", "value"] = "value",
    options: FormatOptions | None = None,
    resolver: SchemaResolver | None = None,
    subject: str | None = None,
) -> RowSerde:
    """The serde of ``columns`` (a key's or a value's) in ``format_name``.

    Args:
        format_name: ``KEY_FORMAT`` or ``VALUE_FORMAT``.
        columns: The key or value columns, in order.
        part: ``key``: a single column is unwrapped, several wrapped; ``value``: wrapped
            unless ``WRAP_SINGLE_VALUE=false``.
        options: The format's ``WITH`` properties.
        resolver: The schema registry, for AVRO, JSON_SR and PROTOBUF.
        subject: The registry subject (``<topic>-key`` / ``<topic>-value``) for those.

    Raises:
        UnsupportedFormat: the format cannot carry the columns or the options (NONE as a
            value format or with key columns, KAFKA with several columns, nested types in
            DELIMITED, ``WRAP_SINGLE_VALUE`` on a key or on several value columns...).

    Example:
        >>> key = [Column("ID", INTEGER)]
        >>> serde_for(FormatName.KAFKA, key, part="key").serialize((1,))  # doctest: +SKIP
        b'\\x00\\x00\\x00\\x01'
    """
    options = options or FormatOptions()
    wrapped = _wrapping(format_name, columns, part, options)
    if format_name is FormatName.NONE:
        if part == "value":
            raise UnsupportedFormat(format_name, "NONE is a key format only")
        return NoneSerde(columns)
    if format_name is FormatName.KAFKA:
        return KafkaSerde(columns)
    if format_name is FormatName.DELIMITED:
        return DelimitedSerde(columns, delimiter=options.delimiter)
    if format_name is FormatName.JSON:
        return JsonSerde(columns, wrapped=wrapped)
    if resolver is None or subject is None:
        raise UnsupportedFormat(format_name, "it needs the schema registry and a subject")
    if format_name is FormatName.AVRO:
        return AvroSerde(
            columns,
            resolver,
            subject,
            wrapped=wrapped,
            full_name=options.schema_full_name,
            schema=options.schema,
        )
    if format_name is FormatName.JSON_SR:
        return JsonSrSerde(columns, resolver, subject, wrapped=wrapped)
    return ProtobufSerde(columns, resolver, subject, full_name=options.schema_full_name)


def _wrapping(
    format_name: FormatName,
    columns: Sequence[Column],
    part: Literal["key", "value"],
    options: FormatOptions,
) -> bool:
    if part == "key":
        if format_name is FormatName.PROTOBUF:
            return True  # a Protobuf key is always a message, even with one column
        if options.wrap_single_value is not None:
            raise UnsupportedFormat(
                format_name, "WRAP_SINGLE_VALUE applies to value columns only, not to keys"
            )
        return len(columns) != 1
    if options.wrap_single_value is False:
        if len(columns) != 1:
            raise UnsupportedFormat(
                format_name,
                f"WRAP_SINGLE_VALUE=false needs exactly one value column, got {len(columns)}",
            )
        if format_name in (FormatName.DELIMITED, FormatName.KAFKA):
            return False
        if format_name is FormatName.PROTOBUF:
            raise UnsupportedFormat(format_name, "PROTOBUF does not support unwrapped values")
        return False
    if options.wrap_single_value is True and format_name in (
        FormatName.DELIMITED,
        FormatName.KAFKA,
    ):
        raise UnsupportedFormat(
            format_name, f"{format_name} does not support wrapping a single value"
        )
    return True
