"""Confluent's *serialized* form of Protobuf schemas: a base64 ``FileDescriptorProto``.

Confluent's Python ``ProtobufSerializer`` registers schemas in that form, and its
deserializer asks for it back with ``?format=serialized``. streammesh stores and compares
``.proto`` text, so this module translates at the API's edge: a descriptor becomes ``.proto``
text before it reaches the registry, and stored text becomes a descriptor on request.
``google.protobuf`` is imported lazily, as Protobuf is an optional extra.
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from collections.abc import Mapping
from typing import TYPE_CHECKING

from streammesh.registry import InvalidSchemaSubmission, SchemaReference, SchemaRegistry
from streammesh.schemas import ParsedSchema, SchemaType, format_for

if TYPE_CHECKING:
    from google.protobuf.descriptor_pb2 import (
        DescriptorProto,
        EnumDescriptorProto,
        FieldDescriptorProto,
        FileDescriptorProto,
    )

_SCALARS = {
    1: "double",
    2: "float",
    3: "int64",
    4: "uint64",
    5: "int32",
    6: "fixed64",
    7: "fixed32",
    8: "bool",
    9: "string",
    12: "bytes",
    13: "uint32",
    15: "sfixed32",
    16: "sfixed64",
    17: "sint32",
    18: "sint64",
}
_TYPE_GROUP, _TYPE_MESSAGE, _TYPE_ENUM = 10, 11, 14
_LABEL_OPTIONAL, _LABEL_REQUIRED, _LABEL_REPEATED = 1, 2, 3
_MAX_FIELD_NUMBER = 536_870_911


def _decode(text: str) -> FileDescriptorProto | None:
    from google.protobuf.descriptor_pb2 import FileDescriptorProto
    from google.protobuf.message import DecodeError

    try:
        raw = b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    file = FileDescriptorProto()
    try:
        file.ParseFromString(raw)
    except DecodeError:
        return None
    return file


def is_serialized_descriptor(text: str) -> bool:
    """Whether ``text`` is a base64 ``FileDescriptorProto`` rather than ``.proto`` text."""
    # .proto text always holds characters base64 has not (spaces, ';', '{'), so a strict
    # base64 decode that also parses as a descriptor is one.
    return bool(text.strip()) and _decode(text) is not None


def proto_text_from_serialized(text: str) -> str:
    """The ``.proto`` text of a base64 ``FileDescriptorProto``.

    Raises:
        InvalidSchemaSubmission: not a descriptor, or one using editions.
    """
    file = _decode(text)
    if file is None:
        raise InvalidSchemaSubmission("schema is not a base64-encoded FileDescriptorProto")
    if file.syntax not in ("", "proto2", "proto3"):
        raise InvalidSchemaSubmission(
            f"Protobuf syntax {file.syntax!r} is not supported; use proto3 or proto2"
        )
    return _FilePrinter(file).render()


def _parsed(
    registry: SchemaRegistry, text: str, references: tuple[SchemaReference, ...]
) -> ParsedSchema:
    resolved: dict[str, ParsedSchema] = {}
    for ref in references:
        version = registry.version(ref.subject, ref.version, deleted=True)
        resolved[ref.name] = _parsed(registry, version.schema, version.references)
    return format_for(SchemaType.PROTOBUF).parse(text, resolved)


def serialized_from_proto_text(
    registry: SchemaRegistry, text: str, references: tuple[SchemaReference, ...]
) -> str:
    """The base64 ``FileDescriptorProto`` of stored ``.proto`` text (references resolved
    through ``registry``)."""
    from streammesh.schemas.protobuf import ProtobufSchema

    schema = _parsed(registry, text, references)
    assert isinstance(schema, ProtobufSchema)
    return b64encode(schema.file.SerializeToString()).decode("ascii")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _FilePrinter:
    """Renders one ``FileDescriptorProto`` as ``.proto`` text (no options beyond the ones
    that change the wire format or the schema's meaning)."""

    def __init__(self, file: FileDescriptorProto) -> None:
        self.file = file
        self.proto3 = file.syntax == "proto3"
        self.lines: list[str] = []

    def render(self) -> str:
        file = self.file
        self.lines.append(f'syntax = "{file.syntax or "proto2"}";')
        if file.package:
            self.lines.append(f"package {file.package};")
        public = set(file.public_dependency)
        for index, dependency in enumerate(file.dependency):
            modifier = "public " if index in public else ""
            self.lines.append(f"import {modifier}{_quote(dependency)};")
        for enum in file.enum_type:
            self._enum(enum, 0)
        for message in file.message_type:
            self._message(message, 0)
        return "\n".join(self.lines) + "\n"

    def _emit(self, depth: int, line: str) -> None:
        self.lines.append("  " * depth + line)

    def _enum(self, enum: EnumDescriptorProto, depth: int) -> None:
        self._emit(depth, f"enum {enum.name} {{")
        if enum.options.allow_alias:
            self._emit(depth + 1, "option allow_alias = true;")
        for value in enum.value:
            self._emit(depth + 1, f"{value.name} = {value.number};")
        for span in enum.reserved_range:  # inclusive end for enums
            end = "max" if span.end >= 2**31 - 1 else str(span.end)
            self._emit(depth + 1, f"reserved {span.start} to {end};")
        if enum.reserved_name:
            self._emit(depth + 1, f"reserved {', '.join(_quote(n) for n in enum.reserved_name)};")
        self._emit(depth, "}")

    def _message(self, message: DescriptorProto, depth: int) -> None:
        self._emit(depth, f"message {message.name} {{")
        entries = {m.name: m for m in message.nested_type if m.options.map_entry}
        for enum in message.enum_type:
            self._enum(enum, depth + 1)
        for nested in message.nested_type:
            if nested.name not in entries:
                self._message(nested, depth + 1)
        printed_oneofs: set[int] = set()
        for field in message.field:
            if field.HasField("oneof_index") and not field.proto3_optional:
                if field.oneof_index not in printed_oneofs:
                    printed_oneofs.add(field.oneof_index)
                    # Printed where its first field was declared, as protoc orders them.
                    self._oneof(message, field.oneof_index, depth + 1)
            else:
                self._emit(depth + 1, self._field(field, entries, in_oneof=False))
        for span in message.reserved_range:  # exclusive end for messages
            last = span.end - 1
            end = "max" if last >= _MAX_FIELD_NUMBER else str(last)
            text = str(span.start) if last == span.start else f"{span.start} to {end}"
            self._emit(depth + 1, f"reserved {text};")
        if message.reserved_name:
            names = ", ".join(_quote(n) for n in message.reserved_name)
            self._emit(depth + 1, f"reserved {names};")
        self._emit(depth, "}")

    def _oneof(self, message: DescriptorProto, index: int, depth: int) -> None:
        self._emit(depth, f"oneof {message.oneof_decl[index].name} {{")
        for field in message.field:
            if field.HasField("oneof_index") and field.oneof_index == index:
                self._emit(depth + 1, self._field(field, {}, in_oneof=True))
        self._emit(depth, "}")

    def _type(self, field: FieldDescriptorProto) -> str:
        if field.type in (_TYPE_MESSAGE, _TYPE_ENUM, _TYPE_GROUP):
            return field.type_name  # fully qualified, with its leading dot
        return _SCALARS[field.type]

    def _field(
        self,
        field: FieldDescriptorProto,
        entries: Mapping[str, DescriptorProto],
        *,
        in_oneof: bool,
    ) -> str:
        entry_name = field.type_name.rsplit(".", 1)[-1]
        if field.label == _LABEL_REPEATED and entry_name in entries:
            key, value = entries[entry_name].field[0], entries[entry_name].field[1]
            return f"map<{self._type(key)}, {self._type(value)}> {field.name} = {field.number};"
        label = ""
        if field.label == _LABEL_REPEATED:
            label = "repeated "
        elif field.label == _LABEL_REQUIRED:
            label = "required "
        elif not in_oneof and (field.proto3_optional or not self.proto3):
            label = "optional "
        options = []
        if field.HasField("default_value") and not self.proto3:
            default = field.default_value
            options.append(f"default = {_quote(default) if field.type in (9, 12) else default}")
        if field.options.HasField("packed"):
            options.append(f"packed = {'true' if field.options.packed else 'false'}")
        if field.options.deprecated:
            options.append("deprecated = true")
        suffix = f" [{', '.join(options)}]" if options else ""
        return f"{label}{self._type(field)} {field.name} = {field.number}{suffix};"
