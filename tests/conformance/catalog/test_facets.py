"""Facet filters, facet counts and lifecycle visibility."""

from __future__ import annotations

import pytest

from streammesh.catalog import Catalog, Facet, InvalidSearch
from streammesh.products.descriptor import Alignment, QualityTier, SlaTier, Status
from tests.conformance.catalog.entries import entry


@pytest.fixture
def trading(catalog: Catalog) -> Catalog:
    catalog.upsert(
        entry(
            "execution.stocktrades",
            description="Trades on the exchange.",
            tags=("trades", "equities"),
            quality=QualityTier.AUTHORITATIVE,
            sla_tier=SlaTier.CRITICAL,
            owner_email="ada@example.com",
            owner_name="Ada Lovelace",
            team="trading",
        )
    )
    catalog.upsert(
        entry(
            "execution.bondtrades",
            description="Trades of bonds.",
            tags=("trades", "fixed-income"),
            team="trading",
        )
    )
    catalog.upsert(
        entry(
            "risk.trades_exposure",
            description="Exposure per trades book.",
            tags=("risk",),
            alignment=Alignment.AGGREGATE,
        )
    )
    catalog.upsert(
        entry("execution.fills", description="Trades, the old feed.", status=Status.DEPRECATED)
    )
    catalog.upsert(entry("execution.ticks", description="Trades, older.", status=Status.RETIRED))
    return catalog


def test_facet_counts_cover_the_whole_matching_set(trading: Catalog) -> None:
    result = trading.search("trades", limit=1)
    assert len(result.hits) == 1
    assert result.total == 3
    assert result.facets[Facet.DOMAIN] == {"execution": 2, "risk": 1}
    assert result.facets[Facet.TAGS] == {"trades": 2, "equities": 1, "fixed-income": 1, "risk": 1}
    assert result.facets[Facet.TEAM] == {"trading": 2, "platform": 1}
    assert result.facets[Facet.OWNER] == {"grace@example.com": 2, "ada@example.com": 1}
    assert result.facets[Facet.QUALITY] == {"curated": 2, "authoritative": 1}
    assert result.facets[Facet.SLA_TIER] == {"3": 2, "1": 1}
    assert result.facets[Facet.ALIGNMENT] == {"source": 2, "aggregate": 1}
    assert result.facets[Facet.STATUS] == {"published": 3}


def test_facet_counts_follow_the_filters(trading: Catalog) -> None:
    result = trading.search("trades", domain="execution")
    assert result.facets[Facet.DOMAIN] == {"execution": 2}
    assert result.facets[Facet.TAGS] == {"trades": 2, "equities": 1, "fixed-income": 1}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"domain": "risk"}, ["risk.trades_exposure"]),
        (
            {"domain": ["risk", "execution"]},
            ["execution.bondtrades", "execution.stocktrades", "risk.trades_exposure"],
        ),
        ({"owner": "ada@example.com"}, ["execution.stocktrades"]),
        ({"owner": "Ada Lovelace"}, ["execution.stocktrades"]),
        ({"team": "trading"}, ["execution.bondtrades", "execution.stocktrades"]),
        ({"tags": "equities"}, ["execution.stocktrades"]),
        ({"tags": ["trades", "fixed-income"]}, ["execution.bondtrades"]),
        ({"tags": ["equities", "fixed-income"]}, []),
        ({"quality": "authoritative"}, ["execution.stocktrades"]),
        ({"sla_tier": 1}, ["execution.stocktrades"]),
        (
            {"sla_tier": [1, 3]},
            ["execution.bondtrades", "execution.stocktrades", "risk.trades_exposure"],
        ),
        ({"alignment": "aggregate"}, ["risk.trades_exposure"]),
        ({"team": "trading", "tags": "equities"}, ["execution.stocktrades"]),
    ],
)
def test_filters(trading: Catalog, filters: dict[str, object], expected: list[str]) -> None:
    hits = trading.search("", **filters).hits  # type: ignore[arg-type]
    assert [hit.name for hit in hits] == expected


def test_deprecated_and_retired_are_hidden_by_default(trading: Catalog) -> None:
    found = {hit.name for hit in trading.search("trades").hits}
    assert "execution.fills" not in found
    assert "execution.ticks" not in found


def test_include_deprecated_shows_deprecated_but_not_retired(trading: Catalog) -> None:
    found = {hit.name for hit in trading.search("trades", include_deprecated=True).hits}
    assert "execution.fills" in found
    assert "execution.ticks" not in found


def test_status_facet_finds_deprecated_and_retired(trading: Catalog) -> None:
    assert [h.name for h in trading.search("trades", status="deprecated").hits] == [
        "execution.fills"
    ]
    assert [h.name for h in trading.search("", status="retired").hits] == ["execution.ticks"]
    both = trading.search("", status=["deprecated", "retired"])
    assert both.facets[Facet.STATUS] == {"deprecated": 1, "retired": 1}


def test_drafts_are_listed(catalog: Catalog) -> None:
    catalog.upsert(entry("sales.orders", status=Status.DRAFT))
    assert [hit.status for hit in catalog.search("orders").hits] == [Status.DRAFT]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1001, 0), (10, -1)])
def test_bad_paging_is_refused(catalog: Catalog, limit: int, offset: int) -> None:
    with pytest.raises(InvalidSearch):
        catalog.search("", limit=limit, offset=offset)


def test_non_numeric_sla_tier_is_refused(catalog: Catalog) -> None:
    with pytest.raises(InvalidSearch, match="SLA tiers"):
        catalog.search("", sla_tier=["gold"])  # type: ignore[list-item]
