"""Building catalog entries for tests: a plausible product, with any field overridden."""

from __future__ import annotations

from typing import Any

from streammesh.catalog import CatalogEntry
from streammesh.products.descriptor import Alignment, EventKind, QualityTier, SlaTier, Status
from streammesh.schemas.base import SchemaField


def entry(name: str, **overrides: Any) -> CatalogEntry:
    """An entry named ``name`` with bland text (no word of it appears in the tests' queries)."""
    version = overrides.pop("version", 1)
    values: dict[str, Any] = {
        "name": name,
        "domain": name.split(".", 1)[0],
        "owner_name": "Grace Hopper",
        "owner_email": "grace@example.com",
        "team": "platform",
        "description": "Events of a business process.",
        "tags": (),
        "quality": QualityTier.CURATED,
        "sla_tier": SlaTier.STANDARD,
        "alignment": Alignment.SOURCE,
        "kind": EventKind.STATE,
        "status": Status.PUBLISHED,
        "version": version,
        "topic": f"{name}.v{version}",
        "fields": (SchemaField("id", "string", "Identifier of the record."),),
    }
    values.update(overrides)
    return CatalogEntry(**values)
