"""The product catalog: every data product version, searchable by text and facets.

SQLite FTS5 (BM25 with column weights) on the embedded store, PostgreSQL full-text search
(weighted ``tsvector``, GIN index, ``ts_rank``) when the store is PostgreSQL; the index is
written in the same transaction as the entry. Errors::

    CatalogError
    ├── ProductNotInCatalog   no entry has that name (and version)
    └── InvalidSearch         paging or filters out of range
"""

from __future__ import annotations

from streammesh.catalog.catalog import MAX_LIMIT, Catalog
from streammesh.catalog.entry import CatalogEntry
from streammesh.catalog.errors import CatalogError, InvalidSearch, ProductNotInCatalog
from streammesh.catalog.model import Facet, SearchHit, SearchResult

__all__ = [
    "MAX_LIMIT",
    "Catalog",
    "CatalogEntry",
    "CatalogError",
    "Facet",
    "InvalidSearch",
    "ProductNotInCatalog",
    "SearchHit",
    "SearchResult",
]
