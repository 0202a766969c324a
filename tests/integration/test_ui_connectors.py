"""The Connectors page: every connector with its kind, state, lag and last error (redacted),
linked from the navigation; a definition's credential never shows."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streammesh.connect import ConnectorManager, ConnectorPlacement
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.sdk import Mesh
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings

SECRET = "ui-pw-3310"

POLL = """\
name: orders-poll
kind: jdbc-poll
principal: orders-sa
config:
  url: ${UI_DB_URL}
  tables: {orders: sales.orders}
  mode: bulk
"""


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("UI_DB_URL", f"postgresql://orders:{SECRET}@db.example/orders")
    home = tmp_path / "mesh"
    home.mkdir()
    with Mesh.open(home, actor="test") as opened:
        runtime = opened.local
        runtime.plane.register_team(
            "sales-team", domain=None, email=None, description=None, actor="a"
        )
        runtime.access.create_account(
            "orders-sa", AccountKind.SERVICE_ACCOUNT, team="sales-team", description="", actor="a"
        )
        manager = ConnectorManager(runtime.store)
        manager.create(POLL, actor="test")
        manager.heartbeat(
            "orders-poll",
            "host-1-aa",
            host="host",
            pid=1,
            placement=ConnectorPlacement.SERVER,
            state="failed",
            interval_s=60.0,
            progress={"records_in": 0, "records_out": 0, "dead_letters": 0},
            error="OperationalError: connection to db.example refused (password ***)",
        )
        secret = TokenStore(runtime.store).create("viewer", Role.CONSUMER).secret
    with TestClient(create_app(ServerSettings(mesh=home, host_streams=False))) as signed_in:
        form = signed_in.get("/ui/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        signed_in.post("/ui/sign-in", data={"token": secret, "csrf": csrf.group(1)})
        yield signed_in


def test_the_connectors_page_lists_state_lag_and_last_error(client: TestClient) -> None:
    page = client.get("/ui/connectors")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'href="/ui/connectors"' in text  # in the navigation
    row = re.search(r'<tr data-connector="orders-poll">(.*?)</tr>', text, re.S)
    assert row is not None
    assert "jdbc-poll" in row.group(1) and "source" in row.group(1)
    assert '<td class="state-failed" data-testid="connector-state">FAILED</td>' in row.group(1)
    assert "connection to db.example refused (password ***)" in row.group(1)
    assert SECRET not in page.text
