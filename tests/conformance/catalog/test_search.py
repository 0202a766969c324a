"""Full-text search: what matches, in which order, and what queries can never break."""

from __future__ import annotations

import pytest

from streammesh.catalog import Catalog
from streammesh.schemas.base import SchemaField
from tests.conformance.catalog.entries import entry


def names(catalog: Catalog, query: str, **filters: object) -> list[str]:
    return [hit.name for hit in catalog.search(query, **filters).hits]  # type: ignore[arg-type]


def test_name_and_tag_matches_rank_above_description_above_field_docs(catalog: Catalog) -> None:
    catalog.upsert(
        entry(
            "risk.exposure",
            fields=(SchemaField("amount", "double", "Notional of the settlement leg."),),
        )
    )
    catalog.upsert(entry("ledger.postings", description="Double-entry postings per settlement."))
    catalog.upsert(entry("payments.settlement"))
    catalog.upsert(entry("treasury.cash", tags=("settlement", "cash")))

    ranked = names(catalog, "settlement")

    assert set(ranked[:2]) == {"payments.settlement", "treasury.cash"}
    assert ranked[2:] == ["ledger.postings", "risk.exposure"]


def test_more_matching_columns_rank_higher_and_scores_decrease(catalog: Catalog) -> None:
    catalog.upsert(entry("cards.refunds"))
    catalog.upsert(entry("payments.refunds", description="Refunds of card payments."))
    hits = catalog.search("refunds").hits
    assert [hit.name for hit in hits] == ["payments.refunds", "cards.refunds"]
    assert hits[0].score > hits[1].score > 0


def test_last_term_matches_as_prefix(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades"))
    catalog.upsert(entry("execution.orders"))
    assert names(catalog, "stock") == ["execution.stocktrades"]
    assert names(catalog, "execution stock") == ["execution.stocktrades"]


def test_earlier_terms_match_whole_words_only(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades"))
    assert names(catalog, "stock execution") == []


def test_every_term_must_match(catalog: Catalog) -> None:
    catalog.upsert(entry("execution.stocktrades", description="Equity fills."))
    catalog.upsert(entry("execution.bondtrades", description="Bond fills."))
    assert names(catalog, "equity fills") == ["execution.stocktrades"]


def test_field_names_field_docs_owners_and_teams_are_searched(catalog: Catalog) -> None:
    catalog.upsert(
        entry(
            "execution.stocktrades",
            owner_name="Ada Lovelace",
            owner_email="ada@example.com",
            team="trading-platform",
            fields=(
                SchemaField("trade_id", "string", "Exchange-assigned identifier."),
                SchemaField("venue.micCode", "string", "ISO 10383 market identifier code."),
            ),
        )
    )
    catalog.upsert(entry("execution.orders"))
    for query in ("lovelace", "ada@example.com", "trading", "miccode", "mic", "10383", "isin"):
        expected = [] if query == "isin" else ["execution.stocktrades"]
        assert names(catalog, query) == expected, query


def test_accents_and_case_are_ignored(catalog: Catalog) -> None:
    catalog.upsert(entry("sales.orders", description="Commandes passées au café."))
    assert names(catalog, "CAFÉ") == ["sales.orders"]
    assert names(catalog, "passees cafe") == ["sales.orders"]


def test_non_latin_text_is_searchable(catalog: Catalog) -> None:
    catalog.upsert(entry("sales.orders", description="注文 イベント"))
    assert names(catalog, "注文") == ["sales.orders"]


def test_empty_query_lists_every_product_by_name(catalog: Catalog) -> None:
    for name in ("b.two", "a.one", "c.three"):
        catalog.upsert(entry(name))
    result = catalog.search("")
    assert [hit.name for hit in result.hits] == ["a.one", "b.two", "c.three"]
    assert result.total == 3


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"stock',
        "*",
        "stock*",
        "AND",
        "stock AND",
        "OR NOT",
        "NEAR(",
        "NEAR(stock trades",
        "'; DROP TABLE catalog_entries; --",
        "name:stock",
        "stock & | ! ( ) : <-> \\",
        "^stock",
        "-",
        "{stock}",
        "日本語 😀",
        "\x00",
        "a" * 5000,
        " ".join(f"w{i}" for i in range(200)),
    ],
)
def test_hostile_queries_never_raise(catalog: Catalog, query: str) -> None:
    catalog.upsert(entry("execution.stocktrades"))
    result = catalog.search(query)
    assert result.total >= 0
    assert names(catalog, "stocktrades") == ["execution.stocktrades"]  # the table survived


def test_operator_words_are_searched_as_words(catalog: Catalog) -> None:
    catalog.upsert(entry("logistics.near_misses", description="Near misses and incidents."))
    catalog.upsert(entry("logistics.shipments"))
    assert names(catalog, "NEAR(") == ["logistics.near_misses"]
    assert names(catalog, "misses AND") == ["logistics.near_misses"]


def test_punctuation_only_query_lists_everything(catalog: Catalog) -> None:
    catalog.upsert(entry("a.one"))
    catalog.upsert(entry("b.two"))
    assert names(catalog, '" * ( :') == ["a.one", "b.two"]


def test_paging(catalog: Catalog) -> None:
    for index in range(5):
        catalog.upsert(entry(f"d.p{index}"))
    page = catalog.search("", limit=2, offset=2)
    assert [hit.name for hit in page.hits] == ["d.p2", "d.p3"]
    assert page.total == 5
    assert page.facets
