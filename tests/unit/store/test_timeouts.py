"""PostgreSQL bounds per use: a server's statements and lock waits end with a clear
``StoreUnavailable`` (503), the CLI's long statements run to their end, and a fresh database
is migrated by a bounded store all the same. (A server that stops answering altogether is
``tests/integration/test_postgres_hang.py``.)"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from streammesh.store import StoreTimeouts, StoreUnavailable, open_store

REQUESTS = StoreTimeouts.for_requests(2.0)
"""A server's bounds with a 2 s dependency timeout: statements 2 s, lock waits 1 s."""


def test_a_statement_past_the_request_bound_is_unavailable_and_the_store_serves_on(
    postgres_url: str,
) -> None:
    with open_store(postgres_url, timeouts=REQUESTS) as store:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as refused, store.read() as connection:
            connection.execute(sa.text("SELECT pg_sleep(3)"))
        took = time.monotonic() - started

        with store.read() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1

    assert "statement timeout" in str(refused.value)
    assert store.url in str(refused.value)
    assert took < 2.9


def test_maintenance_statements_run_as_long_as_they_take(postgres_url: str) -> None:
    with open_store(postgres_url) as store, store.read() as connection:
        assert connection.execute(sa.text("SELECT pg_sleep(1.5), 7")).one()[1] == 7


def test_a_request_waiting_for_another_writers_lock_gives_up_with_a_clear_error(
    postgres_url: str,
) -> None:
    with (
        open_store(postgres_url) as maintenance,
        open_store(postgres_url, timeouts=REQUESTS) as serving,
    ):
        with maintenance.write("apply"):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as refused, serving.write("apply"):
                pass
            took = time.monotonic() - started
        with serving.write("apply"):  # free again: taken at once
            pass

    assert "lock timeout" in str(refused.value)
    assert took < 1.9


def test_a_bounded_store_migrates_a_fresh_database(postgres_url: str) -> None:
    """Migrations run on an unbounded connection of their own, whoever opens the store."""
    with open_store(postgres_url, timeouts=REQUESTS) as store, store.read() as connection:
        tables = sa.inspect(connection).get_table_names()

    assert "identity_tokens" in tables
