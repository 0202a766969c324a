"""``/connect``: the mesh's connectors in Kafka Connect's REST shapes (list with expand,
create, info, config, status, pause, resume, restart, delete, plugins, Connect's error body),
authorized like stream applications, and never answering a credential."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streammesh.connect import ConnectorManager, ConnectorPlacement, parse_definition
from streammesh.identity import Role, TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import MESH_YAML, Served

SECRET = "pw-77-never-shown"
API = "/api/v1"

DROPS = {
    "connector.class": "files",
    "principal": "drops-sa",
    "folder": "/tmp/drops",
    "product": "execution.orders",
    "format": "csv",
}

POLL_YAML = """\
name: orders-poll
kind: jdbc-poll
principal: drops-sa
config:
  url: ${ORDERS_DB_URL}
  tables:
    orders: execution.orders
  mode: incrementing
  incrementing_column: id
"""


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("ORDERS_DB_URL", f"postgresql://orders:{SECRET}@db.example/orders")
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    # The drops folder lies outside the mesh: the operator lets server-hosted connectors use it.
    (mesh / "mesh.yaml").write_text(
        MESH_YAML + "\nconnect:\n  allowed_paths: [/tmp/drops]\n", encoding="utf-8"
    )
    settings = ServerSettings(mesh=mesh, host_streams=False)
    app = create_app(settings)
    with open_store(settings.resolved_store_url) as store:
        tokens = {
            role: TokenStore(store).create(f"{role.value}-user", role).secret for role in Role
        }
    with TestClient(app) as client:
        built = Served(mesh, client, tokens)
        _setup(built)
        yield built


def _ok(served: Served, method: str, path: str, **kwargs: Any) -> Any:
    answer = served.client.request(method, path, headers=served.headers(), **kwargs)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _setup(served: Served) -> None:
    _ok(served, "POST", f"{API}/domains", json={"name": "execution"})
    _ok(served, "POST", f"{API}/domains", json={"name": "risk"})
    _ok(served, "POST", f"{API}/teams", json={"name": "execution-team", "domain": "execution"})
    _ok(served, "POST", f"{API}/teams", json={"name": "risk-team", "domain": "risk"})
    for name, kind, team in (
        ("domain-owner-user", "user", "execution-team"),
        ("drops-sa", "service-account", "execution-team"),
        ("risk-sa", "service-account", "risk-team"),
    ):
        body = {"name": name, "kind": kind, "team": team}
        _ok(served, "POST", f"{API}/principals", json=body)


def _store_url(served: Served) -> str:
    return ServerSettings(mesh=served.mesh).resolved_store_url


def _beat(served: Served, name: str, state: str, error: str | None = None) -> None:
    with open_store(_store_url(served)) as store:
        ConnectorManager(store).heartbeat(
            name,
            "host-a-123-abc",
            host="host-a",
            pid=123,
            placement=ConnectorPlacement.SERVER,
            state=state,
            interval_s=30.0,
            progress={"records_in": 10, "records_out": 9, "dead_letters": 1},
            error=error,
        )


def test_create_info_config_and_list_in_connects_shapes(served: Served) -> None:
    client, admin = served.client, served.headers()

    created = client.post(
        "/connect/connectors", headers=admin, json={"name": "drops", "config": DROPS}
    )

    assert created.status_code == 201, created.text
    config = {"name": "drops", "tasks.max": "1", "placement": "server", **DROPS}
    assert created.json() == {
        "name": "drops",
        "config": config,
        "tasks": [{"connector": "drops", "task": 0}],
        "type": "source",
    }
    assert client.get("/connect/connectors", headers=admin).json() == ["drops"]
    assert client.get("/connect/connectors/drops", headers=admin).json() == created.json()
    assert client.get("/connect/connectors/drops/config", headers=admin).json() == config
    again = client.post(
        "/connect/connectors", headers=admin, json={"name": "drops", "config": DROPS}
    )
    assert again.status_code == 409
    assert again.json() == {
        "error_code": 409,
        "message": again.json()["message"],
    } and again.json()["message"].startswith("Connector drops already exists")


def test_put_config_creates_then_replaces(served: Served) -> None:
    client, admin = served.client, served.headers()

    first = client.put("/connect/connectors/drops/config", headers=admin, json=DROPS)
    assert first.status_code == 201, first.text
    changed = {**DROPS, "format": "jsonl"}
    second = client.put("/connect/connectors/drops/config", headers=admin, json=changed)

    assert second.status_code == 200, second.text
    assert second.json()["config"]["format"] == "jsonl"
    mismatch = client.put(
        "/connect/connectors/drops/config", headers=admin, json={**DROPS, "name": "other"}
    )
    assert mismatch.status_code == 422 and "'name'" in mismatch.json()["message"]


def test_a_definition_file_and_its_connect_config_are_the_same_connector(
    served: Served, tmp_path: Path
) -> None:
    client, admin = served.client, served.headers()
    with open_store(_store_url(served)) as store:
        ConnectorManager(store).create(POLL_YAML, actor="cli:ada")
    config = client.get("/connect/connectors/orders-poll/config", headers=admin).json()
    assert config["connector.class"] == "jdbc-poll" and config["url"] == "${ORDERS_DB_URL}"

    # The same config PUT under another name is the same definition, name aside.
    config.pop("name")
    answer = client.put("/connect/connectors/orders-copy/config", headers=admin, json=config)
    assert answer.status_code == 201, answer.text
    with open_store(_store_url(served)) as store:
        manager = ConnectorManager(store)
        copy = manager.definition(manager.connector("orders-copy"))
    original = parse_definition(POLL_YAML)
    assert (copy.kind, copy.principal, copy.config) == (
        original.kind,
        original.principal,
        original.config,
    )


def test_status_pause_resume_restart_and_delete(served: Served) -> None:
    client, admin = served.client, served.headers()
    client.post("/connect/connectors", headers=admin, json={"name": "drops", "config": DROPS})

    status = client.get("/connect/connectors/drops/status", headers=admin).json()
    assert (status["connector"], status["tasks"], status["type"]) == (
        {"state": "UNASSIGNED", "worker_id": ""},
        [],
        "source",
    )
    _beat(served, "drops", "running")
    status = client.get("/connect/connectors/drops/status", headers=admin).json()
    assert status["name"] == "drops"
    assert status["connector"] == {"state": "RUNNING", "worker_id": "host-a-123-abc"}
    assert status["tasks"] == [{"id": 0, "state": "RUNNING", "worker_id": "host-a-123-abc"}]
    assert status["streammesh"]["records_in"] == 10 and status["streammesh"]["dead_letters"] == 1

    paused = client.put("/connect/connectors/drops/pause", headers=admin)
    assert paused.status_code == 202 and paused.content == b""
    status = client.get("/connect/connectors/drops/status", headers=admin).json()
    assert status["connector"]["state"] == "PAUSED" and status["tasks"][0]["state"] == "PAUSED"
    assert client.put("/connect/connectors/drops/resume", headers=admin).status_code == 202

    _beat(served, "drops", "failed", "OSError: folder /tmp/drops is gone")
    status = client.get("/connect/connectors/drops/status", headers=admin).json()
    assert status["connector"]["state"] == "FAILED"
    assert status["tasks"][0]["trace"] == "OSError: folder /tmp/drops is gone"
    plain = client.post("/connect/connectors/drops/restart", headers=admin)
    assert plain.status_code == 204 and plain.content == b""
    only_failed = client.post(
        "/connect/connectors/drops/restart?includeTasks=true&onlyFailed=true", headers=admin
    )
    assert only_failed.status_code == 202
    assert only_failed.json()["connector"]["state"] == "RESTARTING"
    assert only_failed.json()["tasks"][0]["state"] == "RESTARTING"
    info = client.get("/connect/connectors?expand=status&expand=info", headers=admin).json()
    assert set(info) == {"drops"} and set(info["drops"]) == {"status", "info"}
    assert info["drops"]["info"]["config"]["connector.class"] == "files"

    deleted = client.delete("/connect/connectors/drops", headers=admin)
    assert deleted.status_code == 204
    gone = client.get("/connect/connectors/drops/status", headers=admin)
    assert gone.status_code == 404
    assert (
        gone.json()["error_code"] == 404 and "Connector drops not found" in gone.json()["message"]
    )


def test_plugins_list_the_installed_kinds(served: Served) -> None:
    plugins = served.client.get("/connect/connector-plugins", headers=served.headers()).json()
    found = {item["class"]: item["type"] for item in plugins}
    assert found["files"] == "source" and found["parquet"] == "sink"
    assert found["jdbc-poll"] == "source"


def test_authorization_like_stream_applications(served: Served) -> None:
    client = served.client
    body = {"name": "drops", "config": DROPS}

    unauthenticated = client.post("/connect/connectors", json=body)
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error_code"] == 401
    consumer = client.post("/connect/connectors", headers=served.headers(Role.CONSUMER), json=body)
    assert consumer.status_code == 403
    owner = served.headers(Role.DOMAIN_OWNER)
    outside = {"name": "risky", "config": {**DROPS, "principal": "risk-sa"}}
    refused = client.post("/connect/connectors", headers=owner, json=outside)
    assert refused.status_code == 403 and "risk-sa" in refused.json()["message"]
    assert client.post("/connect/connectors", headers=owner, json=body).status_code == 201
    # Reading is open to every token.
    reader = served.headers(Role.CONSUMER)
    assert client.get("/connect/connectors/drops/status", headers=reader).status_code == 200
    assert client.put("/connect/connectors/drops/pause", headers=reader).status_code == 403


def test_credentials_are_never_answered(served: Served) -> None:
    client, admin = served.client, served.headers()
    with open_store(_store_url(served)) as store:
        ConnectorManager(store).create(POLL_YAML, actor="cli:ada")
    _beat(served, "orders-poll", "failed", "OperationalError: connection to *** refused")

    answers = [
        client.get(path, headers=admin)
        for path in (
            "/connect/connectors?expand=info&expand=status",
            "/connect/connectors/orders-poll",
            "/connect/connectors/orders-poll/config",
            "/connect/connectors/orders-poll/status",
        )
    ]
    clear = {
        "connector.class": "jdbc-poll",
        "principal": "drops-sa",
        "url": f"postgresql://orders:{SECRET}@db.example/orders",
        "tables": {"orders": "execution.orders"},
        "mode": "bulk",
    }
    refused = client.put("/connect/connectors/leaky/config", headers=admin, json=clear)
    answers.append(refused)

    assert refused.status_code == 422 and "config.url" in refused.json()["message"]
    for answer in answers:
        assert SECRET not in answer.text
    assert "${ORDERS_DB_URL}" in answers[2].text


@pytest.mark.parametrize(
    ("folder", "said"),
    [
        ("/etc", "'/etc' is outside the folders a connector hosted by the server may use"),
        ("/tmp/drops/../../etc", "is outside the folders"),
        ("drops", "'drops' is relative"),
    ],
)
def test_a_server_hosted_connector_may_not_name_paths_outside_its_folders(
    served: Served, folder: str, said: str
) -> None:
    config = {**DROPS, "folder": folder}
    answer = served.client.post(
        "/connect/connectors", headers=served.headers(), json={"name": "snoop", "config": config}
    )
    assert answer.status_code == 422, answer.text
    assert said in answer.json()["message"]
    assert "config.folder" in answer.json()["message"]
    listed = served.client.get("/connect/connectors", headers=served.headers())
    assert "snoop" not in listed.json()


def test_a_process_placed_connector_is_not_confined(served: Served) -> None:
    config = {**DROPS, "folder": "/var/drops", "placement": "process"}
    answer = served.client.put(
        "/connect/connectors/elsewhere/config", headers=served.headers(), json=config
    )
    assert answer.status_code == 201, answer.text
