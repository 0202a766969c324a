"""Loading ``.proto`` text into a ``ProtobufSchema``: parse, resolve imports, build, pool."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from google.protobuf.message_factory import GetMessageClass
from proto_schema_parser import ast

from streammesh.schemas.base import ParsedSchema
from streammesh.schemas.protobuf.building import build_file, declare_types, package_of
from streammesh.schemas.protobuf.canonical import fingerprint_of, render_canonical
from streammesh.schemas.protobuf.imports import ImportedFiles, build_pool, root_file_name
from streammesh.schemas.protobuf.parsing import parse_proto
from streammesh.schemas.protobuf.schema import ProtobufSchema
from streammesh.schemas.protobuf.symbols import SymbolTable


def load_schema(text: str, references: Mapping[str, ParsedSchema]) -> ProtobufSchema:
    """Parse, check and load ``text``; its imports come from ``references`` by import path.

    Raises:
        InvalidSchema: for a syntax error (line and column) or a semantic one (message
            and field).
        UnresolvedReference: for an import that is neither among ``references`` nor a
            well-known type shipped with protobuf.
    """
    tree = parse_proto(text)
    canonical = render_canonical(tree)
    imports = [e.name for e in tree.file_elements if isinstance(e, ast.Import)]
    imported = ImportedFiles()
    imported.add_imports(imports, references)
    symbols = SymbolTable()
    for file in imported.files.values():
        symbols.add_file(file)
    declare_types(tree, package_of(tree), symbols)
    built = build_file(tree, root_file_name(imported.files), imports, symbols)
    pool = build_pool([*imported.files.values(), built.proto])
    package = built.proto.package
    record = built.proto.message_type[0].name
    name = f"{package}.{record}" if package else record
    descriptor = pool.FindMessageTypeByName(name)
    return ProtobufSchema(
        text=text,
        canonical=canonical,
        fingerprint=fingerprint_of(canonical, references),
        name=name,
        references=MappingProxyType(dict(references)),
        file=built.proto,
        imported=tuple(imported.files.values()),
        docs=MappingProxyType({**imported.docs, **built.docs}),
        pool=pool,
        descriptor=descriptor,
        message_class=GetMessageClass(descriptor),
    )
