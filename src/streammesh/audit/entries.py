"""What a caller records (``AuditEntry``) and what is read back (``AuditRecord``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streammesh.audit.actions import AuditAction
from streammesh.audit.state import utc_text


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change to the control plane, as its caller describes it.

    Attributes:
        action: What happened.
        subject: What it is about, e.g. ``"execution.stocktrades.v1"`` or ``"domain:execution"``.
        actor: The principal that made the change, e.g. ``"admin"``, ``"ci-bot"``, ``"cli:alice"``.
        before: The JSON-able state before the change (``None`` when it was created).
        after: The JSON-able state after the change (``None`` when it was deleted).
        note: Free text, e.g. a deprecation reason or who forced a retirement.
    """

    action: AuditAction
    subject: str
    actor: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One recorded change, read back from the audit log or the ``_mesh.events`` stream.

    Attributes:
        id: The audit id: increasing in commit order, and the key for de-duplicating events.
        at: When the change happened (timezone-aware, UTC).
        action: What happened.
        subject: What it is about.
        actor: Who made the change.
        before: The state before (JSON types only: datetimes come back as ISO 8601 text).
        after: The state after.
        note: Free text given by the caller.
    """

    id: int
    at: datetime
    action: AuditAction
    subject: str
    actor: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    note: str | None

    def document(self) -> dict[str, Any]:
        """The JSON shape of this change as an event on ``_mesh.events`` and in the REST API."""
        return {
            "id": self.id,
            "type": self.action.value,
            "subject": self.subject,
            "actor": self.actor,
            "at": utc_text(self.at),
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "note": self.note,
        }
