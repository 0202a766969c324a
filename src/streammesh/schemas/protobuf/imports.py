"""Resolving a file's imports: referenced schemas, protobuf's well-known types, the pool.

An import path names either a referenced schema (the reference's name is the import path,
as in Confluent's registry) or one of the well-known types shipped inside the ``protobuf``
package (``google/protobuf/timestamp.proto`` and friends), whose descriptors are copied
from the package's own pool. Every parsed schema gets a private ``DescriptorPool`` holding
its imports (transitively, dependencies first) and then itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from google.protobuf import (
    any_pb2,
    api_pb2,
    descriptor_pool,
    duration_pb2,
    empty_pb2,
    field_mask_pb2,
    source_context_pb2,
    struct_pb2,
    timestamp_pb2,
    type_pb2,
    wrappers_pb2,
)
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.descriptor_pb2 import FileDescriptorProto
from google.protobuf.descriptor_pool import DescriptorPool

from streammesh.schemas.base import ParsedSchema, SchemaType
from streammesh.schemas.errors import InvalidSchema, UnresolvedReference
from streammesh.schemas.protobuf.schema import ProtobufSchema

_PROTOBUF = SchemaType.PROTOBUF.value

_WELL_KNOWN: dict[str, FileDescriptor] = {
    module.DESCRIPTOR.name: module.DESCRIPTOR
    for module in (
        any_pb2,
        api_pb2,
        duration_pb2,
        empty_pb2,
        field_mask_pb2,
        source_context_pb2,
        struct_pb2,
        timestamp_pb2,
        type_pb2,
        wrappers_pb2,
    )
}


class ImportedFiles:
    """The files a schema imports, transitively, in an order the pool accepts."""

    def __init__(self) -> None:
        self.files: dict[str, FileDescriptorProto] = {}
        self._fingerprints: dict[str, str] = {}
        self.docs: dict[str, str] = {}

    def add_imports(self, imports: Sequence[str], references: Mapping[str, ParsedSchema]) -> None:
        """Add each imported file (and what it imports) unless it is already present."""
        for path in imports:
            reference = references.get(path)
            if reference is not None:
                self._add_reference(path, reference)
            elif path in _WELL_KNOWN:
                self._add_well_known(_WELL_KNOWN[path])
            else:
                raise UnresolvedReference(_PROTOBUF, path)

    def _add_reference(self, path: str, reference: ParsedSchema) -> None:
        if not isinstance(reference, ProtobufSchema):
            raise InvalidSchema(
                _PROTOBUF,
                f'import "{path}"',
                f"the reference is a {reference.schema_type} schema; a .proto file can only "
                "import Protobuf schemas",
            )
        known = self._fingerprints.get(path)
        if known is not None:
            if known != reference.fingerprint:
                raise InvalidSchema(
                    _PROTOBUF,
                    f'import "{path}"',
                    "two different schemas are imported under this path; use one version",
                )
            return
        self.add_imports(reference.file.dependency, reference.references)
        copy = FileDescriptorProto()
        copy.CopyFrom(reference.file)
        copy.name = path
        self.files[path] = copy
        self._fingerprints[path] = reference.fingerprint
        self.docs.update(reference.docs)

    def _add_well_known(self, descriptor: FileDescriptor) -> None:
        if descriptor.name in self.files:
            return
        for dependency in descriptor.dependencies:
            self._add_well_known(dependency)
        proto = FileDescriptorProto()
        descriptor.CopyToProto(proto)
        self.files[descriptor.name] = proto


def root_file_name(imported: Mapping[str, object]) -> str:
    """A name for the schema's own file that none of its imports uses."""
    name = "schema.proto"
    while name in imported:
        name = f"_{name}"
    return name


def build_pool(files: Sequence[FileDescriptorProto]) -> DescriptorPool:
    """A private pool holding ``files`` (each after the files it imports).

    Raises:
        InvalidSchema: with protobuf's own explanation, for problems the file builder
            does not check itself (e.g. two declarations with one name).
    """
    pool = descriptor_pool.DescriptorPool()
    for file in files:
        try:
            pool.Add(file)
        except (TypeError, ValueError, KeyError) as exc:
            reason = str(exc).removeprefix("Couldn't build proto file into descriptor pool: ")
            raise InvalidSchema(_PROTOBUF, f"file {file.name}", reason) from exc
    return pool
