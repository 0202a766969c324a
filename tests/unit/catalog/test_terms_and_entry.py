"""Term splitting (shared by index and queries) and entries built from descriptors."""

from __future__ import annotations

from streammesh.catalog import CatalogEntry
from streammesh.catalog.postgres_index import tsquery_text
from streammesh.catalog.sqlite_index import match_query
from streammesh.catalog.terms import MAX_QUERY_TERMS, query_terms, words
from streammesh.products.descriptor import Descriptor, SlaTier, Status
from streammesh.schemas.base import SchemaField


def test_words_split_names_snake_and_camel_case() -> None:
    assert words("execution.stockTrades trade_id") == [
        "execution",
        "stocktrades",
        "stock",
        "trades",
        "trade",
        "id",
    ]


def test_words_fold_case_and_accents() -> None:
    assert words("Café CRÈME") == ["cafe", "creme"]


def test_query_terms_drop_operators_and_duplicates() -> None:
    assert query_terms('"stock" AND stock* NEAR( -x') == ["stock", "and", "near", "x"]
    assert len(query_terms(" ".join(f"w{i}" for i in range(50)))) == MAX_QUERY_TERMS


def test_database_queries_quote_every_term_and_prefix_the_last() -> None:
    assert match_query(["and", "stock"]) == '"and" "stock"*'
    assert tsquery_text(["and", "stock"]) == "'and' & 'stock':*"


def test_entry_from_descriptor() -> None:
    descriptor = Descriptor.model_validate(
        {
            "name": "execution.stocktrades",
            "owner": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "team": "trading-platform",
            "description": "Every trade executed on the exchange.",
            "tags": ["trades"],
            "alignment": "source",
            "kind": "measurement",
            "key": {"field": "trade_id", "type": "string"},
            "schema": "stocktrades.avsc",
            "version": 2,
            "sla": {"tier": 1},
        }
    )
    fields = (SchemaField("trade_id", "string", "Exchange id."),)
    entry = CatalogEntry.from_descriptor(descriptor, fields)
    assert entry.domain == "execution"
    assert entry.topic == "execution.stocktrades.v2"
    assert entry.sla_tier is SlaTier.CRITICAL
    assert entry.status is Status.DRAFT
    assert entry.field_paths == ("trade_id",)
    assert entry.field_docs == ("Exchange id.",)
