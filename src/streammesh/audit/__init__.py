"""The audit log of the control plane and the mesh's own event stream, ``_mesh.events``.

Every change to the control plane is recorded with ``AuditLog.record`` in the same database
transaction as the change (a transactional outbox), so a change and its audit row commit or
vanish together. ``EventRelay.relay`` then appends rows not yet relayed to ``_mesh.events`` in
audit-id order and marks them relayed — at least once: a crash between the append and the mark
sends them again, and the next relay call after any crash sends what was left. Notifications,
the activity feed and audit views read that stream (``read_mesh_events``) or the table
(``AuditLog.entries``). Errors::

    AuditError
    ├── InvalidAuditEntry    an entry with an empty or non-JSON-able field; nothing written
    ├── InvalidAuditQuery    entries() with a limit or after_id out of range
    └── MalformedMeshEvent   a record on the events topic the relay did not write

Example:
    >>> audit = AuditLog(store)
    >>> with store.write("catalog") as connection:
    ...     catalog_change(connection)
    ...     audit.record(connection, AuditEntry(AuditAction.PRODUCT_PUBLISHED,
    ...                  "execution.stocktrades.v1", "cli:alice"), at=datetime.now(UTC))
    >>> EventRelay(store, log).relay()
    1
"""

from __future__ import annotations

from streammesh.audit.actions import AuditAction
from streammesh.audit.entries import AuditEntry, AuditRecord
from streammesh.audit.errors import (
    AuditError,
    InvalidAuditEntry,
    InvalidAuditQuery,
    MalformedMeshEvent,
)
from streammesh.audit.events import (
    EVENT_TYPE_HEADER,
    MESH_EVENTS_TOPIC,
    decode_event,
    mesh_events_spec,
)
from streammesh.audit.log import MAX_LIMIT, AuditLog
from streammesh.audit.reading import read_mesh_events
from streammesh.audit.relay import EventRelay, RelayBacklog, relay_backlog

__all__ = [
    "EVENT_TYPE_HEADER",
    "MAX_LIMIT",
    "MESH_EVENTS_TOPIC",
    "AuditAction",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "AuditRecord",
    "EventRelay",
    "InvalidAuditEntry",
    "InvalidAuditQuery",
    "MalformedMeshEvent",
    "RelayBacklog",
    "decode_event",
    "mesh_events_spec",
    "read_mesh_events",
    "relay_backlog",
]
