"""Schemas by id answered from memory: the same answers, and a permanent delete still seen."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from streammesh.registry import SchemaSubmission
from streammesh.registry.errors import SchemaNotFound
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.registry.tables import versions
from streammesh.store import MetadataStore
from tests.conformance.registry.examples import Contract


def _delete_rows_as_another_process(store: MetadataStore, subject: str) -> None:
    """What a permanent delete made by another process leaves in the store (this process's
    registries are not told)."""
    with store.write("schema-registry") as connection:
        connection.execute(sa.delete(versions).where(versions.c.subject == subject))


def test_a_schema_read_by_id_is_answered_from_memory_until_it_is_stale(
    store: MetadataStore, contract: Contract
) -> None:
    registry = SqlSchemaRegistry(store, remember_s=0.5)
    submission = SchemaSubmission(contract.original, contract.schema_type)
    schema_id = registry.register("t-value", submission).id
    first = registry.schema(schema_id)
    assert registry.remembered_schema(schema_id) == first
    _delete_rows_as_another_process(store, "t-value")
    # Within remember_s the id still answers here (another process's delete is seen late) ...
    assert registry.schema(schema_id) == first
    with pytest.raises(SchemaNotFound):  # ... while a registry that does not remember sees it
        SqlSchemaRegistry(store, remember_s=0).schema(schema_id)
    time.sleep(0.6)
    assert registry.remembered_schema(schema_id) is None
    with pytest.raises(SchemaNotFound):
        registry.schema(schema_id)


def test_a_permanent_delete_in_this_process_is_seen_at_once_by_every_registry(
    store: MetadataStore, contract: Contract
) -> None:
    serving = SqlSchemaRegistry(store, remember_s=60)
    deleting = SqlSchemaRegistry(store, remember_s=60)  # e.g. the control plane's
    schema_id = serving.register(
        "t-value", SchemaSubmission(contract.original, contract.schema_type)
    ).id
    remembered = serving.schema(schema_id)
    deleting.delete_subject("t-value")
    assert serving.schema(schema_id) == remembered  # soft-deleted: still readable by id
    deleting.delete_subject("t-value", permanent=True)
    assert serving.remembered_schema(schema_id) is None
    with pytest.raises(SchemaNotFound, match=f"no schema with id {schema_id}"):
        serving.schema(schema_id)
    # Registered again, the schema gets its old id back and answers again.
    again = deleting.register("t-value", SchemaSubmission(contract.original, contract.schema_type))
    assert again.id == schema_id
    assert serving.schema(schema_id) == remembered


def test_a_permanently_deleted_version_is_forgotten_by_the_recording_registry_too(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    recording = registry.recording(lambda connection, change: None)
    schema_id = recording.register(
        "t-value", SchemaSubmission(contract.original, contract.schema_type)
    ).id
    registry.schema(schema_id)
    recording.delete_version("t-value", 1)
    recording.delete_version("t-value", 1, permanent=True)
    with pytest.raises(SchemaNotFound):
        registry.schema(schema_id)
