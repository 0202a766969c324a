"""``ProductSource``: a descriptor with its schema's text, as ``plan`` and ``apply`` take them.

The CLI reads them from a domain's folder; the REST API receives them in a request body. Either
way the control plane gets the same value and never reads files itself, so a server can plan a
descriptor that lives on a developer's laptop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streammesh.control.errors import InvalidProductSource
from streammesh.products.descriptor import Descriptor
from streammesh.products.loading import load_descriptor, parse_descriptor
from streammesh.registry.base import SchemaSubmission


@dataclass(frozen=True, slots=True)
class ProductSource:
    """One product version as its owners wrote it.

    Attributes:
        descriptor: The validated descriptor.
        schema: The text of its value schema.
        origin: Where it came from, for messages (the descriptor's path, or ``request``).
    """

    descriptor: Descriptor
    schema: str
    origin: str

    @property
    def reference(self) -> str:
        """``<name>.v<version>``."""
        return self.descriptor.topic

    @property
    def submission(self) -> SchemaSubmission:
        """The value schema as the registry takes it."""
        return SchemaSubmission(self.schema, self.descriptor.schema_ref.format.schema_type)

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
        return cls(parsed, schema, origin)


def read_sources(paths: Sequence[Path]) -> list[ProductSource]:
    """The sources of the descriptor files ``paths``, with their schema files read.

    Raises:
        DescriptorInvalid: A descriptor is invalid or names a schema file that is missing.
        InvalidProductSource: A schema file cannot be read as UTF-8 text.
    """
    sources = []
    for path in paths:
        descriptor = load_descriptor(path)
        schema_file = path.parent / descriptor.schema_ref.path
        try:
            text = schema_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidProductSource(str(schema_file), f"cannot be read: {exc}") from None
        sources.append(ProductSource(descriptor, text, str(path)))
    return sources
