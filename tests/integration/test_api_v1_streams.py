"""``/api/v1/streams``: deploying, listing, explaining and changing stream applications over
REST, against a real app (this server does not host them: see test_streams_hosting.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streammesh.identity import Role, TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import MESH_YAML, Served, avro, descriptor, sources

API = "/api/v1"
TRADES = "execution.stocktrades"

BIG = """\
CREATE STREAM big WITH (product='execution.big_trades') AS
  SELECT trade_id, symbol, price
  FROM execution.stocktrades
  WHERE price > 500 EMIT CHANGES;
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
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
    answer = served.client.request(method, f"{API}{path}", headers=served.headers(), **kwargs)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _setup(served: Served) -> None:
    _ok(served, "POST", "/domains", json={"name": "execution"})
    _ok(served, "POST", "/domains", json={"name": "risk"})
    _ok(
        served,
        "POST",
        "/teams",
        json={"name": "execution-team", "domain": "execution", "email": "ex@example.com"},
    )
    _ok(served, "POST", "/teams", json={"name": "risk-team", "domain": "risk"})
    for name, kind, team in (
        ("domain-owner-user", "user", "execution-team"),
        ("big-sa", "service-account", "execution-team"),
        ("risk-sa", "service-account", "risk-team"),
    ):
        _ok(served, "POST", "/principals", json={"name": name, "kind": kind, "team": team})
    _ok(served, "POST", "/apply", json=sources((descriptor(TRADES), avro())))
    for account in ("big-sa", "risk-sa"):
        body = {"product": TRADES, "application": account, "purpose": "tests"}
        request = _ok(served, "POST", "/access/requests", json=body)
        if request["state"] != "approved":
            _ok(served, "POST", f"/access/requests/{request['id']}/approve", json={})


def _deploy(served: Served, role: Role = Role.PLATFORM_ADMIN, **body: Any) -> Any:
    document = {"name": "big-app", "sql": BIG, "principal": "big-sa", **body}
    return served.client.post(f"{API}/streams", headers=served.headers(role), json=document)


def test_deploy_records_the_application_to_run_on_the_server(served: Served) -> None:
    answer = _deploy(served)
    assert answer.status_code == 201, answer.text
    status = answer.json()
    assert status["name"] == "big-app" and status["placement"] == "server"
    assert status["desired"] == "running" and status["principal"] == "big-sa"
    assert status["created_by"] == "platform-admin-user" and status["alive"] == 0
    assert [query["sink"] for query in status["queries"]] == ["execution.big_trades.v1"]

    listed = served.client.get(f"{API}/streams", headers=served.headers(Role.CONSUMER))
    assert [item["name"] for item in listed.json()] == ["big-app"]
    one = served.client.get(f"{API}/streams/big-app", headers=served.headers(Role.CONSUMER))
    assert one.status_code == 200 and one.json()["sql"] == BIG
    assert one.json()["queries"][0]["lag"] == 0


