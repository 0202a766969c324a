"""Soft and permanent deletes of versions and subjects, and what survives them."""

from __future__ import annotations

import pytest

from streammesh.registry import SchemaSubmission
from streammesh.registry.errors import (
    InvalidVersion,
    SchemaNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from streammesh.registry.sql import SqlSchemaRegistry
from tests.conformance.registry.examples import Contract


@pytest.fixture
def two_versions(registry: SqlSchemaRegistry, contract: Contract) -> tuple[int, int]:
    first = registry.register("t-value", SchemaSubmission(contract.original, contract.schema_type))
    second = registry.register("t-value", SchemaSubmission(contract.evolved, contract.schema_type))
    return first.id, second.id


def test_soft_deleted_version_is_hidden_unless_asked(
    registry: SqlSchemaRegistry, two_versions: tuple[int, int]
) -> None:
    assert registry.delete_version("t-value", 2) == 2
    assert registry.versions("t-value") == [1]
    assert registry.versions("t-value", deleted=True) == [1, 2]
    assert registry.version("t-value", "latest").version == 1
    with pytest.raises(VersionNotFound):
        registry.version("t-value", 2)
    assert registry.version("t-value", 2, deleted=True).deleted
    # The schema stays readable by id, as Confluent's does.
    assert registry.schema(two_versions[1]).id == two_versions[1]
    assert registry.subject_versions_of(two_versions[1]) == []
    assert registry.subject_versions_of(two_versions[1], deleted=True) == [("t-value", 2)]


def test_soft_deleting_twice_and_permanent_before_soft(
    registry: SqlSchemaRegistry, two_versions: tuple[int, int]
) -> None:
    with pytest.raises(VersionNotSoftDeleted):
        registry.delete_version("t-value", 1, permanent=True)
    registry.delete_version("t-value", 1)
    with pytest.raises(VersionSoftDeleted):
        registry.delete_version("t-value", 1)
    assert registry.delete_version("t-value", 1, permanent=True) == 1
    assert registry.versions("t-value", deleted=True) == [2]
    with pytest.raises(VersionNotFound):
        registry.delete_version("t-value", 1, permanent=True)


def test_version_selectors(registry: SqlSchemaRegistry, two_versions: tuple[int, int]) -> None:
    assert registry.version("t-value", -1).version == 2
    assert registry.delete_version("t-value", "latest") == 2
    assert registry.delete_version("t-value", "latest") == 1
    for bad in (0, -2, "first"):
        with pytest.raises(InvalidVersion):
            registry.version("t-value", bad)  # type: ignore[arg-type]


def test_reregistering_a_soft_deleted_schema_makes_a_new_version(
    registry: SqlSchemaRegistry, contract: Contract, two_versions: tuple[int, int]
) -> None:
    registry.delete_version("t-value", 2)
    again = registry.register("t-value", SchemaSubmission(contract.evolved, contract.schema_type))
    assert (again.version, again.id) == (3, two_versions[1])
    found = registry.lookup(
        "t-value", SchemaSubmission(contract.evolved, contract.schema_type), deleted=True
    )
    assert found.version == 3


def test_subject_soft_then_permanent_delete(
    registry: SqlSchemaRegistry, two_versions: tuple[int, int]
) -> None:
    with pytest.raises(SubjectNotSoftDeleted):
        registry.delete_subject("t-value", permanent=True)
    assert registry.delete_subject("t-value") == [1, 2]
    assert registry.subjects() == []
    assert registry.subjects(deleted=True) == ["t-value"]
    with pytest.raises(SubjectNotFound):
        registry.versions("t-value")
    with pytest.raises(SubjectSoftDeleted):
        registry.delete_subject("t-value")
    assert registry.delete_subject("t-value", permanent=True) == [1, 2]
    assert registry.subjects(deleted=True) == []
    with pytest.raises(SubjectNotFound):
        registry.delete_subject("t-value")
    with pytest.raises(SchemaNotFound):
        registry.schema(two_versions[0])


def test_ids_are_never_reused_and_versions_restart_after_permanent_delete(
    registry: SqlSchemaRegistry, contract: Contract, two_versions: tuple[int, int]
) -> None:
    registry.delete_subject("t-value")
    registry.delete_subject("t-value", permanent=True)
    other = registry.register("u-value", SchemaSubmission(contract.breaking, contract.schema_type))
    assert other.id > max(two_versions)
    back = registry.register("t-value", SchemaSubmission(contract.original, contract.schema_type))
    assert (back.version, back.id) == (1, two_versions[0])


def test_versions_continue_after_soft_deleting_the_latest(
    registry: SqlSchemaRegistry, contract: Contract, two_versions: tuple[int, int]
) -> None:
    registry.delete_version("t-value", 2)
    third = registry.register(
        "t-value", SchemaSubmission(contract.reformatted, contract.schema_type)
    )
    # The schema is still live as version 1: re-registering it returns that version.
    assert third.version == 1


def test_deleting_in_an_unknown_subject(registry: SqlSchemaRegistry) -> None:
    with pytest.raises(SubjectNotFound):
        registry.delete_version("nothing-value", 1)
    with pytest.raises(SubjectNotFound):
        registry.delete_subject("nothing-value", permanent=True)


def test_permanently_deleted_subject_loses_its_settings(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    from streammesh.registry import CompatibilityLevel

    registry.register("t-value", SchemaSubmission(contract.original, contract.schema_type))
    registry.set_compatibility(CompatibilityLevel.NONE, "t-value")
    registry.delete_subject("t-value")
    assert registry.compatibility("t-value") is CompatibilityLevel.NONE
    registry.delete_subject("t-value", permanent=True)
    assert registry.compatibility("t-value") is CompatibilityLevel.FULL_TRANSITIVE
