"""``GET /api/v1/products/{reference}/sample`` shows event contents only to who may read them:
an application with a grant (or a user of its team), the owning team, governance and platform
admins; everyone else gets 403 saying how to request access. ``.../stats`` (offsets and
counts) stays open to every token. Classified fields are masked unless a grant includes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.identity import Role, TokenStore
from streammesh.privacy import MASK_TEXT
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

API = "/api/v1"
PRODUCT = "execution.stocktrades"
SAMPLE = f"{API}/products/{PRODUCT}/sample"
STATS = f"{API}/products/{PRODUCT}/stats"
NOTE = {"name": "note", "type": "string", "doc": "Free text about the client."}
SECRET_NOTE = "client asked about margin calls"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A trades product (its ``note`` classified financial) with one event, two teams and their
    accounts: ``risk-app`` and ``rita`` in risk-team, ``exec-app`` and ``eve`` in the owning
    execution-team."""
    for server in serve(tmp_path / "mesh"):
        extra = "classifications: {note: [financial]}\n"
        _call(server, "POST", "/apply", 200, json=sources((descriptor(extra=extra), avro(NOTE))))
        event = {"trade_id": "t-1", "symbol": "ACME", "price": 10.5, "note": SECRET_NOTE}
        _call(server, "POST", f"/products/{PRODUCT}/events", 200, json={"events": [event]})
        _call(server, "POST", "/teams", 200, json={"name": "risk-team"})
        for name, kind, team in [
            ("risk-app", "service-account", "risk-team"),
            ("rita", "user", "risk-team"),
            ("exec-app", "service-account", "execution-team"),
            ("eve", "user", "execution-team"),
        ]:
            _call(
                server, "POST", "/principals", 201, json={"name": name, "kind": kind, "team": team}
            )
        yield server


def _call(served: Served, method: str, path: str, status: int, **kwargs: Any) -> Any:
    response = served.client.request(method, f"{API}{path}", headers=served.headers(), **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def _token(served: Served, principal: str, role: Role) -> dict[str, str]:
    with open_store(ServerSettings(mesh=served.mesh).resolved_store_url) as store:
        secret = TokenStore(store).create(principal, role).secret
    return {"Authorization": f"Bearer {secret}"}


def _grant(served: Served, application: str, *, classified: bool) -> None:
    body = {
        "product": PRODUCT,
        "application": application,
        "purpose": "risk checks",
        "classified": classified,
    }
    request = _call(served, "POST", "/access/requests", 201, json=body)
    _call(served, "POST", f"/access/requests/{request['id']}/approve", 200, json={})


def _notes(served: Served, headers: dict[str, str]) -> list[str]:
    answer = served.client.get(SAMPLE, headers=headers)
    assert answer.status_code == 200, answer.text
    return [event["value"]["note"] for event in answer.json()["events"]]


@pytest.mark.parametrize(
    ("principal", "role", "applicant"),
    [
        ("risk-app", Role.CONSUMER, "risk-app"),
        ("rita", Role.CONSUMER, "risk-app"),
        ("someone", Role.MEMBER, "APP"),
        ("dora", Role.DOMAIN_OWNER, "APP"),
    ],
)
def test_without_a_grant_the_sample_is_refused_with_how_to_ask(
    served: Served, principal: str, role: Role, applicant: str
) -> None:
    answer = served.client.get(SAMPLE, headers=_token(served, principal, role))

    assert answer.status_code == 403, answer.text
    error = answer.json()["error"]
    assert error["code"] == "access-denied"
    assert f"'{principal}' may not read the events of '{PRODUCT}.v1'" in error["message"]
    assert (
        f"streammesh access request {PRODUCT}.v1 --as {applicant} --purpose TEXT"
        in error["message"]
    )
    assert SECRET_NOTE not in answer.text and "ACME" not in answer.text


def test_stats_are_metadata_open_to_every_token(served: Served) -> None:
    answer = served.client.get(STATS, headers=_token(served, "someone", Role.CONSUMER))

    assert answer.status_code == 200, answer.text
    assert answer.json()["total_events"] == 1
    assert SECRET_NOTE not in answer.text and "ACME" not in answer.text


def test_a_grant_opens_the_sample_to_the_application_and_its_team_masked(served: Served) -> None:
    _grant(served, "risk-app", classified=False)

    assert _notes(served, _token(served, "risk-app", Role.CONSUMER)) == [MASK_TEXT]
    assert _notes(served, _token(served, "rita", Role.CONSUMER)) == [MASK_TEXT]


def test_a_grant_with_classified_fields_shows_them_in_clear(served: Served) -> None:
    _grant(served, "risk-app", classified=True)

    assert _notes(served, _token(served, "risk-app", Role.CONSUMER)) == [SECRET_NOTE]
    assert _notes(served, _token(served, "rita", Role.CONSUMER)) == [SECRET_NOTE]


@pytest.mark.parametrize(
    ("principal", "role"),
    [
        ("eve", Role.MEMBER),
        ("exec-app", Role.CONSUMER),
        ("execution-team", Role.DOMAIN_OWNER),
        ("auditor", Role.GOVERNANCE),
        ("operator", Role.PLATFORM_ADMIN),
    ],
)
def test_the_owning_team_and_overseers_read_without_a_grant_but_masked(
    served: Served, principal: str, role: Role
) -> None:
    assert _notes(served, _token(served, principal, role)) == [MASK_TEXT]


def _page(served: Served, principal: str, role: Role) -> str:
    """The product page as ``principal`` sees it, signed in through the sign-in form."""
    client = served.client
    client.cookies.clear()
    secret = _token(served, principal, role)["Authorization"].removeprefix("Bearer ")
    form = client.get("/ui/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, form.text
    signed_in = client.post(
        "/ui/sign-in", data={"token": secret, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    page = client.get(f"/ui/products/{PRODUCT}.v1")
    assert page.status_code == 200, page.text
    return page.text


def test_the_product_page_shows_no_events_without_a_grant_but_invites_to_ask(
    served: Served,
) -> None:
    page = _page(served, "rita", Role.CONSUMER)

    assert 'data-testid="events-need-access"' in page
    assert 'href="#request-access"' in page and "Request access" in page
    assert "Free text about the client." in page  # the schema is shown
    assert "ACME" not in page and SECRET_NOTE not in page


def test_the_product_page_shows_events_to_the_grant_holders_team_and_owners(
    served: Served,
) -> None:
    owner_view = _page(served, "eve", Role.MEMBER)
    assert "ACME" in owner_view and SECRET_NOTE not in owner_view
    assert 'data-testid="events-need-access"' not in owner_view

    _grant(served, "risk-app", classified=True)
    granted_view = _page(served, "rita", Role.CONSUMER)
    assert "ACME" in granted_view and SECRET_NOTE in granted_view
    assert "in clear through the grant of risk-app" in granted_view
