"""``AuditRecorder``: registry changes written to the audit log, in the transaction of the change.

Give it to :meth:`~streammesh.registry.sql.SqlSchemaRegistry.recording`; every write that changed
something becomes one ``registry.*`` audit row (relayed to ``_mesh.events`` by the next
``EventRelay.relay``). The audit subject is the registry subject's name, so a product's audit
trail (``execution.stocktrades.v1``) and its subject's (``execution.stocktrades.v1-value``)
share a prefix; changes to the global level and mode are recorded under
:data:`GLOBAL_AUDIT_SUBJECT`.

Example:
    >>> registry = SqlSchemaRegistry(store).recording(AuditRecorder(AuditLog(store), "ada"))
    >>> registry.set_compatibility(CompatibilityLevel.BACKWARD, "execution.trades.v1-value")
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.registry.changes import ChangeKind, RegistryChange

GLOBAL_AUDIT_SUBJECT = "registry:global"
"""The audit subject of changes to the global compatibility level and mode."""

_ACTIONS = {
    ChangeKind.SCHEMA_REGISTERED: AuditAction.REGISTRY_SCHEMA_REGISTERED,
    ChangeKind.SUBJECT_DELETED: AuditAction.REGISTRY_SUBJECT_DELETED,
    ChangeKind.VERSION_DELETED: AuditAction.REGISTRY_VERSION_DELETED,
    ChangeKind.CONFIG_CHANGED: AuditAction.REGISTRY_CONFIG_CHANGED,
    ChangeKind.MODE_CHANGED: AuditAction.REGISTRY_MODE_CHANGED,
}


def audit_entry(change: RegistryChange, actor: str) -> AuditEntry:
    """The audit entry of ``change`` made by ``actor``."""
    note = None
    if change.kind in (ChangeKind.SUBJECT_DELETED, ChangeKind.VERSION_DELETED):
        note = "permanent delete" if change.permanent else "soft delete"
    return AuditEntry(
        _ACTIONS[change.kind],
        GLOBAL_AUDIT_SUBJECT if change.subject is None else change.subject,
        actor,
        before=change.before,
        after=change.after,
        note=note,
    )


class AuditRecorder:
    """A :class:`~streammesh.registry.changes.ChangeRecorder` writing audit rows for ``actor``.

    Args:
        audit: The audit log of the registry's store.
        actor: Who makes the changes (a principal name, or ``cli:<user>``).
        clock: When a change happened (default: now, UTC).
    """

    def __init__(
        self, audit: AuditLog, actor: str, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._audit = audit
        self._actor = actor
        self._clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, connection: Connection, change: RegistryChange) -> None:
        self._audit.record(connection, audit_entry(change, self._actor), at=self._clock())


__all__ = ["GLOBAL_AUDIT_SUBJECT", "AuditRecorder", "audit_entry"]
