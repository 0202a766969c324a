"""``/api/v1`` notification routes over a served mesh whose notifier runs in the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, own_domain, serve, sources
from tests.unit.notify.servers import WebhookReceiver, run_receiver, wait_for

API = "/api/v1"
TRADES = "execution.stocktrades"


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    store = None if request.param == "sqlite" else request.getfixturevalue("migrated_postgres_url")
    for running in serve(tmp_path / "mesh", store_url=store):
        applied = running.client.post(
            f"{API}/apply", headers=running.headers(), json=sources((descriptor(TRADES), avro()))
        )
        assert applied.status_code == 200, applied.text
        own_domain(running)
        yield running


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from run_receiver(WebhookReceiver())


def call(served: Served, method: str, path: str, status: int, role: Role, **kw: Any) -> Any:
    response = served.client.request(method, f"{API}{path}", headers=served.headers(role), **kw)
    assert response.status_code == status, response.text
    return response.json()


def test_incident_reaches_subscribers_webhook_and_inbox(
    served: Served, receiver: WebhookReceiver
) -> None:
    owner = Role.DOMAIN_OWNER
    created = call(
        served,
        "POST",
        "/subscriptions",
        201,
        Role.CONSUMER,
        json={
            "scope": "product",
            "target": TRADES,
            "events": ["incident.declared"],
            "webhook_url": receiver.url,
            "inbox": True,
        },
    )
    assert created["subscriber"] == "consumer-user"
    assert created["webhook_secret"].startswith("whsec_")
    listed = call(served, "GET", "/subscriptions", 200, Role.CONSUMER)
    assert [sub["id"] for sub in listed] == [created["id"]]
    assert listed[0]["webhook_secret"] is None  # shown once, at creation

    incident = call(
        served,
        "POST",
        f"/products/{TRADES}/incidents",
        201,
        owner,
        json={"message": "late by 20 minutes"},
    )
    assert incident["type"] == "incident.declared"
    assert incident["subject"] == f"{TRADES}.v1"

    wait_for(lambda: len(receiver.received) == 1, timeout=20)
    assert receiver.received[0].json()["note"] == "late by 20 minutes"
    wait_for(lambda: bool(call(served, "GET", "/inbox", 200, Role.CONSUMER)), timeout=20)
    (item,) = call(served, "GET", "/inbox", 200, Role.CONSUMER)
    assert item["event_type"] == "incident.declared"
    read = call(served, "POST", f"/inbox/{item['id']}/read", 200, Role.CONSUMER)
    assert read["read_at"] is not None
    assert call(served, "GET", "/inbox?unread=true", 200, Role.CONSUMER) == []
    # Another principal's inbox does not hold it, and may not mark it.
    assert call(served, "GET", "/inbox", 200, owner) == []
    call(served, "POST", f"/inbox/{item['id']}/read", 404, owner)

    removed = call(served, "DELETE", f"/subscriptions/{created['id']}", 200, Role.CONSUMER)
    assert removed["id"] == created["id"]
    call(served, "DELETE", f"/subscriptions/{created['id']}", 404, Role.CONSUMER)


def test_roles_and_validation(served: Served) -> None:
    body = {"subscriber": "someone-else", "scope": "mesh", "inbox": True}
    call(served, "POST", "/subscriptions", 403, Role.CONSUMER, json=body)
    call(served, "POST", "/subscriptions", 201, Role.PLATFORM_ADMIN, json=body)
    no_channel = {"scope": "mesh"}
    error = call(served, "POST", "/subscriptions", 422, Role.CONSUMER, json=no_channel)
    assert error["error"]["code"] == "invalid-subscription"
    call(served, "GET", "/subscriptions?all=true", 403, Role.CONSUMER)
    assert len(call(served, "GET", "/subscriptions?all=true", 200, Role.GOVERNANCE)) == 1
    call(served, "GET", "/notifications/dead-letters", 403, Role.CONSUMER)
    # Dead letters are mesh-wide: governance and platform admins only.
    call(served, "GET", "/notifications/dead-letters", 403, Role.DOMAIN_OWNER)
    assert call(served, "GET", "/notifications/dead-letters", 200, Role.GOVERNANCE) == []
    call(served, "POST", "/notifications/dead-letters/nope/redrive", 403, Role.DOMAIN_OWNER)
    call(served, "POST", "/notifications/dead-letters/nope/redrive", 404, Role.GOVERNANCE)
    call(served, "POST", f"/products/{TRADES}/incidents", 403, Role.CONSUMER, json={"message": "x"})
    call(
        served, "POST", "/products/no.such/incidents", 404, Role.DOMAIN_OWNER, json={"message": "x"}
    )
    call(
        served,
        "POST",
        f"/products/{TRADES}/incidents",
        422,
        Role.DOMAIN_OWNER,
        json={"message": ""},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/subscriptions"),
        ("POST", "/subscriptions"),
        ("DELETE", "/subscriptions/abc"),
        ("GET", "/inbox"),
        ("POST", "/inbox/1/read"),
        ("GET", "/notifications/dead-letters"),
        ("POST", "/notifications/dead-letters/abc/redrive"),
        ("POST", f"/products/{TRADES}/incidents"),
    ],
)
def test_every_notification_route_needs_a_token(served: Served, method: str, path: str) -> None:
    assert served.client.request(method, f"{API}{path}").status_code == 401


def test_a_webhook_to_the_metadata_service_or_loopback_is_refused(served: Served) -> None:
    for url, named in (
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:2375/containers/json", "loopback"),  # 127.0.0.1 alone is allowed
        ("http://10.1.2.3/admin", "private-network"),
    ):
        body = {"scope": "mesh", "webhook_url": url}
        error = call(served, "POST", "/subscriptions", 422, Role.CONSUMER, json=body)
        assert error["error"]["code"] == "invalid-subscription"
        assert named in error["error"]["message"]
    assert call(served, "GET", "/subscriptions", 200, Role.CONSUMER) == []


def test_subscription_changes_appear_on_the_audit_feed(served: Served) -> None:
    created = call(
        served, "POST", "/subscriptions", 201, Role.CONSUMER, json={"scope": "mesh", "inbox": True}
    )
    call(served, "DELETE", f"/subscriptions/{created['id']}", 200, Role.CONSUMER)
    feed = call(served, "GET", "/mesh-events?limit=1000", 200, Role.PLATFORM_ADMIN)
    mine = [e for e in feed["events"] if e["subject"] == f"subscription:{created['id']}"]
    assert [(e["type"], e["actor"]) for e in mine] == [
        ("subscription.created", "consumer-user"),
        ("subscription.deleted", "consumer-user"),
    ]
