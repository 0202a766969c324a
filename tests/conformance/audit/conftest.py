"""Fixtures of the audit conformance suite: SQLite and PostgreSQL stores, embedded and Kafka logs.

``store_kind`` and ``log_kind`` each run over every backend; a module that needs both but not
every pairing overrides them with ``PAIRS`` (the embedded default and the at-scale pairing),
because a first flush to a new Kafka topic alone costs ~0.5 s. The Kafka broker is shared by
the session, so every test relays to a topic of its own (the relay's ``topic`` option) instead
of the real ``_mesh.events``. PostgreSQL tests of a module share one database, emptied before
each test, because creating and migrating a database per test costs ~0.5 s.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from streammesh.audit import AuditAction, AuditEntry, AuditLog, AuditRecord, EventRelay
from streammesh.audit import read_mesh_events as read_events
from streammesh.log import EventLog, open_log
from streammesh.store import MetadataStore, open_store
from tests.support.postgres import EmbeddedPostgres

STORES = ["sqlite", "postgresql"]
LOGS = [pytest.param("embedded", id="embedded"), pytest.param("kafka", marks=pytest.mark.kafka)]
PAIRS = [
    pytest.param(("sqlite", "embedded"), id="sqlite-embedded"),
    pytest.param(("postgresql", "kafka"), id="postgresql-kafka", marks=pytest.mark.kafka),
]
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture(params=LOGS)
def log_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def store_url(store_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if store_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    url: str = request.getfixturevalue("module_postgres_url")
    return url


@pytest.fixture(scope="module")
def module_postgres_url(postgres_server: EmbeddedPostgres) -> Iterator[str]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def store(store_url: str) -> Iterator[MetadataStore]:
    opened = open_store(store_url)
    if opened.backend == "postgresql":
        with opened.write("test-reset") as connection:
            connection.execute(sa.text("TRUNCATE audit_events RESTART IDENTITY"))
    yield opened
    opened.close()


@pytest.fixture
def log_url(log_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if log_kind == "embedded":
        return f"embedded://{tmp_path}/log"
    bootstrap: str = request.getfixturevalue("kafka_bootstrap")
    return f"kafka://{bootstrap}"


@pytest.fixture
def log(log_url: str) -> Iterator[EventLog]:
    opened = open_log(log_url)
    yield opened
    opened.close()


@pytest.fixture
def topic() -> str:
    """This test's events topic (the shared Kafka broker outlives the test)."""
    return f"_mesh.events.test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def audit(store: MetadataStore) -> AuditLog:
    return AuditLog(store)


@pytest.fixture
def make_relay(
    store: MetadataStore, log: EventLog, topic: str
) -> Iterator[Callable[..., EventRelay]]:
    """Relays on this test's store, log and topic, closed after the test."""
    made: list[EventRelay] = []

    def make(**options: object) -> EventRelay:
        relay = EventRelay(store, log, topic=topic, **options)  # type: ignore[arg-type]
        made.append(relay)
        return relay

    yield make
    for relay in made:
        relay.close()


@pytest.fixture
def commit(store: MetadataStore, audit: AuditLog) -> Callable[..., list[int]]:
    """``commit(n, subject=...)``: record ``n`` entries in one committed transaction."""

    def commit_(count: int = 1, *, subject: str = "execution.stocktrades.v1") -> list[int]:
        with store.write("test-change") as connection:
            return [
                audit.record(connection, entry(subject, sequence=i), at=T0 + timedelta(seconds=i))
                for i in range(count)
            ]

    return commit_


@pytest.fixture
def read_topic(log: EventLog, topic: str) -> Callable[[], list[AuditRecord]]:
    """Everything on this test's events topic, from the beginning."""
    return lambda: read_events(log, topic=topic, max_events=100_000, timeout=30.0)


def entry(
    subject: str = "execution.stocktrades.v1",
    *,
    sequence: int = 0,
    action: AuditAction = AuditAction.PRODUCT_UPDATED,
) -> AuditEntry:
    return AuditEntry(
        action,
        subject,
        "cli:alice",
        before={"sequence": sequence - 1} if sequence else None,
        after={"sequence": sequence, "status": "published"},
        note=f"change {sequence}",
    )