def test_a_sql_error_is_422_with_its_line_and_column_and_records_nothing(served: Served) -> None:
    answer = _deploy(
        served, sql="CREATE STREAM big AS SELECT symbol\nFROM execution.stocktrades WHERE > 5;"
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid-sql"
    assert error["message"].startswith("line 2:")
    [detail] = error["details"]
    assert detail["line"] == 2 and detail["column"] > 0 and "^" in detail["excerpt"]
    assert served.client.get(f"{API}/streams", headers=served.headers()).json() == []


def test_an_unknown_product_suggests_the_nearest(served: Served) -> None:
    answer = _deploy(served, sql=BIG.replace("execution.stocktrades", "execution.stocktrade"))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "unknown-source" and "execution.stocktrades" in error["message"]


def test_a_missing_grant_is_403_naming_it(served: Served) -> None:
    _ok(
        served,
        "POST",
        "/principals",
        json={"name": "new-sa", "kind": "service-account", "team": "execution-team"},
    )
    answer = _deploy(served, principal="new-sa")
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "grant-missing"
    assert "'new-sa' has no read grant on 'execution.stocktrades.v1'" in error["message"]
    assert served.client.get(f"{API}/streams", headers=served.headers()).json() == []


def test_an_unknown_service_account_is_404(served: Served) -> None:
    answer = _deploy(served, principal="nobody-sa")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "principal-not-found"


def test_a_bad_name_is_422(served: Served) -> None:
    answer = _deploy(served, name="Big App!")
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid-stream-application-name"


def test_a_script_without_a_persistent_query_is_refused(served: Served) -> None:
    sql = "CREATE STREAM t (id INT KEY, price INT) WITH (kafka_topic='t', value_format='JSON');"
    answer = _deploy(served, sql=sql)
    assert answer.status_code == 422 and "no persistent query" in answer.json()["error"]["message"]


def test_a_missing_input_topic_is_refused_before_recording(served: Served) -> None:
    sql = (
        "CREATE STREAM t (id INT KEY, price INT)\n"
        "  WITH (kafka_topic='nowhere', value_format='JSON');\n"
        "CREATE STREAM big AS SELECT id, price FROM t WHERE price > 5 EMIT CHANGES;"
    )
    answer = _deploy(served, sql=sql, principal=None)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "topic-not-found"
    assert served.client.get(f"{API}/streams", headers=served.headers()).json() == []


def test_a_domain_owner_deploys_as_its_teams_service_account_only(served: Served) -> None:
    answer = _deploy(served, Role.DOMAIN_OWNER, principal="risk-sa")
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "outside-domain"
    answer = _deploy(served, Role.DOMAIN_OWNER, principal=None)
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "principal-required" and "operator" in error["message"]
    answer = _deploy(served, Role.DOMAIN_OWNER)
    assert answer.status_code == 201, answer.text
    assert answer.json()["created_by"] == "domain-owner-user"
    member = _deploy(served, Role.MEMBER)
    assert member.status_code == 403 and member.json()["error"]["code"] == "forbidden"


def test_stop_start_reset_delete(served: Served) -> None:
    assert _deploy(served).status_code == 201
    owner = served.headers(Role.DOMAIN_OWNER)
    stopped = served.client.post(f"{API}/streams/big-app/stop", headers=owner)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["desired"] == "stopped"
    assert stopped.json()["stopped_by"] == "domain-owner-user"
    reset = served.client.post(f"{API}/streams/big-app/reset", headers=owner)
    assert reset.status_code == 200 and reset.json()["epoch"] == 1
    started = served.client.post(f"{API}/streams/big-app/start", headers=owner)
    assert started.json()["desired"] == "running" and started.json()["stopped_by"] is None
    deleted = served.client.delete(f"{API}/streams/big-app", headers=owner)
    assert deleted.status_code == 200 and deleted.json()["name"] == "big-app"
    gone = served.client.get(f"{API}/streams/big-ap", headers=owner)
    assert gone.status_code == 404
    error = gone.json()["error"]
    assert error["code"] == "stream-application-not-found"


def test_unknown_application_suggests_the_nearest(served: Served) -> None:
    assert _deploy(served).status_code == 201
    answer = served.client.post(f"{API}/streams/big-apq/stop", headers=served.headers())
    assert answer.status_code == 404
    assert "did you mean 'big-app'?" in answer.json()["error"]["message"]


def test_reset_while_an_instance_is_alive_is_409(served: Served) -> None:
    assert _deploy(served).status_code == 201
    runtime = served.client.app.state.streammesh.runtime  # type: ignore[attr-defined]
    runtime.streams.heartbeat("big-app", "host-1-abc", [], host="host", pid=1, interval_s=60.0)
    answer = served.client.post(f"{API}/streams/big-app/reset", headers=served.headers())
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "stream-application-running" and "host-1-abc" in error["message"]
    answer = served.client.delete(f"{API}/streams/big-app", headers=served.headers())
    assert answer.status_code == 409


def test_deploying_an_application_running_as_its_own_process_is_409(served: Served) -> None:
    runtime = served.client.app.state.streammesh.runtime  # type: ignore[attr-defined]
    runtime.streams.deploy("big-app", BIG, principal="big-sa", placement="process", actor="x")
    answer = _deploy(served)
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "stream-application-refused"
    assert "runs as its own process (placement process)" in error["message"]
    assert runtime.streams.application("big-app").placement.value == "process"
    runtime.streams.stop("big-app", actor="x")
    assert _deploy(served).status_code == 201  # stopped: it moves to the server


def test_explain_plans_without_deploying(served: Served) -> None:
    answer = served.client.post(
        f"{API}/streams/explain",
        headers=served.headers(Role.CONSUMER),
        json={"name": "big-app", "sql": BIG},
    )
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["inputs"] == ["execution.stocktrades.v1"]
    assert document["outputs"] == ["execution.big_trades.v1"]
    [query] = document["queries"]
    assert query["runs"] and "big-app.dead-letter" in query["internal_topics"]
    assert "Filter" in query["plan"] or "FILTER" in query["plan"].upper()
    assert served.client.get(f"{API}/streams", headers=served.headers()).json() == []
