"""The text of a catalog entry as the full-text index holds it, column by column."""

from __future__ import annotations

from typing import NamedTuple

from streammesh.catalog.entry import CatalogEntry
from streammesh.catalog.terms import index_text


class SearchDocument(NamedTuple):
    """An entry's searchable text, split into columns by how much a match in them counts.

    Ranking weights, highest first: ``name`` and ``tags``; ``description``; ``people``
    (owner, e-mail, team) and ``field_names``; ``field_docs``.
    """

    name: str
    tags: str
    description: str
    people: str
    field_names: str
    field_docs: str

    @classmethod
    def of(cls, entry: CatalogEntry) -> SearchDocument:
        """The document of ``entry`` (already split into terms, see ``catalog.terms``)."""
        return cls(
            name=index_text(entry.name),
            tags=index_text(entry.tags),
            description=index_text(entry.description),
            people=index_text(entry.owner_name, entry.owner_email, entry.team),
            field_names=index_text(entry.field_paths),
            field_docs=index_text(entry.field_docs),
        )
