"""Fixtures of the connector integration tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.postgres import EmbeddedPostgres


@pytest.fixture(scope="session")
def logical_postgres() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of the session with ``wal_level=logical`` (change data capture),
    on a free loopback port; tests create a database each (``create_database``)."""
    settings = {"wal_level": "logical", "max_replication_slots": "40", "max_wal_senders": "40"}
    with EmbeddedPostgres(settings=settings) as server:
        yield server


def drop_slot_once_released(url: str, slot: str, timeout_s: float = 15.0) -> None:
    """Drop replication slot ``slot`` as soon as no WAL sender holds it: a closed reader's
    server process lets go of its slot a moment after the client disconnects."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as connection:
        while True:
            dropped = connection.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name = %s AND NOT active",
                (slot,),
            ).fetchall()
            if dropped:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"replication slot {slot!r} still in use after {timeout_s} s")
            time.sleep(0.05)


def drop_database_and_slots(server: EmbeddedPostgres, url: str) -> None:
    """Drop a test's database and its replication slots, even those a failed test left in
    use (their sessions are ended first; a slot frees once its reader is gone)."""
    name = url.rsplit("/", 1)[1]
    server.disconnect_all(url)
    with psycopg.connect(server.dsn(), autocommit=True) as connection:
        deadline = time.monotonic() + 10
        while True:
            connection.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE database = %s AND NOT active",
                (name,),
            )
            left = connection.execute(
                "SELECT count(*) FROM pg_replication_slots WHERE database = %s", (name,)
            ).fetchone()
            if not left or not left[0] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    server.drop_database(url)
