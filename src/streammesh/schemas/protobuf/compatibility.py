"""Can bytes written with one ``.proto`` schema be read with another? Confluent's diff.

The two files are compared the way Confluent Schema Registry's Protobuf checker does
(``io.confluent.kafka.schemaregistry.protobuf.diff``), with its rule names: messages and
enums by name (nested ones too), fields by number, oneofs by name. Each difference is
either compatible (``FIELD_NAME_CHANGED``, ``FIELD_ADDED``, ``MESSAGE_MOVED``,
``PACKAGE_CHANGED`` ...) or not;
:func:`differences` lists both kinds (for a human diff), :func:`incompatibilities` only the
second. Beyond Confluent (which misses them), streammesh also refuses:

- ``FIELD_LABEL_CHANGED``: a field a proto2 reader now requires;
- ``FIELD_NUMERIC_LABEL_CHANGED`` also when one side is a proto3 field without a label
  (Confluent compares labels only when both are written);
- ``RESERVED_FIELD_REUSED``: the reader declares a field with a number the writer reserved
  (older data may carry that number with another meaning);
- ``ENUM_CONST_REMOVED`` when the reader's enum is closed (proto2): the value would be lost;
- ``SYNTAX_VERSION_CHANGED``: proto2 and proto3 differ in presence and enum semantics.

A message field turned repeated or singular is compatible, as in Confluent and protobuf's
own rules (a singular reader merges the writer's messages into one), and not reported.

Oneofs follow Confluent's current rules: each oneof of the reader may gather fields that
were, in the writer, at most one "group" of fields the writer could not set together (one
field outside any oneof, or members of one oneof); brand-new fields do not count. A oneof
that gathers two groups is ``MULTIPLE_FIELDS_MOVED_TO_ONEOF`` when two or more of them were
fields outside any oneof, else ``FIELD_MOVED_TO_EXISTING_ONEOF`` (a field joined an existing
oneof, oneofs were merged, a member moved to another oneof): the writer may set two of them,
the reader keeps only the last. Renaming a oneof, splitting one, or moving a field out of a
oneof loses nothing: ``ONEOF_REMOVED``/``ONEOF_ADDED`` at most. A member dropped from a
oneof that remains is ``ONEOF_FIELD_REMOVED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FieldDescriptorProto,
    FileDescriptorProto,
)

from streammesh.schemas.base import Incompatibility
from streammesh.schemas.protobuf.schema import ProtobufSchema


class Rule(StrEnum):
    """Kinds of differences between two schemas (Confluent's names, plus a few)."""

    PACKAGE_CHANGED = "PACKAGE_CHANGED"
    SYNTAX_VERSION_CHANGED = "SYNTAX_VERSION_CHANGED"
    MESSAGE_ADDED = "MESSAGE_ADDED"
    MESSAGE_REMOVED = "MESSAGE_REMOVED"
    MESSAGE_MOVED = "MESSAGE_MOVED"
    ENUM_ADDED = "ENUM_ADDED"
    ENUM_REMOVED = "ENUM_REMOVED"
    ENUM_CONST_ADDED = "ENUM_CONST_ADDED"
    ENUM_CONST_CHANGED = "ENUM_CONST_CHANGED"
    ENUM_CONST_REMOVED = "ENUM_CONST_REMOVED"
    FIELD_ADDED = "FIELD_ADDED"
    FIELD_REMOVED = "FIELD_REMOVED"
    FIELD_NAME_CHANGED = "FIELD_NAME_CHANGED"
    FIELD_KIND_CHANGED = "FIELD_KIND_CHANGED"
    FIELD_SCALAR_KIND_CHANGED = "FIELD_SCALAR_KIND_CHANGED"
    FIELD_NAMED_TYPE_CHANGED = "FIELD_NAMED_TYPE_CHANGED"
    FIELD_NUMERIC_LABEL_CHANGED = "FIELD_NUMERIC_LABEL_CHANGED"
    FIELD_STRING_OR_BYTES_LABEL_CHANGED = "FIELD_STRING_OR_BYTES_LABEL_CHANGED"
    FIELD_LABEL_CHANGED = "FIELD_LABEL_CHANGED"
    RESERVED_FIELD_REUSED = "RESERVED_FIELD_REUSED"
    REQUIRED_FIELD_ADDED = "REQUIRED_FIELD_ADDED"
    REQUIRED_FIELD_REMOVED = "REQUIRED_FIELD_REMOVED"
    ONEOF_ADDED = "ONEOF_ADDED"
    ONEOF_REMOVED = "ONEOF_REMOVED"
    ONEOF_FIELD_ADDED = "ONEOF_FIELD_ADDED"
    ONEOF_FIELD_REMOVED = "ONEOF_FIELD_REMOVED"
    MULTIPLE_FIELDS_MOVED_TO_ONEOF = "MULTIPLE_FIELDS_MOVED_TO_ONEOF"
    FIELD_MOVED_TO_EXISTING_ONEOF = "FIELD_MOVED_TO_EXISTING_ONEOF"


COMPATIBLE_RULES = frozenset(
    {
        # Names are not on the wire (Confluent's serializers send message indexes), so a
        # new package reads the same bytes; Confluent counts it compatible too.
        Rule.PACKAGE_CHANGED,
        Rule.MESSAGE_ADDED,
        Rule.MESSAGE_MOVED,
        Rule.ENUM_ADDED,
        Rule.ENUM_REMOVED,
        Rule.ENUM_CONST_ADDED,
        Rule.ENUM_CONST_CHANGED,
        Rule.ENUM_CONST_REMOVED,  # refused separately when the reader's enum is closed
        Rule.FIELD_ADDED,
        Rule.FIELD_REMOVED,
        Rule.FIELD_NAME_CHANGED,
        Rule.FIELD_STRING_OR_BYTES_LABEL_CHANGED,
        Rule.ONEOF_ADDED,
        Rule.ONEOF_REMOVED,
        Rule.ONEOF_FIELD_ADDED,
    }
)


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference between a writer and a reader schema."""

    path: str
    rule: Rule
    reason: str
    compatible: bool


def incompatibilities(reader: ProtobufSchema, writer: ProtobufSchema) -> list[Incompatibility]:
    """Every reason why data written with ``writer`` cannot be read with ``reader``."""
    return [
        Incompatibility(d.path, d.rule.value, d.reason)
        for d in differences(reader, writer)
        if not d.compatible
    ]


def differences(reader: ProtobufSchema, writer: ProtobufSchema) -> list[Difference]:
    """Every difference between the files, compatible ones included, in a stable order."""
    return _Comparison(_Side(writer), _Side(reader)).run()


_F = FieldDescriptorProto
_WIRE_GROUPS: dict[int, str] = {
    _F.TYPE_INT32: "varint",
    _F.TYPE_INT64: "varint",
    _F.TYPE_UINT32: "varint",
    _F.TYPE_UINT64: "varint",
    _F.TYPE_BOOL: "varint",
    _F.TYPE_ENUM: "varint",
    _F.TYPE_SINT32: "zigzag varint",
    _F.TYPE_SINT64: "zigzag varint",
    _F.TYPE_FIXED32: "32-bit fixed",
    _F.TYPE_SFIXED32: "32-bit fixed",
    _F.TYPE_FIXED64: "64-bit fixed",
    _F.TYPE_SFIXED64: "64-bit fixed",
    _F.TYPE_FLOAT: "float",
    _F.TYPE_DOUBLE: "double",
    _F.TYPE_STRING: "string/bytes",
    _F.TYPE_BYTES: "string/bytes",
}


class _Side:
    """One schema's files, indexed by full type name."""

    def __init__(self, schema: ProtobufSchema) -> None:
        self.file = schema.file
        self.messages: dict[str, tuple[DescriptorProto, str, bool]] = {}
        for file in schema.imported:
            self._index(file, False)
        self._index(schema.file, True)

    def _index(self, file: FileDescriptorProto, root: bool) -> None:
        def walk(messages: list[DescriptorProto], prefix: str) -> None:
            for message in messages:
                name = prefix + message.name
                self.messages[name] = (message, file.package, root)
                walk(list(message.nested_type), f"{name}.")

        walk(list(file.message_type), f"{file.package}." if file.package else "")

    def message(self, type_name: str) -> DescriptorProto:
        return self.messages[type_name.lstrip(".")][0]

    def local_name(self, type_name: str) -> str:
        full = type_name.lstrip(".")
        package = self.messages[full][1]
        return full[len(package) + 1 :] if package else full

    def in_root(self, type_name: str) -> bool:
        return self.messages[type_name.lstrip(".")][2]

    def kind(self, field: FieldDescriptorProto) -> str:
        if field.type != _F.TYPE_MESSAGE:
            return "scalar"
        return "map" if self.message(field.type_name).options.map_entry else "message"


def _declared(messages: list[DescriptorProto]) -> dict[str, tuple[int, DescriptorProto]]:
    declared = [m for m in messages if not m.options.map_entry]
    return {m.name: (i, m) for i, m in enumerate(declared)}


def _real_oneof(message: DescriptorProto, field: FieldDescriptorProto) -> str | None:
    if field.HasField("oneof_index") and not field.proto3_optional:
        return message.oneof_decl[field.oneof_index].name
    return None


def _describe(field: FieldDescriptorProto) -> str:
    if field.type in (_F.TYPE_MESSAGE, _F.TYPE_ENUM):
        named = field.type_name.lstrip(".")
    else:
        named = _F.Type.Name(field.type).removeprefix("TYPE_").lower()
    label = {_F.LABEL_REPEATED: "repeated ", _F.LABEL_REQUIRED: "required "}.get(field.label, "")
    return f"{label}{named}"


class _Comparison:
    def __init__(self, writer: _Side, reader: _Side) -> None:
        self._w = writer
        self._r = reader
        self._found: list[Difference] = []
        self._compared: set[tuple[str, str]] = set()

    def _add(self, path: str, rule: Rule, reason: str, compatible: bool | None = None) -> None:
        ok = rule in COMPATIBLE_RULES if compatible is None else compatible
        self._found.append(Difference(path, rule, reason, ok))

    def run(self) -> list[Difference]:
        w, r = self._w.file, self._r.file
        if w.package != r.package:
            self._add(
                "package",
                Rule.PACKAGE_CHANGED,
                f"the package changed from '{w.package}' to '{r.package}': every message "
                "has a new full name, the bytes read the same",
            )
        if w.syntax != r.syntax:
            self._add(
                "syntax",
                Rule.SYNTAX_VERSION_CHANGED,
                f"the syntax changed from {w.syntax} to {r.syntax}, which changes field "
                "presence and enum semantics",
                compatible=False,
            )
        self._types(list(w.message_type), list(r.message_type), "")
        self._enums(list(w.enum_type), list(r.enum_type), "")
        return self._found

    def _types(
        self, writer: list[DescriptorProto], reader: list[DescriptorProto], prefix: str
    ) -> None:
        ws, rs = _declared(writer), _declared(reader)
        for name in [*ws, *(n for n in rs if n not in ws)]:
            path = prefix + name
            if name not in rs:
                self._add(
                    path,
                    Rule.MESSAGE_REMOVED,
                    f"message '{path}' of the writer schema is missing from the reader schema",
                )
            elif name not in ws:
                self._add(path, Rule.MESSAGE_ADDED, f"message '{path}' was added")
            else:
                (w_index, w_message), (r_index, r_message) = ws[name], rs[name]
                if w_index != r_index:
                    self._add(
                        path,
                        Rule.MESSAGE_MOVED,
                        f"message '{path}' moved from position {w_index} to {r_index}",
                    )
                self._message(w_message, r_message, path)
                self._types(list(w_message.nested_type), list(r_message.nested_type), f"{path}.")
                self._enums(list(w_message.enum_type), list(r_message.enum_type), f"{path}.")

    def _enums(
        self, writer: list[EnumDescriptorProto], reader: list[EnumDescriptorProto], prefix: str
    ) -> None:
        ws, rs = {e.name: e for e in writer}, {e.name: e for e in reader}
        for name in [*ws, *(n for n in rs if n not in ws)]:
            path = prefix + name
            if name not in rs:
                self._add(path, Rule.ENUM_REMOVED, f"enum '{path}' was removed")
            elif name not in ws:
                self._add(path, Rule.ENUM_ADDED, f"enum '{path}' was added")
            else:
                self._enum(ws[name], rs[name], path)

    def _enum(self, writer: EnumDescriptorProto, reader: EnumDescriptorProto, path: str) -> None:
        w_values: dict[int, str] = {}
        for value in writer.value:
            w_values.setdefault(value.number, value.name)
        r_values: dict[int, str] = {}
        for value in reader.value:
            r_values.setdefault(value.number, value.name)
        closed = self._r.file.syntax == "proto2"
        for number in sorted(w_values.keys() | r_values.keys()):
            if number not in r_values:
                self._add(
                    f"{path}.{w_values[number]}",
                    Rule.ENUM_CONST_REMOVED,
                    f"enum value {w_values[number]} = {number} was removed"
                    + ("; the reader's closed (proto2) enum drops it" if closed else ""),
                    compatible=not closed,
                )
            elif number not in w_values:
                self._add(
                    f"{path}.{r_values[number]}",
                    Rule.ENUM_CONST_ADDED,
                    f"enum value {r_values[number]} = {number} was added",
                )
            elif w_values[number] != r_values[number]:
                self._add(
                    f"{path}.{r_values[number]}",
                    Rule.ENUM_CONST_CHANGED,
                    f"enum value {number} was renamed from {w_values[number]} to "
                    f"{r_values[number]}",
                )

    def _message(self, writer: DescriptorProto, reader: DescriptorProto, path: str) -> None:
        w_fields = {f.number: f for f in writer.field}
        r_fields = {f.number: f for f in reader.field}
        w_oneofs = {f.number: o for f in writer.field if (o := _real_oneof(writer, f))}
        r_oneofs = {f.number: o for f in reader.field if (o := _real_oneof(reader, f))}
        self._oneofs(writer, reader, path, w_oneofs, r_oneofs)
        reserved = [(r.start, r.end) for r in writer.reserved_range]
        for number in sorted(w_fields.keys() | r_fields.keys()):
            w_field, r_field = w_fields.get(number), r_fields.get(number)
            if r_field is None:
                assert w_field is not None
                self._removed(w_field, path, w_oneofs.get(number), set(r_oneofs.values()))
            elif w_field is None:
                self._added(r_field, path, r_oneofs.get(number), set(w_oneofs.values()))
                if any(start <= number < end for start, end in reserved):
                    self._add(
                        f"{path}.{r_field.name}",
                        Rule.RESERVED_FIELD_REUSED,
                        f"field number {number} is reserved in the writer schema; older data "
                        "may use it with another meaning",
                    )
            else:
                self._field(w_field, r_field, f"{path}.{r_field.name}")

    def _removed(
        self, field: FieldDescriptorProto, path: str, oneof: str | None, reader_oneofs: set[str]
    ) -> None:
        at = f"{path}.{field.name}"
        if field.label == _F.LABEL_REQUIRED:
            self._add(
                at,
                Rule.REQUIRED_FIELD_REMOVED,
                f"required field '{field.name}' ({field.number}) was removed",
            )
        elif oneof is not None and oneof in reader_oneofs:
            self._add(
                at,
                Rule.ONEOF_FIELD_REMOVED,
                f"field '{field.name}' ({field.number}) was removed from oneof '{oneof}': a "
                "reader would find the oneof unset when the writer set it",
            )
        else:
            self._add(at, Rule.FIELD_REMOVED, f"field '{field.name}' ({field.number}) was removed")

    def _added(
        self, field: FieldDescriptorProto, path: str, oneof: str | None, writer_oneofs: set[str]
    ) -> None:
        at = f"{path}.{field.name}"
        if field.label == _F.LABEL_REQUIRED:
            self._add(
                at,
                Rule.REQUIRED_FIELD_ADDED,
                f"required field '{field.name}' ({field.number}) was added; the writer never "
                "sets it",
            )
        elif oneof is not None and oneof in writer_oneofs:
            self._add(
                at, Rule.ONEOF_FIELD_ADDED, f"field '{field.name}' was added to oneof '{oneof}'"
            )
        else:
            self._add(at, Rule.FIELD_ADDED, f"field '{field.name}' ({field.number}) was added")

    def _oneofs(
        self,
        writer: DescriptorProto,
        reader: DescriptorProto,
        path: str,
        w_oneofs: dict[int, str],
        r_oneofs: dict[int, str],
    ) -> None:
        w_names = [o.name for o in writer.oneof_decl if o.name in w_oneofs.values()]
        r_names = [o.name for o in reader.oneof_decl if o.name in r_oneofs.values()]
        w_names_by_number = {f.number: f.name for f in writer.field}
        for name in r_names:
            # Where the oneof's members were in the writer: each origin is a set of fields
            # the writer could never set together (one field outside any oneof, or one
            # oneof's members). Brand-new fields have no origin: old data never sets them.
            origins: list[str] = []
            outside = 0
            for number in (n for n, o in r_oneofs.items() if o == name):
                if number in w_oneofs:
                    origin = f"oneof '{w_oneofs[number]}'"
                elif number in w_names_by_number:
                    origin = f"field '{w_names_by_number[number]}' ({number})"
                    outside += 1
                else:
                    continue
                if origin not in origins:
                    origins.append(origin)
            if len(origins) < 2:
                continue
            listed = ", ".join(origins)
            if outside > 1:
                self._add(
                    f"{path}.{name}",
                    Rule.MULTIPLE_FIELDS_MOVED_TO_ONEOF,
                    f"oneof '{name}' gathers fields the writer may set together ({listed}): "
                    "the reader keeps only the last one set",
                )
            else:
                self._add(
                    f"{path}.{name}",
                    Rule.FIELD_MOVED_TO_EXISTING_ONEOF,
                    f"oneof '{name}' gathers fields the writer may set together ({listed}): "
                    "the reader keeps only the last one set",
                )
        for name in [*w_names, *(n for n in r_names if n not in w_names)]:
            if name not in r_names:
                self._add(f"{path}.{name}", Rule.ONEOF_REMOVED, f"oneof '{name}' was removed")
            elif name not in w_names:
                self._add(f"{path}.{name}", Rule.ONEOF_ADDED, f"oneof '{name}' was added")

    def _field(self, writer: FieldDescriptorProto, reader: FieldDescriptorProto, path: str) -> None:
        if writer.name != reader.name:
            self._add(
                path,
                Rule.FIELD_NAME_CHANGED,
                f"field {reader.number} was renamed from '{writer.name}' to '{reader.name}'",
            )
        if reader.label == _F.LABEL_REQUIRED and writer.label != _F.LABEL_REQUIRED:
            self._add(
                path,
                Rule.FIELD_LABEL_CHANGED,
                "the reader requires this field but the writer may leave it out",
                compatible=False,
            )
        if not self._slot(writer, reader, path):
            return
        repeated_changed = (writer.label == _F.LABEL_REPEATED) != (
            reader.label == _F.LABEL_REPEATED
        )
        if not repeated_changed or self._r.kind(reader) != "scalar":
            # Message fields: a repeated reader reads one message as a list of one, a
            # singular reader merges the list into one message (protobuf's and Confluent's
            # rule: compatible, not reported).
            return
        change = f"changed from {_describe(writer)} to {_describe(reader)}"
        if _WIRE_GROUPS[reader.type] == "string/bytes":
            self._add(path, Rule.FIELD_STRING_OR_BYTES_LABEL_CHANGED, change)
        else:
            self._add(
                path,
                Rule.FIELD_NUMERIC_LABEL_CHANGED,
                f"{change}: packed repeated numbers and a single number are encoded differently",
            )

    def _slot(self, writer: FieldDescriptorProto, reader: FieldDescriptorProto, path: str) -> bool:
        """Compare the types of two fields (labels aside); True when they are alike."""
        w_kind, r_kind = self._w.kind(writer), self._r.kind(reader)
        if w_kind != r_kind:
            self._add(
                path,
                Rule.FIELD_KIND_CHANGED,
                f"the field changed from a {w_kind} ({_describe(writer)}) to a {r_kind} "
                f"({_describe(reader)})",
            )
            return False
        if w_kind == "scalar":
            w_group, r_group = _WIRE_GROUPS[writer.type], _WIRE_GROUPS[reader.type]
            if w_group != r_group:
                self._add(
                    path,
                    Rule.FIELD_SCALAR_KIND_CHANGED,
                    f"the type changed from {_describe(writer)} ({w_group}) to "
                    f"{_describe(reader)} ({r_group}), which are not wire-compatible",
                )
                return False
            return True
        if w_kind == "map":
            w_entry, r_entry = self._w.message(writer.type_name), self._r.message(reader.type_name)
            key_ok = self._slot(w_entry.field[0], r_entry.field[0], f"{path}.key")
            return self._slot(w_entry.field[1], r_entry.field[1], f"{path}.value") and key_ok
        return self._named(writer.type_name, reader.type_name, path)

    def _named(self, writer_type: str, reader_type: str, path: str) -> bool:
        w_local, r_local = self._w.local_name(writer_type), self._r.local_name(reader_type)
        if w_local != r_local:
            self._add(
                path,
                Rule.FIELD_NAMED_TYPE_CHANGED,
                f"the message type changed from '{w_local}' to '{r_local}'",
            )
            return False
        both_in_root = self._w.in_root(writer_type) and self._r.in_root(reader_type)
        key = (writer_type, reader_type)
        if not both_in_root and key not in self._compared:
            # Messages of this file are compared by the walk over its types; imported
            # ones only through the fields that use them.
            self._compared.add(key)
            self._message(self._w.message(writer_type), self._r.message(reader_type), w_local)
        return True
