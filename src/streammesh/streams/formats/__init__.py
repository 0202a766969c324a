"""ksqlDB's key and value formats: rows to record bytes and back.

``serde_for(format, columns, part=..., options=..., resolver=..., subject=...)`` gives the
serde of a key or a value in JSON, JSON_SR, DELIMITED, KAFKA, NONE, AVRO or PROTOBUF;
``columns_of(schema)`` derives the columns of a registered schema (a product named in
``FROM``); ``avro_schema``, ``json_schema`` and ``protobuf_schema`` are the schemas ksqlDB
would register. See :mod:`streammesh.streams.formats.base` for the Python type of each SQL
type in a row.
"""

from __future__ import annotations

from streammesh.streams.formats.avro import DEFAULT_FULL_NAME, avro_schema
from streammesh.streams.formats.base import Column, FormatName, FormatOptions, Row, RowSerde
from streammesh.streams.formats.delimited import DelimitedSerde
from streammesh.streams.formats.errors import (
    DeserializationFailed,
    FormatError,
    SerializationFailed,
    UnmappableSchema,
    UnsupportedFormat,
)
from streammesh.streams.formats.factory import serde_for
from streammesh.streams.formats.inference import columns_of
from streammesh.streams.formats.json_format import JsonSerde
from streammesh.streams.formats.kafka import KafkaSerde, NoneSerde
from streammesh.streams.formats.protobuf import protobuf_schema
from streammesh.streams.formats.registry import AvroSerde, JsonSrSerde, ProtobufSerde, json_schema

__all__ = [
    "DEFAULT_FULL_NAME",
    "AvroSerde",
    "Column",
    "DelimitedSerde",
    "DeserializationFailed",
    "FormatError",
    "FormatName",
    "FormatOptions",
    "JsonSerde",
    "JsonSrSerde",
    "KafkaSerde",
    "NoneSerde",
    "ProtobufSerde",
    "Row",
    "RowSerde",
    "SerializationFailed",
    "UnmappableSchema",
    "UnsupportedFormat",
    "avro_schema",
    "columns_of",
    "json_schema",
    "protobuf_schema",
    "serde_for",
]
