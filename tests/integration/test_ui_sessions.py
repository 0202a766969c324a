"""Web UI sessions end on the server: signing out (or revoking the token) makes a copy of the
old cookie useless, on every replica; failed sign-ins on the form are logged and limited."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from streammesh.identity import Role
from streammesh.server import create_app
from streammesh.server.auth import FailedSignIns
from streammesh.server.settings import ServerSettings
from streammesh.server.ui.session import KEY_VARIABLE, SESSION_COOKIE
from tests.integration.api_v1_support import Served, serve
from tests.unit.cli.invoking import invoke_cli

SHARED_KEY = "A" * 43  # URL-safe base64 of 32 bytes, as replicas share it


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv(KEY_VARIABLE, SHARED_KEY)
    yield from serve(tmp_path / "mesh")


def _sign_in(client: TestClient, secret: str) -> httpx.Response:
    form = client.get("/ui/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, form.text
    return client.post(
        "/ui/sign-in", data={"token": secret, "csrf": csrf.group(1)}, follow_redirects=False
    )


def _csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def test_a_cookie_replayed_after_sign_out_leads_to_the_sign_in_page(served: Served) -> None:
    client = served.client
    assert _sign_in(client, served.tokens[Role.MEMBER]).status_code == 303
    old_cookie = client.cookies.get(SESSION_COOKIE, path="/ui")
    assert old_cookie
    page = client.get("/ui/", follow_redirects=False)
    assert page.status_code == 200 and "member-user" in page.text

    signed_out = client.post(
        "/ui/sign-out", data={"csrf": _csrf_of(page.text)}, follow_redirects=False
    )
    assert signed_out.status_code == 303

    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, old_cookie, path="/ui")
    replayed = client.get("/ui/", follow_redirects=False)
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/ui/sign-in")
    # The token itself still works for the API.
    assert client.get("/api/v1/whoami", headers=served.headers(Role.MEMBER)).is_success


def test_a_session_started_on_one_replica_is_served_and_ended_by_another(
    served: Served,
) -> None:
    assert _sign_in(served.client, served.tokens[Role.CONSUMER]).status_code == 303
    cookie = served.client.cookies.get(SESSION_COOKIE, path="/ui")
    assert cookie
    replica = create_app(ServerSettings(mesh=served.mesh))
    with TestClient(replica) as other:
        other.cookies.set(SESSION_COOKIE, cookie, path="/ui")
        page = other.get("/ui/", follow_redirects=False)
        assert page.status_code == 200 and "consumer-user" in page.text
        other.post("/ui/sign-out", data={"csrf": _csrf_of(page.text)}, follow_redirects=False)
    assert served.client.get("/ui/", follow_redirects=False).status_code == 303


def test_revoking_the_token_ends_its_ui_session(served: Served) -> None:
    created = served.client.post(
        "/api/v1/tokens", json={"principal": "ada", "role": "member"}, headers=served.headers()
    ).json()
    assert _sign_in(served.client, created["secret"]).status_code == 303
    assert served.client.get("/ui/", follow_redirects=False).status_code == 200
    served.client.delete(f"/api/v1/tokens/{created['id']}", headers=served.headers())
    assert served.client.get("/ui/", follow_redirects=False).status_code == 303


def test_the_eleventh_bad_sign_in_in_a_minute_gets_429_and_each_is_logged(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    served.client.app.state.streammesh_failed_sign_ins = FailedSignIns()  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING, logger="streammesh.server.auth"):
        for _ in range(10):
            assert _sign_in(served.client, "sm_guessed").status_code == 401
        limited = _sign_in(served.client, served.tokens[Role.MEMBER])
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Too many failed sign-ins" in limited.text
    assert served.client.get("/ui/", follow_redirects=False).status_code == 303  # no session
    lines = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()]
    assert len(lines) == 10 and all(
        "testclient" in line and "/ui/sign-in" in line for line in lines
    )
    assert not any("sm_guessed" in line for line in lines)


def test_the_sign_in_page_and_its_docs_name_a_command_that_exists(served: Served) -> None:
    # A new user copies the command from the page; it must run.
    page = served.client.get("/ui/sign-in").text
    docs = (Path(__file__).parents[2] / "docs" / "ui.md").read_text(encoding="utf-8")
    for where, text in (("sign-in page", page), ("docs/ui.md", docs)):
        named = re.findall(r"streammesh (\w+) create", text)
        assert named, where
        for group in named:
            result = invoke_cli(group, "create", "--help")
            assert result.exit_code == 0, f"{where}: 'streammesh {group} create' {result.stderr}"
