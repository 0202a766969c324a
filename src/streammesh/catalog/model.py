"""What a search returns: hits, facet counts and the paging it was asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from streammesh.products import Status


class Facet(StrEnum):
    """The dimensions a search can be filtered by and counted over."""

    DOMAIN = "domain"
    OWNER = "owner"
    """Counted by the owner's e-mail address (names are not unique)."""
    TEAM = "team"
    TAGS = "tags"
    QUALITY = "quality"
    SLA_TIER = "sla_tier"
    ALIGNMENT = "alignment"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One product version that matches, in rank order.

    ``score`` is higher for a better match (0.0 for an empty query, which lists by name).
    """

    name: str
    version: int
    description: str
    domain: str
    status: Status
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits, how many matched in total, and facet counts over every match.

    ``facets[facet][value]`` is how many matching product versions have that value (for
    tags: carry that tag), counted over the whole matching set, not just this page.
    """

    hits: tuple[SearchHit, ...]
    total: int
    facets: Mapping[Facet, Mapping[str, int]]
    limit: int
    offset: int

    def document(self) -> dict[str, Any]:
        """The JSON shape of the result (REST API, ``--json``)."""
        return {
            "hits": [
                {
                    "name": hit.name,
                    "version": hit.version,
                    "reference": f"{hit.name}.v{hit.version}",
                    "description": hit.description,
                    "domain": hit.domain,
                    "status": hit.status.value,
                    "score": hit.score,
                }
                for hit in self.hits
            ],
            "total": self.total,
            "facets": {facet.value: dict(counts) for facet, counts in self.facets.items()},
            "limit": self.limit,
            "offset": self.offset,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> SearchResult:
        """The result back from :meth:`document` (REST clients)."""
        return cls(
            hits=tuple(
                SearchHit(
                    hit["name"],
                    int(hit["version"]),
                    hit["description"],
                    hit["domain"],
                    Status(hit["status"]),
                    float(hit["score"]),
                )
                for hit in document["hits"]
            ),
            total=int(document["total"]),
            facets={
                Facet(facet): {str(value): int(count) for value, count in counts.items()}
                for facet, counts in document["facets"].items()
            },
            limit=int(document["limit"]),
            offset=int(document["offset"]),
        )
