"""The ``_mesh.events`` topic and how an ``AuditRecord`` travels on it.

A record's key is the subject (UTF-8), its value the JSON of ``AuditRecord.document()``
(UTF-8), its header ``streammesh-event-type`` the action, and its timestamp the moment of the
change. Delivery is at least once: consumers de-duplicate by the document's ``id``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from streammesh.audit.actions import AuditAction
from streammesh.audit.entries import AuditRecord
from streammesh.audit.errors import MalformedMeshEvent
from streammesh.log import Header, Record, TopicSpec

MESH_EVENTS_TOPIC = "_mesh.events"
EVENT_TYPE_HEADER = "streammesh-event-type"


def mesh_events_spec(topic: str = MESH_EVENTS_TOPIC) -> TopicSpec:
    """The spec the relay creates the topic with: one partition, so the activity feed has one
    order, and no retention limit, so the mesh's whole history can be replayed."""
    return TopicSpec(topic, partitions=1, retention_ms=None, retention_bytes=None)


def encode_event(record: AuditRecord) -> tuple[bytes, bytes, tuple[Header, ...], int]:
    """Key, value, headers and timestamp (UTC ms) of ``record`` as an event."""
    value = json.dumps(record.document(), separators=(",", ":"), ensure_ascii=False)
    headers = ((EVENT_TYPE_HEADER, record.action.value.encode()),)
    timestamp_ms = int(record.at.timestamp() * 1000)
    return record.subject.encode(), value.encode(), headers, timestamp_ms


def decode_event(event: Record) -> AuditRecord:
    """The ``AuditRecord`` carried by ``event``.

    Raises:
        MalformedMeshEvent: ``event`` does not hold a document the relay wrote.
    """
    if event.value is None:
        raise MalformedMeshEvent(event.topic, event.offset, "it has no value")
    try:
        document = json.loads(event.value.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMeshEvent(
            event.topic, event.offset, f"its value is not JSON ({exc})"
        ) from exc
    if not isinstance(document, dict):
        raise MalformedMeshEvent(event.topic, event.offset, "its value is not a JSON object")
    try:
        return _from_document(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedMeshEvent(
            event.topic, event.offset, f"its document is invalid ({type(exc).__name__}: {exc})"
        ) from exc


def _from_document(document: dict[str, Any]) -> AuditRecord:
    audit_id, subject, actor = document["id"], document["subject"], document["actor"]
    before, after, note = document["before"], document["after"], document["note"]
    if isinstance(audit_id, bool) or not isinstance(audit_id, int):
        raise TypeError("'id' is not an integer")
    if not isinstance(subject, str) or not isinstance(actor, str):
        raise TypeError("'subject' and 'actor' must be strings")
    for name, state in (("before", before), ("after", after)):
        if state is not None and not isinstance(state, dict):
            raise TypeError(f"'{name}' is neither an object nor null")
    if note is not None and not isinstance(note, str):
        raise TypeError("'note' is neither a string nor null")
    at = datetime.fromisoformat(document["at"])
    if at.tzinfo is None:
        raise ValueError("'at' has no timezone")
    return AuditRecord(
        id=audit_id,
        at=at.astimezone(UTC),
        action=AuditAction(document["type"]),
        subject=subject,
        actor=actor,
        before=before,
        after=after,
        note=note,
    )
