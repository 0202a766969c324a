"""Compatibility levels: which versions a new schema is checked against, in which direction,
how they are configured per subject and globally, and explicit compatibility checks."""

from __future__ import annotations

import json

import pytest

from streammesh.registry import CompatibilityLevel, SchemaSubmission
from streammesh.registry.errors import (
    CompatibilityNotConfigured,
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidVersion,
    SubjectNotFound,
    VersionNotFound,
)
from streammesh.registry.sql import SqlSchemaRegistry
from tests.conformance.registry.examples import Contract

L = CompatibilityLevel


def avro(*fields: dict[str, object]) -> SchemaSubmission:
    own: list[dict[str, object]] = [{"name": "a", "type": "string"}, *fields]
    return SchemaSubmission(json.dumps({"type": "record", "name": "Trade", "fields": own}))


V1 = avro()
WITH_B_DEFAULT = avro({"name": "b", "type": "int", "default": 0})
WITH_B_REQUIRED = avro({"name": "b", "type": "int"})


@pytest.mark.parametrize(
    ("level", "accepted"),
    [
        (L.NONE, True),
        # New reader (requires b) cannot read old data without b: backward-incompatible.
        (L.BACKWARD, False),
        (L.BACKWARD_TRANSITIVE, False),
        # Old reader ignores b in new data: forward-compatible.
        (L.FORWARD, True),
        (L.FORWARD_TRANSITIVE, True),
        (L.FULL, False),
        (L.FULL_TRANSITIVE, False),
    ],
)
def test_direction_of_each_level(
    registry: SqlSchemaRegistry, level: CompatibilityLevel, accepted: bool
) -> None:
    registry.set_compatibility(level, "t-value")
    registry.register("t-value", V1)
    if accepted:
        assert registry.register("t-value", WITH_B_REQUIRED).version == 2
    else:
        with pytest.raises(IncompatibleSchema) as caught:
            registry.register("t-value", WITH_B_REQUIRED)
        assert caught.value.level == level.value
        assert [(i.path, i.rule) for i in caught.value.incompatibilities] == [
            ("/fields/b", "READER_FIELD_MISSING_DEFAULT_VALUE")
        ]


@pytest.mark.parametrize(
    ("level", "accepted"),
    [
        (L.BACKWARD, True),
        (L.BACKWARD_TRANSITIVE, False),
        (L.FORWARD, True),
        (L.FORWARD_TRANSITIVE, True),
    ],
)
def test_transitive_levels_check_every_version(
    registry: SqlSchemaRegistry, level: CompatibilityLevel, accepted: bool
) -> None:
    registry.set_compatibility(L.NONE, "t-value")
    registry.register("t-value", V1)
    registry.register("t-value", WITH_B_DEFAULT)
    registry.set_compatibility(level, "t-value")
    # Reads v2 data (has b) but not v1 data (no b, no default).
    if accepted:
        assert registry.register("t-value", WITH_B_REQUIRED).version == 3
    else:
        with pytest.raises(IncompatibleSchema, match="version 1"):
            registry.register("t-value", WITH_B_REQUIRED)


def test_forward_refuses_what_old_readers_cannot_read(registry: SqlSchemaRegistry) -> None:
    registry.set_compatibility(L.FORWARD, "t-value")
    registry.register("t-value", WITH_B_REQUIRED)
    # Dropping b: v1's reader needs b, which the new data lacks.
    with pytest.raises(IncompatibleSchema, match="cannot read the new schema"):
        registry.register("t-value", V1)
    registry.set_compatibility(L.BACKWARD, "t-value")
    assert registry.register("t-value", V1).version == 2


def test_soft_deleted_versions_are_not_checked(registry: SqlSchemaRegistry) -> None:
    registry.set_compatibility(L.BACKWARD_TRANSITIVE, "t-value")
    registry.register("t-value", V1)
    registry.set_compatibility(L.NONE, "t-value")
    registry.register("t-value", avro({"name": "b", "type": "int"}))
    registry.delete_version("t-value", 1)
    registry.set_compatibility(L.BACKWARD_TRANSITIVE, "t-value")
    assert (
        registry.register(
            "t-value",
            avro({"name": "b", "type": "int"}, {"name": "c", "type": "int", "default": 1}),
        ).version
        == 3
    )


def test_default_global_level_is_full_transitive(registry: SqlSchemaRegistry) -> None:
    assert registry.compatibility() is L.FULL_TRANSITIVE
    assert registry.compatibility("t-value") is L.FULL_TRANSITIVE
    with pytest.raises(CompatibilityNotConfigured):
        registry.compatibility("t-value", fallback=False)


def test_subject_level_overrides_the_global_one(registry: SqlSchemaRegistry) -> None:
    assert registry.set_compatibility(L.BACKWARD) is L.BACKWARD
    assert registry.set_compatibility(L.NONE, "t-value") is L.NONE
    assert registry.compatibility("t-value") is L.NONE
    assert registry.compatibility("other-value") is L.BACKWARD
    assert registry.delete_compatibility("t-value") is L.NONE
    assert registry.compatibility("t-value") is L.BACKWARD
    with pytest.raises(CompatibilityNotConfigured):
        registry.delete_compatibility("t-value")
    assert registry.delete_compatibility() is L.BACKWARD
    assert registry.compatibility() is L.FULL_TRANSITIVE


def test_global_level_applies_to_registration(registry: SqlSchemaRegistry) -> None:
    registry.set_compatibility(L.NONE)
    registry.register("t-value", V1)
    assert registry.register("t-value", WITH_B_REQUIRED).version == 2


def test_invalid_level_is_refused(registry: SqlSchemaRegistry) -> None:
    with pytest.raises(InvalidCompatibilityLevel, match="SIDEWAYS"):
        registry.set_compatibility("SIDEWAYS", "t-value")  # type: ignore[arg-type]
    with pytest.raises(CompatibilityNotConfigured):
        registry.compatibility("t-value", fallback=False)


def test_check_compatibility_reports_without_registering(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registry.register("trades-value", SchemaSubmission(contract.original, contract.schema_type))
    good = registry.check_compatibility(
        "trades-value", SchemaSubmission(contract.evolved, contract.schema_type)
    )
    assert good.compatible
    assert good.messages == []
    bad = registry.check_compatibility(
        "trades-value", SchemaSubmission(contract.breaking, contract.schema_type)
    )
    assert not bad.compatible
    assert contract.breaking_rule in {i.rule for i in bad.incompatibilities}
    assert any("price" in message for message in bad.messages)
    assert registry.versions("trades-value") == [1]


def test_check_against_one_version(registry: SqlSchemaRegistry) -> None:
    registry.set_compatibility(L.NONE, "t-value")
    registry.register("t-value", V1)
    registry.register("t-value", WITH_B_DEFAULT)
    registry.set_compatibility(L.BACKWARD, "t-value")
    assert registry.check_compatibility("t-value", WITH_B_REQUIRED, version=2).compatible
    assert not registry.check_compatibility("t-value", WITH_B_REQUIRED, version=1).compatible
    assert registry.check_compatibility("t-value", WITH_B_REQUIRED, version="latest").compatible
    with pytest.raises(VersionNotFound):
        registry.check_compatibility("t-value", V1, version=7)
    with pytest.raises(InvalidVersion):
        registry.check_compatibility("t-value", V1, version=0)
    with pytest.raises(SubjectNotFound):
        registry.check_compatibility("nothing-value", V1, version=1)


def test_check_against_an_empty_subject_is_compatible(registry: SqlSchemaRegistry) -> None:
    assert registry.check_compatibility("nothing-value", V1).compatible
