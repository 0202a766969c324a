"""The audit log and the ``_mesh.events`` feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from streammesh.audit import AuditAction


class AuditDocument(BaseModel):
    """One recorded change (``AuditRecord.document()``)."""

    id: int
    type: AuditAction
    subject: str
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None


class MeshEventsReply(BaseModel):
    """A page of ``_mesh.events``; the next page starts at ``next_offset``."""

    events: list[AuditDocument]
    next_offset: int
