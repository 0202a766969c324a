"""The event form of an audit record on ``_mesh.events``, and records that are not events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from streammesh.audit import EVENT_TYPE_HEADER, AuditAction, AuditRecord, MalformedMeshEvent
from streammesh.audit.events import decode_event, encode_event
from streammesh.log import Record

RECORD = AuditRecord(
    id=42,
    at=datetime(2026, 11, 23, 9, 30, 0, 5, tzinfo=UTC),
    action=AuditAction.SCHEMA_REGISTERED,
    subject="execution.stocktrades.v1-value",
    actor="ci-bot",
    before=None,
    after={"version": 2, "id": 7},
    note=None,
)


def as_record(value: bytes | None, offset: int = 3) -> Record:
    return Record("_mesh.events", 0, offset, b"k", value, (), 0)


def test_an_event_decodes_to_the_record_it_was_made_from() -> None:
    key, value, headers, timestamp_ms = encode_event(RECORD)

    assert key == b"execution.stocktrades.v1-value"
    assert headers == ((EVENT_TYPE_HEADER, b"schema.registered"),)
    assert timestamp_ms == int(RECORD.at.timestamp() * 1000)
    assert json.loads(value)["at"] == "2026-11-23T09:30:00.000005Z"
    assert decode_event(as_record(value)) == RECORD


def test_action_values_are_the_published_event_types() -> None:
    assert {action.value for action in AuditAction} == {
        "domain.registered",
        "team.registered",
        "product.created",
        "product.updated",
        "product.published",
        "product.deprecated",
        "product.retired",
        "product.version-added",
        "topic.created",
        "schema.registered",
        "application.registered",
        "token.created",
        "token.revoked",
        "account.created",
        "access.requested",
        "access.approved",
        "access.rejected",
        "access.revoked",
        "access.expired",
        "privacy.key-handed-out",
        "privacy.key-destroyed",
        "privacy.token-revealed",
        "privacy.keys-rotated",
        "policy.changed",
        "proposal.created",
        "proposal.moved",
        "incident.declared",
        "product.owner-offered",
        "product.owner-changed",
        "slo.breached",
        "slo.recovered",
        "subscription.created",
        "subscription.deleted",
        "registry.schema-registered",
        "registry.subject-deleted",
        "registry.version-deleted",
        "registry.config-changed",
        "registry.mode-changed",
        "stream-app.deployed",
        "stream-app.stopped",
        "stream-app.started",
        "stream-app.reset",
        "stream-app.deleted",
        "connector.created",
        "connector.updated",
        "connector.paused",
        "connector.resumed",
        "connector.restarted",
        "connector.deleted",
    }


def _document(**changes: object) -> bytes:
    document = RECORD.document()
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "it has no value"),
        (b"\xff\xfe", "not JSON"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"id": 1}', "KeyError"),
        (_document(type="product.exploded"), "product.exploded"),
        (_document(id="42"), "'id' is not an integer"),
        (_document(at="yesterday"), "ValueError"),
        (_document(at="2026-11-23T09:30:00"), "'at' has no timezone"),
        (_document(after=[1]), "'after' is neither an object nor null"),
    ],
)
def test_a_record_that_is_not_an_event_is_refused_with_its_offset(
    value: bytes | None, words: str
) -> None:
    with pytest.raises(MalformedMeshEvent, match=r"offset 3 of topic '_mesh\.events'") as caught:
        decode_event(as_record(value))
    assert words in str(caught.value)
