"""Errors of the audit log and of the ``_mesh.events`` stream."""

from __future__ import annotations

from streammesh.errors import MeshError


class AuditError(MeshError):
    """Base of every audit-log error."""


class InvalidAuditEntry(AuditError):
    """An entry that cannot be recorded as given; nothing was written."""

    def __init__(self, subject: str, field: str, reason: str) -> None:
        self.subject = subject
        self.field = field
        self.reason = reason
        super().__init__(
            f"cannot record audit entry about '{subject}': '{field}' {reason}; "
            "pass JSON-able values (str, int, float, bool, None, lists, mappings with str keys; "
            "datetimes, dates and enums are converted)"
        )


class InvalidAuditQuery(AuditError):
    """A query of the audit log with a parameter out of range."""

    exit_code = 2

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"cannot read the audit log: '{parameter}' {reason}")


class MalformedMeshEvent(AuditError):
    """A record on the mesh events topic that is not an event streammesh wrote."""

    def __init__(self, topic: str, offset: int, reason: str) -> None:
        self.topic = topic
        self.offset = offset
        self.reason = reason
        super().__init__(
            f"record at offset {offset} of topic '{topic}' is not a mesh event: {reason}; "
            "only streammesh's event relay should write to this topic"
        )
