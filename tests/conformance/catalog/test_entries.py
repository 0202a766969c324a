"""Upserting, reading and removing entries; the index follows every change."""

from __future__ import annotations

import pytest

from streammesh.catalog import Catalog, ProductNotInCatalog
from streammesh.products.descriptor import Status
from streammesh.schemas.base import SchemaField
from tests.conformance.catalog.entries import entry


def test_get_returns_what_was_upserted(catalog: Catalog) -> None:
    stored = entry(
        "execution.stocktrades",
        tags=("trades", "equities"),
        fields=(SchemaField("price", "double", "Price per share."), SchemaField("qty", "long")),
    )
    catalog.upsert(stored)
    assert catalog.get("execution.stocktrades") == stored


def test_upsert_replaces_the_entry_and_its_index(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades", description="Equity fills.", tags=("old",)))
    replaced = entry("execution.stocktrades", description="Share executions.", tags=("new",))
    catalog.upsert(replaced)

    assert catalog.get("execution.stocktrades") == replaced
    assert catalog.search("equity").total == 0
    assert [hit.name for hit in catalog.search("executions").hits] == ["execution.stocktrades"]
    assert catalog.search("", tags="old").total == 0
    assert catalog.search("", tags="new").total == 1
    assert catalog.search("").total == 1


def test_versions_are_entries_of_their_own(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades", status=Status.DEPRECATED))
    catalog.upsert(entry("execution.stocktrades", version=2))

    assert catalog.get("execution.stocktrades").version == 2
    assert catalog.get("execution.stocktrades", 1).status is Status.DEPRECATED
    assert [(h.name, h.version) for h in catalog.search("stocktrades").hits] == [
        ("execution.stocktrades", 2)
    ]
    assert catalog.search("stocktrades", include_deprecated=True).total == 2


def test_remove_one_version(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades"))
    catalog.upsert(entry("execution.stocktrades", version=2))
    catalog.remove("execution.stocktrades", 1)
    assert catalog.get("execution.stocktrades").version == 2
    with pytest.raises(ProductNotInCatalog):
        catalog.get("execution.stocktrades", 1)


def test_remove_drops_the_entry_from_search(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades", tags=("trades",)))
    catalog.upsert(entry("execution.orders", tags=("trades",)))
    catalog.remove("execution.stocktrades")

    with pytest.raises(ProductNotInCatalog, match=r"execution\.stocktrades"):
        catalog.get("execution.stocktrades")
    assert [hit.name for hit in catalog.search("trades").hits] == ["execution.orders"]
    assert catalog.search("stocktrades").total == 0
    assert catalog.search("", tags="trades").facets["tags"] == {"trades": 1}  # type: ignore[index]


def test_remove_of_an_unknown_product_raises(catalog: Catalog) -> None:
    with pytest.raises(ProductNotInCatalog):
        catalog.remove("execution.nothing")


def test_readding_a_removed_product_is_found_again(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades"))
    catalog.remove("execution.stocktrades")
    catalog.upsert(entry("execution.stocktrades"))
    assert catalog.search("stocktrades").total == 1
