"""What a search returns: hits, facet counts and the paging it was asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from streammesh.products.descriptor import Status


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
