"""Exported OpenLineage events carry the standard dataset facets, each in the shape the
official ``openlineage-python`` client's facet classes (generated from the spec) give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attr
import pytest
from openlineage.client.generated import (
    datasource_dataset,
    documentation_dataset,
    ownership_dataset,
    schema_dataset,
    symlinks_dataset,
)
from openlineage.client.serde import Serde

from streammesh.lineage import MeshLineage
from streammesh.lineage.facets import schema_fields
from streammesh.registry.base import SchemaType
from streammesh.schemas.formats import format_for
from streammesh.sdk.local import InProcessMesh
from tests.unit.lineage.world import TRADES, open_world


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[InProcessMesh]:
    world = open_world(tmp_path / "mesh")
    yield world
    world.close()


def _fields(items: list[dict[str, Any]]) -> list[schema_dataset.SchemaDatasetFacetFields]:
    return [
        schema_dataset.SchemaDatasetFacetFields(
            **{**item, "fields": _fields(item.get("fields", []))}
        )
        for item in items
    ]


# Each facet the export promises, and how to build it with the client's spec classes.
SPEC: dict[str, tuple[type[Any], Any]] = {
    "schema": (
        schema_dataset.SchemaDatasetFacet,
        lambda c: {"fields": _fields(c["fields"])},
    ),
    "ownership": (
        ownership_dataset.OwnershipDatasetFacet,
        lambda c: {"owners": [ownership_dataset.Owner(**o) for o in c["owners"]]},
    ),
    "documentation": (documentation_dataset.DocumentationDatasetFacet, lambda c: c),
    "datasource": (datasource_dataset.DatasourceDatasetFacet, lambda c: c),
    "symlinks": (
        symlinks_dataset.SymlinksDatasetFacet,
        lambda c: {"identifiers": [symlinks_dataset.Identifier(**i) for i in c["identifiers"]]},
    ),
}


def _without_empty_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [_without_empty_lists(v) for v in value]
    return value


def test_a_product_dataset_carries_each_standard_facet_in_spec_shape(
    mesh: InProcessMesh,
) -> None:
    local = mesh.local
    events = MeshLineage(local.plane, local.store, local.log).export()
    fraud = next(e for e in events if e["job"]["name"] == "fraud-detector")
    (trades,) = fraud["inputs"]
    assert trades["name"] == f"{TRADES}.v1"
    facets = trades["facets"]
    assert set(facets) == set(SPEC)
    for name, (facet_class, content) in SPEC.items():
        facet = facets[name]
        assert facet["_producer"].startswith("https://")
        assert facet["_schemaURL"] == facet_class._get_schema(), name
        own = {k: v for k, v in facet.items() if not k.startswith("_")}
        built = facet_class(**content(own), producer=facet["_producer"])
        assert _without_empty_lists(Serde.to_dict(built)) == facet, name
    json.dumps(events)  # plain JSON all the way down

    assert [(f["name"], f["type"]) for f in facets["schema"]["fields"]] == [
        ("id", "string"),
        ("amount", "double"),
    ]
    assert facets["schema"]["fields"][1]["description"] == "Amount in euros."
    owners = [o["name"] for o in facets["ownership"]["owners"]]
    assert any(o.startswith("team:") for o in owners) and any(
        o.startswith("user:") and "@" in o for o in owners
    )
    assert facets["documentation"]["description"] == "Rows for lineage tests."
    assert facets["datasource"]["uri"] == local.log.url
    assert {"namespace": "streammesh", "name": TRADES, "type": "DATA_PRODUCT"} in facets[
        "symlinks"
    ]["identifiers"]


def test_nested_fields_nest_in_the_schema_facet() -> None:
    avro = json.dumps(
        {
            "type": "record",
            "name": "Trade",
            "fields": [
                {"name": "id", "type": "string", "doc": "The id."},
                {
                    "name": "price",
                    "type": {
                        "type": "record",
                        "name": "Price",
                        "fields": [{"name": "amount", "type": "double"}],
                    },
                },
                {
                    "name": "legs",
                    "type": {
                        "type": "array",
                        "items": {
                            "type": "record",
                            "name": "Leg",
                            "fields": [{"name": "qty", "type": "int"}],
                        },
                    },
                },
            ],
        }
    )
    fields = format_for(SchemaType.AVRO).parse(avro).fields()
    assert schema_fields(fields) == [
        {"name": "id", "type": "string", "description": "The id."},
        {"name": "price", "type": "Price", "fields": [{"name": "amount", "type": "double"}]},
        {"name": "legs", "type": "array<Leg>", "fields": [{"name": "qty", "type": "int"}]},
    ]
    # The client's classes take the tree as it is.
    attr.asdict(schema_dataset.SchemaDatasetFacet(fields=_fields(schema_fields(fields))))
