"""``/api/v1/principals`` and ``/api/v1/access``: tokens, roles and the owners' rules over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role, TokenStore
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

API = "/api/v1"
TRADES = "execution.stocktrades"
PRICES = "execution.prices"
STORES: dict[Path, str] = {}
"""The store URL of each served mesh (to issue tokens to new principals)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    store = None if request.param == "sqlite" else request.getfixturevalue("migrated_postgres_url")
    for running in serve(tmp_path / "mesh", store_url=store):
        STORES[running.mesh] = store or f"sqlite:///{running.mesh / 'meta.db'}"
        applied = running.client.post(
            f"{API}/apply",
            headers=running.headers(),
            json=sources(
                (descriptor(TRADES), avro()),
                (descriptor(PRICES, extra="classifications: {price: [confidential]}\n"), avro()),
            ),
        )
        assert applied.status_code == 200, applied.text
        yield running


def call(
    served: Served, method: str, path: str, status: int, token: str | None = None, **kwargs: Any
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else served.headers()
    response = served.client.request(method, f"{API}{path}", headers=headers, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def token_for(served: Served, principal: str, role: Role) -> str:
    with open_store(STORES[served.mesh]) as store:
        return TokenStore(store).create(principal, role).secret


def test_principals_are_created_and_listed(served: Served) -> None:
    created = call(served, "POST", "/principals", 201,
                   json={"name": "fraud-detector", "kind": "service-account",
                         "team": "execution-team"})  # fmt: skip
    assert created["kind"] == "service-account" and created["created_by"] == "platform-admin-user"
    listed = call(served, "GET", "/principals", 200, token=served.tokens[Role.CONSUMER])
    kinds = {item["name"]: item["kind"] for item in listed}
    assert kinds == {"fraud-detector": "service-account", "execution-team": "team"}
    assert call(served, "GET", "/principals/fraud-detector", 200)["team"] == "execution-team"
    missing = call(served, "GET", "/principals/ghost", 404)
    assert missing["error"]["code"] == "principal-not-found"
    again = call(served, "POST", "/principals", 409,
                 json={"name": "fraud-detector", "kind": "user"})  # fmt: skip
    assert again["error"]["code"] == "principal-exists"
    refused = call(served, "POST", "/principals", 422,
                   json={"name": "etl", "kind": "service-account"})  # fmt: skip
    assert "belongs to a team" in refused["error"]["message"]
    forbidden = call(served, "POST", "/principals", 403, token=served.tokens[Role.CONSUMER],
                     json={"name": "etl", "kind": "user"})  # fmt: skip
    assert forbidden["error"]["code"] == "forbidden"


def test_access_workflow_over_http(served: Served) -> None:
    call(served, "POST", "/principals", 201,
         json={"name": "pricer", "kind": "service-account", "team": "execution-team"})  # fmt: skip
    pricer = token_for(served, "pricer", Role.CONSUMER)

    auto = call(served, "POST", "/access/requests", 201, token=pricer,
                json={"product": TRADES, "application": "pricer", "purpose": "quotes"})  # fmt: skip
    assert (auto["state"], auto["product"], auto["decided_by"]) == (
        "approved",
        f"{TRADES}.v1",
        "policy:auto-approve",
    )
    pending = call(served, "POST", "/access/requests", 201, token=pricer,
                   json={"product": PRICES, "application": "pricer", "purpose": "quotes",
                         "classified": True})  # fmt: skip
    assert pending["state"] == "requested"

    # The application cannot approve itself; a member may not either; the admin may.
    refused = call(served, "POST", f"/access/requests/{pending['id']}/approve", 403,
                   token=pricer, json={})  # fmt: skip
    assert refused["error"]["code"] == "not-allowed"
    call(served, "POST", f"/access/requests/{pending['id']}/approve", 403,
         token=served.tokens[Role.MEMBER], json={})  # fmt: skip
    past = call(served, "POST", f"/access/requests/{pending['id']}/approve", 422,
                json={"expires_at": "2020-01-01T00:00:00Z"})  # fmt: skip
    assert past["error"]["code"] == "invalid-access-request"
    approved = call(served, "POST", f"/access/requests/{pending['id']}/approve", 200,
                    token=served.tokens[Role.GOVERNANCE],
                    json={"note": "fine", "expires_at": "2099-01-01T00:00:00Z"})  # fmt: skip
    assert approved["state"] == "approved" and approved["expires_at"].startswith("2099-01-01")
    twice = call(served, "POST", f"/access/requests/{pending['id']}/reject", 409, json={})
    assert twice["error"]["code"] == "access-state"

    listed = call(served, "GET", "/access/requests", 200, token=served.tokens[Role.CONSUMER],
                  params={"product": PRICES})  # fmt: skip
    assert [item["id"] for item in listed] == [pending["id"]]
    revoked = call(served, "POST", f"/access/grants/{auto['id']}/revoke", 200,
                   json={"note": "done"})  # fmt: skip
    assert revoked["state"] == "revoked"
    states = call(served, "GET", "/access/requests", 200, params={"state": "revoked"})
    assert [item["id"] for item in states] == [auto["id"]]
    assert call(served, "GET", f"/access/requests/{auto['id']}", 200)["ended_by"] == (
        "platform-admin-user"
    )
    missing = call(served, "POST", "/access/grants/nope/revoke", 404, json={})
    assert missing["error"]["code"] == "access-request-not-found"

    page = call(served, "GET", "/mesh-events", 200, params={"limit": 1000})
    steps = [(e["type"], e["actor"]) for e in page["events"] if e["type"].startswith("access.")]
    assert steps == [
        ("access.requested", "pricer"),
        ("access.approved", "policy:auto-approve"),
        ("access.requested", "pricer"),
        ("access.approved", "governance-user"),
        ("access.revoked", "platform-admin-user"),
    ]


def test_requests_for_deprecated_products_are_refused(served: Served) -> None:
    call(served, "POST", "/principals", 201,
         json={"name": "pricer", "kind": "service-account", "team": "execution-team"})  # fmt: skip
    call(served, "POST", f"/products/{TRADES}/deprecate", 200,
         json={"reason": "moved", "sunset": "2099-01-01"})  # fmt: skip
    refused = call(served, "POST", "/access/requests", 409,
                   json={"product": TRADES, "application": "pricer", "purpose": "p"})  # fmt: skip
    assert refused["error"]["code"] == "access-refused"
    assert "deprecated" in refused["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/principals"),
        ("POST", "/principals"),
        ("GET", "/principals/x"),
        ("GET", "/access/requests"),
        ("POST", "/access/requests"),
        ("GET", "/access/requests/x"),
        ("POST", "/access/requests/x/approve"),
        ("POST", "/access/requests/x/reject"),
        ("POST", "/access/grants/x/revoke"),
    ],
)
def test_every_access_route_needs_a_token(served: Served, method: str, path: str) -> None:
    response = served.client.request(method, f"{API}{path}", json={})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
