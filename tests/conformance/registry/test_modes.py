"""READWRITE / READONLY modes, per subject and global."""

from __future__ import annotations

import pytest

from streammesh.registry import CompatibilityLevel, RegistryMode, SchemaSubmission
from streammesh.registry.errors import InvalidMode, ModeNotConfigured, OperationNotPermitted
from streammesh.registry.sql import SqlSchemaRegistry
from tests.conformance.registry.examples import Contract

RO = RegistryMode.READONLY
RW = RegistryMode.READWRITE


def test_default_mode_is_readwrite(registry: SqlSchemaRegistry) -> None:
    assert registry.mode() is RW
    assert registry.mode("t-value") is RW
    with pytest.raises(ModeNotConfigured):
        registry.mode("t-value", fallback=False)


def test_readonly_subject_refuses_writes_but_serves_reads(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    submission = SchemaSubmission(contract.original, contract.schema_type)
    first = registry.register("t-value", submission)
    assert registry.set_mode(RO, "t-value") is RO
    evolved = SchemaSubmission(contract.evolved, contract.schema_type)
    with pytest.raises(OperationNotPermitted, match="'t-value' is in READONLY mode"):
        registry.register("t-value", evolved)
    with pytest.raises(OperationNotPermitted):
        registry.delete_version("t-value", 1)
    with pytest.raises(OperationNotPermitted):
        registry.delete_subject("t-value")
    assert registry.version("t-value", 1).id == first.id
    assert registry.lookup("t-value", submission).version == 1
    assert registry.check_compatibility("t-value", evolved).compatible
    assert registry.register("other-value", evolved).version == 1
    # Settings stay changeable: that is how a subject leaves READONLY.
    registry.set_compatibility(CompatibilityLevel.NONE, "t-value")
    assert registry.delete_mode("t-value") is RO
    assert registry.register("t-value", evolved).version == 2


def test_global_readonly_applies_to_subjects_without_their_own_mode(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registry.set_mode(RO)
    registry.set_mode(RW, "open-value")
    submission = SchemaSubmission(contract.original, contract.schema_type)
    with pytest.raises(OperationNotPermitted):
        registry.register("t-value", submission)
    assert registry.register("open-value", submission).version == 1
    assert registry.subjects() == ["open-value"]
    assert registry.delete_mode() is RO
    assert registry.mode() is RW


def test_invalid_mode_is_refused(registry: SqlSchemaRegistry) -> None:
    with pytest.raises(InvalidMode, match="IMPORT"):
        registry.set_mode("IMPORT")  # type: ignore[arg-type]
    assert registry.mode() is RW
