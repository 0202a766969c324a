"""Fixtures of the connector integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import EmbeddedPostgres


@pytest.fixture(scope="session")
def logical_postgres() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of the session with ``wal_level=logical`` (change data capture),
    on a free loopback port; tests create a database each (``create_database``)."""
    settings = {"wal_level": "logical", "max_replication_slots": "40", "max_wal_senders": "40"}
    with EmbeddedPostgres(settings=settings) as server:
        yield server
