"""Subscribing and unsubscribing from the notifications page, and the navigation's unread
badge, in process (a ``TestClient`` signed in through the sign-in form; the server's own
notifier delivers)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from streammesh.identity import Role
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources
from tests.integration.test_ui_activity_page import TIME
from tests.integration.test_ui_explore_and_not_found import _sign_in
from tests.unit.notify.servers import wait_for

TRADES = "execution.stocktrades"


@pytest.fixture
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for running in serve(tmp_path_factory.mktemp("ui") / "mesh"):
        applied = running.client.post(
            "/api/v1/apply", headers=running.headers(), json=sources((descriptor(TRADES), avro()))
        )
        assert applied.status_code == 200, applied.text
        _sign_in(running.client, running.tokens[Role.CONSUMER])
        yield running


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _subscriptions(page: str) -> list[str]:
    return re.findall(r'<tr data-subscription="([^"]+)">', page)


def test_subscribe_receive_see_the_badge_and_unsubscribe(served: Served) -> None:
    client = served.client
    page = client.get("/ui/notifications").text
    assert "No subscription yet." in page and 'data-testid="unread-count"' not in page
    csrf = _csrf(page)

    # A product subscription without its product is refused on the page; nothing is kept.
    refused = client.post(
        "/ui/subscriptions",
        data={"csrf": csrf, "scope": "product", "target": "", "inbox": "true"},
    )
    assert refused.status_code == 422
    assert re.search(r'<p class="error" role="alert">Not subscribed: [^<]*target', refused.text)
    assert _subscriptions(refused.text) == []
    assert '<input type="radio" name="scope" value="product" checked>' in refused.text

    made = client.post(
        "/ui/subscriptions",
        data={
            "csrf": csrf,
            "scope": "product",
            "target": TRADES,
            "events": ["incident.declared", "product.deprecated"],
            "inbox": "true",
        },
    )
    assert f"Subscribed to product {TRADES}." in made.text
    (subscription,) = _subscriptions(made.text)
    assert "incident.declared, product.deprecated" in made.text

    declared = client.post(
        f"/api/v1/products/{TRADES}/incidents",
        headers=served.headers(Role.PLATFORM_ADMIN),
        json={"message": "late by 20 minutes"},
    )
    assert declared.status_code == 201, declared.text
    wait_for(lambda: 'data-testid="unread-count"' in client.get("/ui/").text, timeout=20)
    explore = client.get("/ui/").text
    assert re.search(
        r'aria-label="Notifications, 1 unread">Notifications <span class="badge unread-count"'
        r"[^>]*>1</span>",
        explore,
    )
    inbox = client.get("/ui/notifications").text
    assert "incident.declared" in inbox and TIME.search(inbox)
    item = re.search(r'action="/ui/notifications/(\d+)/read"', inbox)
    assert item is not None
    client.post(f"/ui/notifications/{item.group(1)}/read", data={"csrf": csrf})
    assert 'data-testid="unread-count"' not in client.get("/ui/").text

    gone = client.post(f"/ui/subscriptions/{subscription}/delete", data={"csrf": csrf})
    assert f"Unsubscribed from product {TRADES}." in gone.text
    assert _subscriptions(gone.text) == []
    again = client.post(f"/ui/subscriptions/{subscription}/delete", data={"csrf": csrf})
    assert "Not unsubscribed: you have no subscription" in again.text
    assert client.post(f"/ui/subscriptions/{subscription}/delete", data={}).status_code == 403
