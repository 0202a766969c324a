"""Fixtures of the registry conformance suite: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.store import MetadataStore, open_store
from tests.conformance.registry.examples import CONTRACTS, Contract


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or a PostgreSQL database already in the current schema, without rows."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    url: str = request.getfixturevalue("migrated_postgres_url")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file that does not exist yet, or an empty PostgreSQL database (no tables)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[MetadataStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def registry(store: MetadataStore) -> SqlSchemaRegistry:
    return SqlSchemaRegistry(store)


@pytest.fixture(params=CONTRACTS, ids=[c.schema_type.value.lower() for c in CONTRACTS])
def contract(request: pytest.FixtureRequest) -> Contract:
    chosen: Contract = request.param
    return chosen
