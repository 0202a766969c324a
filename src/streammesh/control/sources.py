"""``ProductSource``: a descriptor with its schema's text, as ``plan`` and ``apply`` take them.

The CLI and the SDK read them from a domain's folder with :func:`read_product_sources` (the one
reader from paths to sources); the REST API receives them in a request body
(:meth:`ProductSource.parse`). Either way the control plane gets the same value and never reads
files itself, so a server can plan a descriptor that lives on a developer's laptop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streammesh.control.errors import InvalidProductSource
from streammesh.products import (
    CheckedDescriptor,
    Descriptor,
    find_descriptors,
    parse_descriptor,
    read_descriptor,
    read_schema,
)
from streammesh.registry import SchemaSubmission


@dataclass(frozen=True, slots=True)
class ProductSource:
    """One product version as its owners wrote it.

    Attributes:
        descriptor: The validated descriptor.
        schema: The text of its value schema.
        origin: Where it came from, for messages (the descriptor's path, or ``request``).
        text: The descriptor's YAML text as written (empty when it was built in code), so a
            client sends it to a server without reading the file again.
    """

    descriptor: Descriptor
    schema: str
    origin: str
    text: str = ""

    @property
    def reference(self) -> str:
        """``<name>.v<version>``."""
        return self.descriptor.topic

    @property
    def submission(self) -> SchemaSubmission:
        """The value schema as the registry takes it."""
        return SchemaSubmission(self.schema, self.descriptor.schema_ref.format.schema_type)

    def checked(self) -> CheckedDescriptor:
        """The source as the descriptor checker takes it (files named from ``origin``)."""
        schema_file = Path(self.origin).parent / self.descriptor.schema_ref.path
        return CheckedDescriptor(self.descriptor, self.schema, self.origin, str(schema_file))

    @classmethod
    def parse(cls, descriptor: str, schema: str, *, origin: str = "request") -> ProductSource:
        """A source from a descriptor's YAML (or JSON) text and its schema's text.

        Raises:
            DescriptorInvalid: The descriptor breaks its rules (every problem listed).
            InvalidProductSource: The schema text is empty.
        """
        parsed = parse_descriptor(descriptor, source=origin)
        if not schema.strip():
            raise InvalidProductSource(origin, "the schema text is empty; send the schema file")
        return cls(parsed, schema, origin, descriptor)


def read_product_sources(paths: Sequence[str | Path]) -> list[ProductSource]:
    """The sources of the descriptors under ``paths``, each descriptor and schema file read once.

    Folders are searched as ``streammesh validate`` searches them
    (:func:`streammesh.products.validation.find_descriptors`).

    Raises:
        InvalidProductSource: A path does not exist, or no descriptor was found.
        DescriptorInvalid: A descriptor is invalid (every problem listed), or names a schema
            file that does not exist (``SchemaFileMissing``).
        SchemaFileUnreadable: A schema file cannot be read as UTF-8 text.
    """
    found, problems = find_descriptors(paths)
    if problems:
        first = problems[0]
        hint = f"; {first.hint}" if first.hint else ""
        raise InvalidProductSource(first.file or "paths", f"{first.message}{hint}")
    return _read_sources(found)


def _read_sources(paths: Sequence[Path]) -> list[ProductSource]:
    """The sources of the descriptor files ``paths`` (no folders), each file read once.

    Raises:
        DescriptorInvalid: A descriptor is invalid or names a schema file that is missing.
        SchemaFileUnreadable: A schema file cannot be read as UTF-8 text.
    """
    sources = []
    for path in paths:
        read = read_descriptor(path)
        sources.append(ProductSource(read.descriptor, read_schema(read), str(path), read.text))
    return sources
