"""Fixtures of the catalog conformance suite: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.catalog import Catalog
from streammesh.store import MetadataStore, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
    else:
        url = request.getfixturevalue("migrated_postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture
def catalog(store: MetadataStore) -> Catalog:
    return Catalog(store)
