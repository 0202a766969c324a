"""``CatalogEntry``: what the catalog knows about one version of a data product."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from streammesh.products import Alignment, Descriptor, EventKind, QualityTier, SlaTier, Status
from streammesh.schemas import SchemaField


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One version of a data product as the catalog lists and searches it.

    ``(name, version)`` identifies an entry: a new major version (``execution.stocktrades``
    v2) runs side by side with v1 and has an entry of its own. Build one with
    :meth:`from_descriptor`.
    """

    name: str
    domain: str
    owner_name: str
    owner_email: str
    team: str
    description: str
    tags: tuple[str, ...]
    quality: QualityTier
    sla_tier: SlaTier
    alignment: Alignment
    kind: EventKind
    status: Status
    version: int
    topic: str
    fields: tuple[SchemaField, ...] = ()
    """The value schema's fields (path, type, doc), as ``ParsedSchema.fields()`` gives them."""

    @classmethod
    def from_descriptor(
        cls, descriptor: Descriptor, fields: Iterable[SchemaField] = ()
    ) -> CatalogEntry:
        """The entry of ``descriptor``, whose value schema has ``fields``.

        Example:
            >>> entry = CatalogEntry.from_descriptor(descriptor, parsed_schema.fields())
        """
        return cls(
            name=descriptor.name,
            domain=descriptor.domain,
            owner_name=descriptor.owner.name,
            owner_email=descriptor.owner.email,
            team=descriptor.team,
            description=descriptor.description,
            tags=tuple(descriptor.tags),
            quality=descriptor.quality,
            sla_tier=descriptor.sla.tier,
            alignment=descriptor.alignment,
            kind=descriptor.kind,
            status=descriptor.status,
            version=descriptor.version,
            topic=descriptor.topic,
            fields=tuple(fields),
        )

    @property
    def field_paths(self) -> tuple[str, ...]:
        """The schema's field paths, in declaration order."""
        return tuple(field.path for field in self.fields)

    @property
    def field_docs(self) -> tuple[str, ...]:
        """The docs of the fields that have one."""
        return tuple(field.doc for field in self.fields if field.doc)
