"""Per-schema codecs between events and framed bytes, built once per schema id.

The generic codec calls the schema's ``SchemaFormat`` and adds or strips the header. Avro,
the format where serde overhead matters most (fastavro's writer takes ~3 µs for a 10-field
record), gets a codec that writes the header and the payload into one buffer and reads the
payload in place, skipping a copy and the format's per-call dispatch. It uses the same
compiled check as ``AvroFormat`` and, whenever something fails, defers to the format itself,
so errors are exactly the format's (``InvalidEvent`` with the field path and rule,
``UndecodablePayload``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import Any

import fastavro

from streammesh.schemas import ParsedSchema, format_for
from streammesh.schemas.avro import AvroSchema
from streammesh.serde.avro_writer import Declined, compile_hiding_writer, compile_writer

Encode = Callable[[object], bytes]
EncodeHiding = Callable[[dict[str, Any]], tuple[bytes, dict[str, Any]] | None]
"""An event to its framed bytes with some fields written as fixed placeholders, and those
fields' values; ``None`` when it cannot (write the event with its placeholders then)."""
Decode = Callable[[bytes], object]


_AVRO_ENCODERS: dict[tuple[AvroSchema, bytes], Encode] = {}
"""Avro encoders built, by schema and header: a serializer built per request (the server's
produce, for the subject's latest version) finds its compiled writer here instead of
generating and compiling it again (~0.5 ms). A schema and its id never change, so an entry
is never stale; the dict is emptied when it reaches ``_AVRO_ENCODERS_KEPT``."""
_AVRO_ENCODERS_KEPT = 1_024


def encoder(schema: ParsedSchema, header: bytes) -> Encode:
    """A function from an event to ``header`` + the event's payload under ``schema``."""
    if type(schema) is AvroSchema:
        key = (schema, header)
        built = _AVRO_ENCODERS.get(key)
        if built is None:
            built = _avro_encoder(schema, header)
            if len(_AVRO_ENCODERS) >= _AVRO_ENCODERS_KEPT:
                _AVRO_ENCODERS.clear()
            _AVRO_ENCODERS[key] = built
        return built
    serialize = partial(format_for(schema.schema_type).serialize, schema)
    return lambda event: header + serialize(event)


def valid_encoder(schema: ParsedSchema, header: bytes) -> Encode:
    """:func:`encoder` for events already checked field by field: an Avro event the schema
    accepted, whose fields were then replaced by values each valid for its field (protected
    fields' placeholders), is written without a second check (Avro checks each field on its
    own, so none can make another invalid). Any other format checks again."""
    encode = encoder(schema, header)
    compiled = compile_writer(schema.parsed, header) if type(schema) is AvroSchema else None
    if compiled is None:
        return encode

    def encode_valid(event: object) -> bytes:
        if type(event) is dict:
            try:
                return compiled(event)
            except (Declined, KeyError):  # a value it does not write as fastavro: checked
                pass
        return encode(event)

    return encode_valid


def hiding_encoder(
    schema: ParsedSchema, header: bytes, hidden: dict[str, tuple[type, object]]
) -> EncodeHiding | None:
    """For an Avro schema whose fields the compiled writer covers: a function writing an
    event the schema accepted with each field of ``hidden`` (top-level name → the one
    value type expected and its placeholder) written as its placeholder, returning the
    bytes and those fields' values (see ``compile_hiding_writer``); else ``None``."""
    if type(schema) is not AvroSchema:
        return None
    compiled = compile_hiding_writer(schema.parsed, header, hidden)
    if compiled is None:
        return None

    def encode_hiding(event: dict[str, Any]) -> tuple[bytes, dict[str, Any]] | None:
        try:
            return compiled(event)
        except (Declined, KeyError):  # another type, a missing field: the caller's way
            return None

    return encode_hiding


def decoder(writer: ParsedSchema, offset: int, reader: ParsedSchema | None) -> Decode:
    """A function from framed bytes (payload at ``offset``) to the event they hold."""
    if type(writer) is AvroSchema and (reader is None or type(reader) is AvroSchema):
        return _avro_decoder(writer, offset, reader)
    deserialize = partial(format_for(writer.schema_type).deserialize, writer, reader=reader)
    return lambda data: deserialize(data[offset:])


def _avro_encoder(schema: AvroSchema, header: bytes) -> Encode:
    check, parsed, write = schema.check, schema.parsed, fastavro.schemaless_writer
    avro = format_for(schema.schema_type)
    branches = _nullable_logical_fields(parsed)
    compiled = compile_writer(parsed, header)

    def encode(event: object) -> bytes:
        if not check(event):
            avro.validate(schema, event)  # raises InvalidEvent naming the field and rule
        if compiled is not None and type(event) is dict:
            try:
                return compiled(event)
            except (Declined, KeyError):  # a value it does not write as fastavro: fastavro
                pass
        buffer = io.BytesIO()
        buffer.write(header)
        written = event
        if branches and type(event) is dict:  # what the record's check accepts
            written = dict(event)  # the caller's event stays as it was
            for name, branch in branches:
                value = written.get(name)
                if value is not None:
                    written[name] = (branch, value)
        try:
            write(buffer, parsed, written)
        except Exception:  # the format translates whatever fastavro raised into InvalidEvent
            return header + avro.serialize(schema, event)
        return buffer.getvalue()

    return encode


def _nullable_logical_fields(parsed: object) -> tuple[tuple[str, str], ...]:
    """The top-level fields typed ``["null", T]`` (either order) with ``T`` an unnamed logical
    type (a nullable decimal, timestamp, date, uuid), and the name of ``T``'s branch.

    fastavro resolves a union by trying each branch's validation, which for logical types
    costs more than writing the value (~3.5 µs of ~11 µs for a record with a nullable decimal
    and timestamp); the event already passed the check, so a non-null value is ``T``'s, and
    fastavro's tuple notation (``(branch name, value)``) names the branch: the same index, the
    same bytes. The Avro spec allows one unnamed branch per type in a union, so the type name
    is unambiguous.
    """
    if not isinstance(parsed, dict) or parsed.get("type") != "record":
        return ()
    found = []
    for field in parsed["fields"]:
        union = field["type"]
        if not (isinstance(union, list) and len(union) == 2 and "null" in union):
            continue
        branch = union[1] if union[0] == "null" else union[0]
        if (
            isinstance(branch, dict)
            and "logicalType" in branch
            and branch["type"] not in ("record", "enum", "fixed")  # named: not by type name
        ):
            found.append((field["name"], branch["type"]))
    return tuple(found)


def _avro_decoder(writer: AvroSchema, offset: int, reader: AvroSchema | None) -> Decode:
    avro = format_for(writer.schema_type)
    read, parsed = fastavro.schemaless_reader, writer.parsed
    reader_parsed = None if reader is None or reader is writer else reader.parsed

    def decode(data: bytes) -> object:
        buffer = io.BytesIO(data)
        buffer.seek(offset)
        try:
            event = read(buffer, parsed, reader_parsed)
        except Exception:  # the format raises the UndecodablePayload that explains it
            return avro.deserialize(writer, data[offset:], reader)
        if buffer.tell() != len(data):  # bytes left over: the format names the problem
            return avro.deserialize(writer, data[offset:], reader)
        return event

    return decode
