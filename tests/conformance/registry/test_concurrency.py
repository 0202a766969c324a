"""Several processes on one store at once: first opens (migrations) and registrations race."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.pool
from collections.abc import Iterator

import pytest

from streammesh.registry import SchemaSubmission
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.store import open_store

PROCESSES = 3
SCHEMAS = 8
TIMEOUT_S = 60


def submission(index: int) -> SchemaSubmission:
    fields = [{"name": f"f{i}", "type": ["null", "string"], "default": None} for i in range(index)]
    return SchemaSubmission(json.dumps({"type": "record", "name": "Trade", "fields": fields}))


def register_all(url: str) -> list[tuple[int, int]]:
    """In a child process: open the store and register every schema, in order."""
    store = open_store(url)
    try:
        registry = SqlSchemaRegistry(store)
        results = []
        for index in range(SCHEMAS):
            registered = registry.register("t-value", submission(index))
            results.append((registered.version, registered.id))
        return results
    finally:
        store.close()


def open_and_close(url: str) -> str:
    open_store(url).close()
    return "opened"


@pytest.fixture
def pool() -> Iterator[multiprocessing.pool.Pool]:
    workers = multiprocessing.get_context("spawn").Pool(PROCESSES)
    yield workers
    workers.terminate()
    workers.join()


@pytest.mark.slow
def test_processes_registering_the_same_schemas_get_one_id_and_version_each(
    store_url: str, pool: multiprocessing.pool.Pool
) -> None:
    outcomes = pool.map_async(register_all, [store_url] * PROCESSES).get(timeout=TIMEOUT_S)
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert [version for version, _ in outcomes[0]] == list(range(1, SCHEMAS + 1))
    store = open_store(store_url)
    try:
        assert SqlSchemaRegistry(store).versions("t-value") == list(range(1, SCHEMAS + 1))
    finally:
        store.close()


@pytest.mark.slow
def test_processes_opening_a_fresh_store_at_once_all_succeed(
    empty_store_url: str, pool: multiprocessing.pool.Pool
) -> None:
    opened = pool.map_async(open_and_close, [empty_store_url] * PROCESSES).get(timeout=TIMEOUT_S)
    assert opened == ["opened"] * PROCESSES
