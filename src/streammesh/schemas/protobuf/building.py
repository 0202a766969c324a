"""Turning a parsed ``.proto`` syntax tree into a ``FileDescriptorProto``.

This is the part of ``protoc`` a registry needs: scoped type-name resolution, map entries,
oneofs (with proto3 ``optional`` as synthetic oneofs), reserved numbers and names, and the
checks whose failure deserves a located message (``message acme.Trade, field price``)
rather than the descriptor pool's terse one. Field options are ignored, except the proto2
``default``. Leading comments (or else a trailing one) become field docs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FieldDescriptorProto,
    FileDescriptorProto,
)
from proto_schema_parser import ast

from streammesh.schemas.base import SchemaType
from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.protobuf.comments import comment_text
from streammesh.schemas.protobuf.symbols import SymbolKind, SymbolTable

_PROTOBUF = SchemaType.PROTOBUF.value
_F = FieldDescriptorProto

SCALAR_TYPES: dict[str, FieldDescriptorProto.Type.ValueType] = {
    "double": _F.TYPE_DOUBLE,
    "float": _F.TYPE_FLOAT,
    "int64": _F.TYPE_INT64,
    "uint64": _F.TYPE_UINT64,
    "int32": _F.TYPE_INT32,
    "fixed64": _F.TYPE_FIXED64,
    "fixed32": _F.TYPE_FIXED32,
    "bool": _F.TYPE_BOOL,
    "string": _F.TYPE_STRING,
    "bytes": _F.TYPE_BYTES,
    "uint32": _F.TYPE_UINT32,
    "sfixed32": _F.TYPE_SFIXED32,
    "sfixed64": _F.TYPE_SFIXED64,
    "sint32": _F.TYPE_SINT32,
    "sint64": _F.TYPE_SINT64,
}
MAX_FIELD_NUMBER = 536_870_911
_IMPLEMENTATION_RESERVED = range(19_000, 20_000)
_MAX_ENUM_NUMBER = 2_147_483_647


@dataclass
class BuiltFile:
    """A file descriptor and the docs of its fields (by the field's full name)."""

    proto: FileDescriptorProto
    docs: dict[str, str] = field(default_factory=dict)


def declare_types(tree: ast.File, package: str, symbols: SymbolTable) -> None:
    """Add the messages and enums ``tree`` declares to ``symbols`` (before resolving)."""
    symbols.add_package(package)

    def visit(elements: Sequence[object], prefix: str) -> None:
        for element in elements:
            if isinstance(element, ast.Message):
                symbols.symbols[prefix + element.name] = SymbolKind.MESSAGE
                visit(element.elements, f"{prefix}{element.name}.")
            elif isinstance(element, ast.Enum):
                symbols.symbols[prefix + element.name] = SymbolKind.ENUM

    visit(tree.file_elements, f"{package}." if package else "")


def package_of(tree: ast.File) -> str:
    """The file's package ('' when it declares none); at most one declaration is allowed."""
    packages = [e.name for e in tree.file_elements if isinstance(e, ast.Package)]
    if len(packages) > 1:
        raise InvalidSchema(_PROTOBUF, "package declaration", "declare the package only once")
    return "".join(packages[0].split()) if packages else ""


def build_file(
    tree: ast.File, name: str, dependencies: Sequence[str], symbols: SymbolTable
) -> BuiltFile:
    """Build the descriptor of ``tree``; ``symbols`` must already hold every visible type.

    Raises:
        InvalidSchema: naming the message and field (or enum and value) at fault.
    """
    package = package_of(tree)
    built = BuiltFile(FileDescriptorProto(name=name, package=package, syntax=tree.syntax))
    built.proto.dependency.extend(dependencies)
    builder = _Builder(tree.syntax == "proto3", package, symbols, built.docs)
    for element in tree.file_elements:
        if isinstance(element, ast.Message):
            builder.message(element, package, built.proto.message_type.add())
        elif isinstance(element, ast.Enum):
            builder.enum(element, package, built.proto.enum_type.add())
        elif isinstance(element, ast.Extension):
            raise InvalidSchema(
                _PROTOBUF,
                f"extend {element.typeName}",
                "extensions are not supported in registered schemas; declare a field instead",
            )
    if not built.proto.message_type:
        raise InvalidSchema(_PROTOBUF, "file", "the file declares no message; declare one")
    return built


def _qualified(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def _map_entry_name(field_name: str) -> str:
    """protoc's map entry name: ``foo_bar`` -> ``FooBarEntry``."""
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_")) + "Entry"


def _docs(elements: Sequence[object]) -> dict[int, str]:
    """Doc of each declaration, by position: its leading comments, else a trailing one."""
    docs: dict[int, str] = {}
    leading: list[str] = []
    for index, element in enumerate(elements):
        if isinstance(element, ast.Comment):
            if not element.inline:
                leading.append(comment_text(element.text))
            continue
        text = "\n".join(part for part in leading if part)
        following = elements[index + 1] if index + 1 < len(elements) else None
        if not text and isinstance(following, ast.Comment) and following.inline:
            text = comment_text(following.text)
        if text:
            docs[index] = text
        leading = []
    return docs


def _ranges(texts: Sequence[str], maximum: int, where: str) -> list[tuple[int, int]]:
    """Parse ``reserved`` ranges (``7``, ``9 to 11``, ``20 to max``) as inclusive pairs."""
    ranges = []
    for text in texts:
        parts = text.split()
        try:
            start = int(parts[0], 0)
            end = start if len(parts) == 1 else maximum if parts[2] == "max" else int(parts[2], 0)
        except (IndexError, ValueError) as exc:
            raise InvalidSchema(_PROTOBUF, where, f"cannot read reserved range '{text}'") from exc
        if end < start:
            raise InvalidSchema(_PROTOBUF, where, f"reserved range '{text}' ends before it starts")
        ranges.append((start, end))
    return ranges


def _in_ranges(number: int, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(start <= number <= end for start, end in ranges)


class _Builder:
    def __init__(
        self, proto3: bool, package: str, symbols: SymbolTable, docs: dict[str, str]
    ) -> None:
        self._proto3 = proto3
        self._package = package
        self._symbols = symbols
        self._docs = docs

    def message(self, node: ast.Message, scope: str, out: DescriptorProto) -> None:
        full_name = _qualified(scope, node.name)
        out.name = node.name
        where = f"message {full_name}"
        docs = _docs(node.elements)
        reserved: list[tuple[int, int]] = []
        reserved_names: set[str] = set()
        synthetic: list[FieldDescriptorProto] = []
        for index, element in enumerate(node.elements):
            doc = docs.get(index)
            if isinstance(element, ast.Field):
                made = self.field(element, full_name, out.field.add(), None)
                if made.proto3_optional:
                    synthetic.append(made)
                self._document(full_name, made.name, doc)
            elif isinstance(element, ast.MapField):
                self.map_field(element, full_name, out)
                self._document(full_name, element.name, doc)
            elif isinstance(element, ast.OneOf):
                self.oneof(element, full_name, out)
            elif isinstance(element, ast.Message):
                self.message(element, full_name, out.nested_type.add())
            elif isinstance(element, ast.Enum):
                self.enum(element, full_name, out.enum_type.add())
            elif isinstance(element, ast.Reserved):
                for start, end in _ranges(element.ranges, MAX_FIELD_NUMBER, where):
                    out.reserved_range.add(start=start, end=end + 1)  # exclusive end
                    reserved.append((start, end))
                out.reserved_name.extend(element.names)
                reserved_names.update(element.names)
            elif isinstance(element, ast.Group):
                raise InvalidSchema(
                    _PROTOBUF,
                    f"{where}, group {element.name}",
                    "groups are not supported; declare a nested message and a field instead",
                )
            elif isinstance(element, ast.ExtensionRange | ast.Extension):
                raise InvalidSchema(
                    _PROTOBUF, where, "extensions are not supported in registered schemas"
                )
        for made in synthetic:
            # Synthetic oneofs come after the real ones, as protoc declares them.
            made.oneof_index = len(out.oneof_decl)
            out.oneof_decl.add(name=f"_{made.name}")
        self._check_fields(out, where, reserved, reserved_names)

    def _document(self, message: str, field_name: str, doc: str | None) -> None:
        if doc:
            self._docs[f"{message}.{field_name}"] = doc

    def _check_fields(
        self,
        out: DescriptorProto,
        where: str,
        reserved: Sequence[tuple[int, int]],
        reserved_names: set[str],
    ) -> None:
        numbers: dict[int, str] = {}
        names: set[str] = set()
        for made in out.field:
            at = f"{where}, field {made.name}"
            if not 1 <= made.number <= MAX_FIELD_NUMBER:
                raise InvalidSchema(
                    _PROTOBUF, at, f"field number {made.number} is outside 1..{MAX_FIELD_NUMBER}"
                )
            if made.number in _IMPLEMENTATION_RESERVED:
                raise InvalidSchema(
                    _PROTOBUF,
                    at,
                    f"field numbers 19000..19999 are reserved by protobuf; {made.number} "
                    "cannot be used",
                )
            if made.number in numbers:
                raise InvalidSchema(
                    _PROTOBUF,
                    at,
                    f"field number {made.number} is already used by field "
                    f"'{numbers[made.number]}'; give each field its own number",
                )
            if made.name in names:
                raise InvalidSchema(_PROTOBUF, at, "two fields have this name; rename one")
            if _in_ranges(made.number, reserved):
                raise InvalidSchema(
                    _PROTOBUF,
                    at,
                    f"field number {made.number} is reserved in this message; use another",
                )
            if made.name in reserved_names:
                raise InvalidSchema(
                    _PROTOBUF, at, f"field name '{made.name}' is reserved in this message"
                )
            numbers[made.number] = made.name
            names.add(made.name)

    def field(
        self,
        node: ast.Field,
        scope: str,
        out: FieldDescriptorProto,
        oneof_index: int | None,
    ) -> FieldDescriptorProto:
        where = f"message {scope}, field {node.name}"
        out.name = node.name
        out.number = node.number
        out.label = _F.LABEL_OPTIONAL
        if oneof_index is not None:
            out.oneof_index = oneof_index
        cardinality = node.cardinality
        if cardinality is ast.FieldCardinality.REPEATED:
            out.label = _F.LABEL_REPEATED
        elif cardinality is ast.FieldCardinality.REQUIRED:
            if self._proto3:
                raise InvalidSchema(
                    _PROTOBUF, where, "proto3 has no required fields; remove 'required'"
                )
            out.label = _F.LABEL_REQUIRED
        elif cardinality is ast.FieldCardinality.OPTIONAL:
            out.proto3_optional = self._proto3
        elif not self._proto3 and oneof_index is None:
            raise InvalidSchema(
                _PROTOBUF, where, "proto2 fields need a label: optional, required or repeated"
            )
        self._set_type(out, node.type, scope, where)
        for option in node.options:
            if option.name == "default":
                self._set_default(out, option.value, where)
        return out

    def _set_type(self, out: FieldDescriptorProto, written: str, scope: str, where: str) -> None:
        type_name = "".join(written.split())
        scalar = SCALAR_TYPES.get(type_name)
        if scalar is not None:
            out.type = scalar
            return
        resolved = self._symbols.resolve(type_name, scope)
        if resolved is None:
            raise InvalidSchema(
                _PROTOBUF,
                where,
                f"unknown type '{written}': not a scalar type, nor a message or enum declared "
                "here or in an imported file (check the spelling and the imports)",
            )
        full_name, kind = resolved
        out.type = _F.TYPE_MESSAGE if kind is SymbolKind.MESSAGE else _F.TYPE_ENUM
        out.type_name = f".{full_name}"

    def _set_default(self, out: FieldDescriptorProto, value: object, where: str) -> None:
        if self._proto3:
            raise InvalidSchema(
                _PROTOBUF, where, "proto3 has no custom default values; remove [default = ...]"
            )
        if out.label == _F.LABEL_REPEATED or out.type == _F.TYPE_MESSAGE:
            raise InvalidSchema(_PROTOBUF, where, "only singular scalar fields can have a default")
        if isinstance(value, bool):
            out.default_value = "true" if value else "false"
        elif isinstance(value, ast.Identifier):
            out.default_value = value.name
        else:
            out.default_value = str(value)

    def map_field(self, node: ast.MapField, scope: str, message: DescriptorProto) -> None:
        where = f"message {scope}, field {node.name}"
        # The grammar only admits integer, bool and string key types.
        key_type = "".join(node.key_type.split())
        entry = message.nested_type.add(name=_map_entry_name(node.name))
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, label=_F.LABEL_OPTIONAL, type=SCALAR_TYPES[key_type])
        value = entry.field.add(name="value", number=2, label=_F.LABEL_OPTIONAL)
        self._set_type(value, node.value_type, scope, where)
        message.field.add(
            name=node.name,
            number=node.number,
            label=_F.LABEL_REPEATED,
            type=_F.TYPE_MESSAGE,
            type_name=f".{scope}.{entry.name}",
        )

    def oneof(self, node: ast.OneOf, scope: str, message: DescriptorProto) -> None:
        index = len(message.oneof_decl)
        message.oneof_decl.add(name=node.name)
        docs = _docs(node.elements)
        members = 0
        for position, element in enumerate(node.elements):
            if isinstance(element, ast.Field):
                made = self.field(element, scope, message.field.add(), index)
                self._document(scope, made.name, docs.get(position))
                members += 1
            elif isinstance(element, ast.Group):
                raise InvalidSchema(
                    _PROTOBUF,
                    f"message {scope}, oneof {node.name}",
                    "groups are not supported; declare a nested message and a field instead",
                )
        if not members:
            raise InvalidSchema(
                _PROTOBUF, f"message {scope}, oneof {node.name}", "a oneof needs at least one field"
            )

    def enum(self, node: ast.Enum, scope: str, out: EnumDescriptorProto) -> None:
        full_name = _qualified(scope, node.name)
        where = f"enum {full_name}"
        out.name = node.name
        reserved: list[tuple[int, int]] = []
        reserved_names: set[str] = set()
        for element in node.elements:
            if isinstance(element, ast.EnumValue):
                out.value.add(name=element.name, number=element.number)
            elif isinstance(element, ast.EnumReserved):
                for start, end in _ranges(element.ranges, _MAX_ENUM_NUMBER, where):
                    out.reserved_range.add(start=start, end=end)  # inclusive end for enums
                    reserved.append((start, end))
                out.reserved_name.extend(element.names)
                reserved_names.update(element.names)
            elif isinstance(element, ast.Option) and element.name == "allow_alias":
                out.options.allow_alias = element.value is True
        if not out.value:
            raise InvalidSchema(_PROTOBUF, where, "an enum needs at least one value")
        if self._proto3 and out.value[0].number != 0:
            raise InvalidSchema(
                _PROTOBUF,
                f"{where}, value {out.value[0].name}",
                "the first value of a proto3 enum must be 0 (it is the default)",
            )
        numbers: dict[int, str] = {}
        for value in out.value:
            at = f"{where}, value {value.name}"
            if value.number in numbers and not out.options.allow_alias:
                raise InvalidSchema(
                    _PROTOBUF,
                    at,
                    f"number {value.number} is already used by '{numbers[value.number]}'; "
                    "use another number or set option allow_alias = true",
                )
            if _in_ranges(value.number, reserved) or value.name in reserved_names:
                raise InvalidSchema(_PROTOBUF, at, "this value's number or name is reserved")
            numbers.setdefault(value.number, value.name)
