"""A recording registry hands every change to its recorder inside the change's transaction:
one call per write that changed something, none for no-ops, and a recorder that fails undoes
the write."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Connection

from streammesh.audit import AuditLog
from streammesh.registry import ChangeKind, RegistryChange, SchemaSubmission
from streammesh.registry.audited import GLOBAL_AUDIT_SUBJECT, AuditRecorder
from streammesh.registry.base import CompatibilityLevel, RegistryMode
from streammesh.registry.errors import IncompatibleSchema
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.store import MetadataStore
from tests.conformance.registry.examples import Contract

SUBJECT = "execution.recorded-value"


class _Recorded(list[RegistryChange]):
    def __call__(self, connection: Connection, change: RegistryChange) -> None:
        self.append(change)


class _Refusing(Exception):
    pass


def _refuse(connection: Connection, change: RegistryChange) -> None:
    raise _Refusing(change.kind.value)


def test_each_change_is_recorded_once_and_no_ops_not_at_all(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    recorded = _Recorded()
    recording = registry.recording(recorded)
    original = SchemaSubmission(contract.original, contract.schema_type)
    first = recording.register(SUBJECT, original)
    recording.register(SUBJECT, original)  # already there
    recording.register(SUBJECT, SchemaSubmission(contract.evolved, contract.schema_type))
    recording.set_compatibility(CompatibilityLevel.BACKWARD, SUBJECT)
    recording.set_compatibility(CompatibilityLevel.BACKWARD, SUBJECT)  # already set
    recording.delete_compatibility(SUBJECT)
    recording.set_mode(RegistryMode.READONLY)
    recording.delete_mode()
    recording.delete_mode()  # nothing configured: nothing to reset
    recording.delete_version(SUBJECT, 2)
    recording.delete_subject(SUBJECT)
    recording.delete_subject(SUBJECT, permanent=True)

    assert [(change.kind, change.subject, change.permanent) for change in recorded] == [
        (ChangeKind.SCHEMA_REGISTERED, SUBJECT, False),
        (ChangeKind.SCHEMA_REGISTERED, SUBJECT, False),
        (ChangeKind.CONFIG_CHANGED, SUBJECT, False),
        (ChangeKind.CONFIG_CHANGED, SUBJECT, False),
        (ChangeKind.MODE_CHANGED, None, False),
        (ChangeKind.MODE_CHANGED, None, False),
        (ChangeKind.VERSION_DELETED, SUBJECT, False),
        (ChangeKind.SUBJECT_DELETED, SUBJECT, False),
        (ChangeKind.SUBJECT_DELETED, SUBJECT, True),
    ]
    assert recorded[0].after == {
        "subject": SUBJECT,
        "version": 1,
        "id": first.id,
        "schema_type": contract.schema_type.value,
    }
    evolved = recorded[1].after
    assert evolved is not None
    # A permanent delete removes every version, those soft-deleted one by one before included.
    assert recorded[-1].before == {
        "versions": [
            {"version": 1, "id": first.id, "deleted": True},
            {"version": 2, "id": evolved["id"], "deleted": True},
        ]
    }
    assert recorded[-1].after is None


def test_a_failing_recorder_undoes_the_write(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registry.register(SUBJECT, SchemaSubmission(contract.original, contract.schema_type))
    refusing = registry.recording(_refuse)
    with pytest.raises(_Refusing):
        refusing.register(SUBJECT, SchemaSubmission(contract.evolved, contract.schema_type))
    with pytest.raises(_Refusing):
        refusing.set_compatibility(CompatibilityLevel.NONE)
    with pytest.raises(_Refusing):
        refusing.delete_subject(SUBJECT)

    assert registry.versions(SUBJECT) == [1]
    assert registry.compatibility() is CompatibilityLevel.FULL_TRANSITIVE


def test_the_audit_recorder_writes_rows_that_commit_with_the_change(
    registry: SqlSchemaRegistry, store: MetadataStore, contract: Contract
) -> None:
    audit = AuditLog(store)
    audited = registry.recording(AuditRecorder(audit, "ada"))
    audited.register(SUBJECT, SchemaSubmission(contract.original, contract.schema_type))
    audited.set_compatibility(CompatibilityLevel.NONE)
    audited.set_compatibility(CompatibilityLevel.FULL, SUBJECT)
    with pytest.raises(IncompatibleSchema):  # refused by the registry: nothing is recorded
        audited.register(SUBJECT, SchemaSubmission(contract.breaking, contract.schema_type))

    entries = audit.entries(subject_prefix=SUBJECT) + audit.entries(subject=GLOBAL_AUDIT_SUBJECT)
    assert [(entry.action.value, entry.subject, entry.actor) for entry in entries] == [
        ("registry.schema-registered", SUBJECT, "ada"),
        ("registry.config-changed", SUBJECT, "ada"),
        ("registry.config-changed", GLOBAL_AUDIT_SUBJECT, "ada"),
    ]
