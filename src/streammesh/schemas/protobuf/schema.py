"""``ProtobufSchema``: a parsed ``.proto`` file and the message it describes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorProto
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from streammesh.schemas.base import ParsedSchema, SchemaField, SchemaType
from streammesh.schemas.errors import InvalidSchema, UndecodablePayload

_PROTOBUF = SchemaType.PROTOBUF.value

_SCALAR_NAMES: dict[int, str] = {
    FieldDescriptor.TYPE_DOUBLE: "double",
    FieldDescriptor.TYPE_FLOAT: "float",
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_FIXED64: "fixed64",
    FieldDescriptor.TYPE_FIXED32: "fixed32",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "bytes",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_SFIXED32: "sfixed32",
    FieldDescriptor.TYPE_SFIXED64: "sfixed64",
    FieldDescriptor.TYPE_SINT32: "sint32",
    FieldDescriptor.TYPE_SINT64: "sint64",
}


def is_map(field: FieldDescriptor) -> bool:
    """Whether ``field`` is a ``map<K, V>`` (a repeated synthetic entry message)."""
    entry = field.message_type
    return entry is not None and entry.GetOptions().map_entry


def type_name(field: FieldDescriptor) -> str:
    """The field's type as a .proto author would write it (full names for named types)."""
    if is_map(field):
        entry = field.message_type
        assert entry is not None  # is_map checked it
        key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
        return f"map<{type_name(key)}, {type_name(value)}>"
    if field.message_type is not None:
        named = field.message_type.full_name
    elif field.enum_type is not None:
        named = field.enum_type.full_name
    else:
        named = _SCALAR_NAMES[field.type]
    return f"repeated {named}" if field.is_repeated else named


def _declared_messages(messages: Sequence[DescriptorProto]) -> list[DescriptorProto]:
    """Messages as declared in the text: map entries are protoc's, not the author's."""
    return [m for m in messages if not m.options.map_entry]


@dataclass(frozen=True, slots=True, eq=False)
class ProtobufSchema:
    """A proto3 (or proto2) file, parsed, resolved and loaded into a private pool.

    The record message is the file's first message unless :meth:`for_message` chose
    another (Confluent's default and its message-index mechanism). Equal schemas are those
    with one fingerprint and one record message.
    """

    text: str
    canonical: str
    fingerprint: str
    name: str
    references: Mapping[str, ParsedSchema]
    file: FileDescriptorProto
    """The descriptor of this file (its imports are in ``imported``)."""
    imported: tuple[FileDescriptorProto, ...]
    """The files this one imports, transitively, each after its own imports."""
    docs: Mapping[str, str]
    """Field docs by the field's full name (``acme.Trade.price``), imports included."""
    pool: DescriptorPool
    descriptor: Descriptor
    """The record message."""
    message_class: type[Message]

    @property
    def schema_type(self) -> SchemaType:
        """Always ``PROTOBUF``."""
        return SchemaType.PROTOBUF

    @property
    def syntax(self) -> str:
        """``proto3`` or ``proto2``."""
        return self.file.syntax

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProtobufSchema):
            return NotImplemented
        return (self.fingerprint, self.name) == (other.fingerprint, other.name)

    def __hash__(self) -> int:
        return hash((self.fingerprint, self.name))

    def fields(self) -> tuple[SchemaField, ...]:
        """Every field of the record message, depth first, in declaration order.

        Nested message fields extend the path (``leg.price``); repeated messages add
        ``[]`` and map values ``{}``. A recursive message is not entered twice.
        """
        found: list[SchemaField] = []
        self._collect(self.descriptor, "", found, (self.descriptor.full_name,))
        return tuple(found)

    def _collect(
        self, message: Descriptor, prefix: str, found: list[SchemaField], seen: tuple[str, ...]
    ) -> None:
        for field in message.fields:
            path = f"{prefix}{field.name}"
            found.append(SchemaField(path, type_name(field), self.docs.get(field.full_name)))
            target = field.message_type
            suffix = ""
            if is_map(field):
                assert target is not None
                target = target.fields_by_name["value"].message_type
                suffix = "{}"
            elif field.is_repeated:
                suffix = "[]"
            if target is not None and target.full_name not in seen:
                self._collect(target, f"{path}{suffix}.", found, (*seen, target.full_name))

    def message_names(self) -> tuple[str, ...]:
        """Full names of the messages this file declares, depth first in declaration order."""
        names: list[str] = []

        def walk(messages: Sequence[DescriptorProto], prefix: str) -> None:
            for message in _declared_messages(messages):
                names.append(prefix + message.name)
                walk(message.nested_type, f"{prefix}{message.name}.")

        walk(self.file.message_type, f"{self.file.package}." if self.file.package else "")
        return tuple(names)

    def message_indexes(self, full_name: str | None = None) -> list[int]:
        """Confluent's message-index path of a message (the record message by default).

        Each index is the message's position among the messages declared beside it, from
        the top level down: the second top-level message is ``[1]``, the first message
        nested in it ``[1, 0]``.

        Raises:
            InvalidSchema: when this file declares no message named ``full_name``.
        """
        wanted = full_name or self.name
        package = self.file.package
        if package and not wanted.startswith(f"{package}."):
            raise self._no_such_message(wanted)
        relative = wanted[len(package) + 1 :] if package else wanted
        indexes: list[int] = []
        messages: Sequence[DescriptorProto] = self.file.message_type
        for part in relative.split("."):
            declared = _declared_messages(messages)
            position = next((i for i, m in enumerate(declared) if m.name == part), None)
            if position is None:
                raise self._no_such_message(wanted)
            indexes.append(position)
            messages = declared[position].nested_type
        return indexes

    def message_for_indexes(self, indexes: Sequence[int]) -> str:
        """The full name of the message at a Confluent message-index path.

        Raises:
            UndecodablePayload: when the path leads nowhere in this file (the payload
                names a message its schema does not have).
        """
        names: list[str] = [self.file.package] if self.file.package else []
        messages: Sequence[DescriptorProto] = self.file.message_type
        for index in indexes or [0]:
            declared = _declared_messages(messages)
            if not 0 <= index < len(declared):
                raise UndecodablePayload(
                    _PROTOBUF,
                    f"message index path {list(indexes)} does not name a message of "
                    f"schema '{self.name}'",
                )
            names.append(declared[index].name)
            messages = declared[index].nested_type
        return ".".join(names)

    def for_message(self, full_name: str) -> ProtobufSchema:
        """This schema with another record message (e.g. one named by message indexes).

        Raises:
            InvalidSchema: when this file declares no message named ``full_name``.
        """
        if full_name == self.name:
            return self
        if full_name not in self.message_names():
            raise self._no_such_message(full_name)
        descriptor = self.pool.FindMessageTypeByName(full_name)
        return dataclasses.replace(
            self,
            name=full_name,
            descriptor=descriptor,
            message_class=GetMessageClass(descriptor),
        )

    def _no_such_message(self, full_name: str) -> InvalidSchema:
        return InvalidSchema(
            _PROTOBUF,
            f"message {full_name}",
            f"this file declares no such message; it declares {', '.join(self.message_names())}",
        )
