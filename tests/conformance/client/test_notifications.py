"""Subscriptions, the inbox, dead letters and incidents through the SDK's mesh client,
in-process (as the mesh's operator) and remote (as the platform admin ``streammesh up``
printed a token for) alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.audit import AuditAction
from streammesh.control import ProductNotFound
from streammesh.notify import (
    DeliveryNotFound,
    InboxItemNotFound,
    InvalidIncident,
    InvalidSubscription,
    ScopeKind,
    SubscriptionNotFound,
)
from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique
from tests.conformance.client.publishing import publish_product

SUBSCRIPTION_FIELDS = {
    "id", "subscriber", "scope", "target", "events", "webhook_url", "webhook_secret", "email",
    "inbox", "created_at", "created_by",
}  # fmt: skip
INCIDENT_FIELDS = {"id", "type", "subject", "actor", "at", "note"}


@pytest.fixture
def product(client: MeshClient, tmp_path: Path) -> str:
    """A published product of a new domain."""
    return publish_product(client, tmp_path)


def test_a_subscription_is_listed_until_it_is_removed(client: MeshClient) -> None:
    team, domain = unique("team"), unique("dom")
    created = client.notifications.subscribe(
        team,
        ScopeKind.DOMAIN,
        domain,
        events=[AuditAction.INCIDENT_DECLARED],
        email="team@example.com",
        inbox=True,
    )
    assert set(created) == SUBSCRIPTION_FIELDS
    assert created["subscriber"] == team
    assert (created["scope"], created["target"]) == ("domain", domain)
    assert created["events"] == ["incident.declared"]
    assert created["webhook_secret"] is None  # no webhook, no secret

    listed = client.notifications.subscriptions(subscriber=team)
    assert [sub["id"] for sub in listed] == [created["id"]]
    assert created["id"] in {sub["id"] for sub in client.notifications.subscriptions()}

    removed = client.notifications.unsubscribe(created["id"])
    assert removed["id"] == created["id"]
    assert client.notifications.subscriptions(subscriber=team) == []
    with pytest.raises(SubscriptionNotFound, match=created["id"]):
        client.notifications.unsubscribe(created["id"])


def test_the_caller_subscribes_itself_and_a_webhook_gets_a_secret_once(
    client: MeshClient,
) -> None:
    created = client.notifications.subscribe(
        None, ScopeKind.MESH, webhook_url="https://hooks.example.com/mesh"
    )
    assert created["webhook_secret"].startswith("whsec_")
    mine = client.notifications.subscriptions(subscriber=created["subscriber"])
    assert created["id"] in {sub["id"] for sub in mine}
    assert all(sub["webhook_secret"] is None for sub in mine)
    client.notifications.unsubscribe(created["id"])


def test_a_subscription_without_a_channel_is_refused_and_not_stored(client: MeshClient) -> None:
    team = unique("team")
    with pytest.raises(InvalidSubscription, match="channel"):
        client.notifications.subscribe(team, ScopeKind.MESH)
    assert client.notifications.subscriptions(subscriber=team) == []


def test_an_incident_is_recorded_with_its_message(client: MeshClient, product: str) -> None:
    declared = client.notifications.declare_incident(product, message="duplicates since 10:00")
    assert set(declared) == INCIDENT_FIELDS
    assert declared["type"] == "incident.declared"
    assert declared["subject"] == f"{product}.v1"
    assert declared["note"] == "duplicates since 10:00"


@pytest.mark.parametrize("message", ["", "   "])
def test_an_incident_without_a_message_is_refused(
    client: MeshClient, product: str, message: str
) -> None:
    with pytest.raises(InvalidIncident, match=product):
        client.notifications.declare_incident(product, message=message)


def test_an_incident_on_an_unknown_product_is_refused(client: MeshClient) -> None:
    missing = f"{unique('nowhere')}.rows"
    with pytest.raises(ProductNotFound, match=missing):
        client.notifications.declare_incident(missing, message="down")


def test_the_callers_inbox_and_unknown_items(client: MeshClient) -> None:
    assert client.notifications.inbox(unread_only=True) == []
    with pytest.raises(InboxItemNotFound, match="No inbox item 987654"):
        client.notifications.mark_read(987654)


def test_dead_letters_are_listed_and_an_unknown_one_is_not_redriven(client: MeshClient) -> None:
    assert client.notifications.dead_letters() == []
    with pytest.raises(DeliveryNotFound, match="'nope'"):
        client.notifications.redrive("nope")
