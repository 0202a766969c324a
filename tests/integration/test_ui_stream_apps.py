"""Who may do what on the UI's stream app pages: the rule of ``/api/v1/streams`` (a domain owner
deploys and changes applications only as a service account of its teams, with output products
in its domains), checked over the demo's mesh through the ASGI app."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from streammesh.access import AccessService
from streammesh.demo import seed
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.sdk import Mesh
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.streams import use_case


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Signed in as ``rita``, a domain owner of team risk, over the seeded demo mesh (not
    hosting the applications: only their records matter here)."""
    home = tmp_path_factory.mktemp("ui-stream-apps") / "mesh"
    home.mkdir()
    with Mesh.open(home, actor="demo") as opened:
        seed(opened, home / "demo-products")
        AccessService(opened.local.store, opened.local.plane).create_account(
            "rita", AccountKind.USER, team="risk", description="", actor="test"
        )
        secret = TokenStore(opened.local.store).create("rita", Role.DOMAIN_OWNER).secret
    with TestClient(create_app(ServerSettings(mesh=home, host_streams=False))) as signed_in:
        form = signed_in.get("/ui/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        signed_in.post("/ui/sign-in", data={"token": secret, "csrf": csrf.group(1)})
        yield signed_in


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _deploy(client: TestClient, name: str, case: str, principal: str) -> object:
    found = use_case(case)
    assert found is not None
    return client.post(
        "/ui/streams/new",
        data={
            "csrf": _csrf(client, "/ui/streams/new"),
            "name": name,
            "principal": principal,
            "sql": found.sql,
            "descriptor": found.descriptor,
            "action": "start",
        },
        follow_redirects=False,
    )


def test_a_domain_owner_runs_apps_as_its_teams_service_accounts_only(client: TestClient) -> None:
    page = client.get("/ui/streams/new?use_case=high-value-trades").text
    offered = re.findall(r"<option(?: selected)?>([^<]+)</option>", page)
    assert sorted(offered) == ["fraud-detector", "high-value-trades"]

    refused = _deploy(client, "us-watch", "us-trades", "us-trades")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    said = html.unescape(refused.text)  # type: ignore[attr-defined]
    assert "'rita' may not deploy a stream application as 'us-trades'" in said
    assert "Nothing was deployed." in said
    assert client.get("/ui/streams/us-watch").status_code == 404

    done = _deploy(client, "risk-review", "high-value-trades", "high-value-trades")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"].startswith("/ui/streams/risk-review?")  # type: ignore[attr-defined]
    app = client.get("/ui/streams/risk-review")
    assert app.status_code == 200
    assert 'data-action="stop"' in app.text
    assert "starting" in app.text


def test_a_domain_owner_may_not_stop_another_teams_app(client: TestClient) -> None:
    page = client.get("/ui/streams/us-trades")
    assert 'data-action="stop"' not in page.text
    said = html.unescape(page.text)
    assert "'rita' may not change a stream application as 'us-trades'" in said
    stopped = client.post(
        "/ui/streams/us-trades/stop", data={"csrf": _csrf(client, "/ui/streams/us-trades")}
    )
    assert "'rita' may not stop a stream application as 'us-trades'" in html.unescape(stopped.text)
    assert 'Status: <span data-testid="app-state" class="state-starting">starting' in (stopped.text)
    own = client.post(
        "/ui/streams/high-value-trades/stop",
        data={"csrf": _csrf(client, "/ui/streams/high-value-trades")},
    )
    assert "Stopping high-value-trades" in own.text
    listing = client.get("/ui/streams").text
    row = re.search(r'<tr data-app="high-value-trades">(.*?)</tr>', listing, re.S)
    assert row is not None and "stopped" in row.group(1)


def test_an_application_named_new_has_its_page_beside_the_create_form(client: TestClient) -> None:
    # Old links to the form still lead to it while no application is called 'new'.
    old = client.get("/ui/streams/new?use_case=high-value-trades", follow_redirects=False)
    assert old.status_code == 303
    assert old.headers["location"] == "/ui/streams/-/new?use_case=high-value-trades"
    form = client.get("/ui/streams/-/new?use_case=high-value-trades")
    assert form.status_code == 200 and 'id="app-form"' in form.text
    assert 'action="/ui/streams/-/new"' in form.text
    assert 'href="/ui/streams/-/new"' in client.get("/ui/streams").text

    found = use_case("high-value-trades")
    assert found is not None
    done = client.post(
        "/ui/streams/-/new",
        data={
            "csrf": _csrf(client, "/ui/streams/-/new"),
            "name": "new",
            "principal": "high-value-trades",
            "sql": found.sql,
            "descriptor": found.descriptor,
            "action": "start",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/ui/streams/new?")
    page = client.get("/ui/streams/new", follow_redirects=False)
    assert page.status_code == 200
    assert 'data-live="/ui/streams/new/live"' in page.text and 'id="app-form"' not in page.text
