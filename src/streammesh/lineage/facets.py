"""The standard OpenLineage dataset facets of a product: what the mesh knows of it as a
dataset (schema, owners, description, where it lives, its product name).

Each facet carries ``_producer`` and ``_schemaURL`` as the spec's ``BaseFacet`` requires; the
schema URLs name the facet spec versions the shapes follow. The mesh knows no data-quality
assertions nor field-level lineage, so ``dataQualityAssertions`` and ``columnLineage`` are
never exported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streammesh.catalog import CatalogEntry
from streammesh.lineage.openlineage import MESH_NAMESPACE, OPENLINEAGE_PRODUCER
from streammesh.schemas import SchemaField

_FACETS = "https://openlineage.io/spec/facets"
SCHEMA_FACET_URL = f"{_FACETS}/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
OWNERSHIP_FACET_URL = f"{_FACETS}/1-0-1/OwnershipDatasetFacet.json#/$defs/OwnershipDatasetFacet"
DOCUMENTATION_FACET_URL = (
    f"{_FACETS}/1-1-0/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet"
)
DATASOURCE_FACET_URL = f"{_FACETS}/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"
SYMLINKS_FACET_URL = f"{_FACETS}/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet"
DATA_PRODUCT = "DATA_PRODUCT"
"""The symlink identifier type of a product's name (the dataset itself is its topic)."""


@dataclass(frozen=True, slots=True)
class Datasource:
    """Where the mesh's products live: the event log's URL (``kafka://bootstrap`` or
    ``embedded://directory``)."""

    name: str
    uri: str

    @property
    def is_kafka(self) -> bool:
        return self.uri.startswith("kafka://")


def _facet(schema_url: str, **content: Any) -> dict[str, Any]:
    return {"_producer": OPENLINEAGE_PRODUCER, "_schemaURL": schema_url, **content}


def schema_fields(fields: Iterable[SchemaField]) -> list[dict[str, Any]]:
    """The registry's field list as the SchemaDatasetFacet's tree: a record's fields nest
    under it (``trade.price`` under ``trade``), as do an array's or map's item fields
    (``legs[].qty`` under ``legs``)."""
    roots: list[dict[str, Any]] = []
    by_path: dict[str, dict[str, Any]] = {}
    for field in fields:
        path = field.path.replace("[]", "").replace("{}", "")
        parent_path, _, name = path.rpartition(".")
        node: dict[str, Any] = {"name": name, "type": field.type}
        if field.doc:
            node["description"] = field.doc
        parent = by_path.get(parent_path) if parent_path else None
        if parent is None:
            # A parent the registry did not list: keep the field, named by its whole path.
            node["name"] = path
            roots.append(node)
        else:
            parent.setdefault("fields", []).append(node)
        by_path[path] = node
    return roots


def product_facets(entry: CatalogEntry, source: Datasource) -> dict[str, Any]:
    """The dataset facets of one product version, by facet name."""
    identifiers = [{"namespace": MESH_NAMESPACE, "name": entry.name, "type": DATA_PRODUCT}]
    if source.is_kafka:
        identifiers.append({"namespace": source.uri, "name": entry.topic, "type": "TOPIC"})
    return {
        "schema": _facet(SCHEMA_FACET_URL, fields=schema_fields(entry.fields)),
        "ownership": _facet(
            OWNERSHIP_FACET_URL,
            owners=[
                {"name": f"team:{entry.team}", "type": "OWNER"},
                {"name": f"user:{entry.owner_email}", "type": "MAINTAINER"},
            ],
        ),
        "documentation": _facet(DOCUMENTATION_FACET_URL, description=entry.description),
        "datasource": _facet(DATASOURCE_FACET_URL, name=source.name, uri=source.uri),
        "symlinks": _facet(SYMLINKS_FACET_URL, identifiers=identifiers),
    }
