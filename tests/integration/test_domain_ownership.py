"""Federated ownership over ``/api/v1`` and the CLI: a domain owner changes only its own
domains, ``apply`` never changes a product's team, and a transfer is its own audited operation.

The matrix of who gets which status for every operation is ``test_role_domain_matrix.py``;
these tests look at what the refusals leave behind and what a transfer does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streammesh.identity import Role, TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources
from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import NAME, error_line, json_of, make_workspace, ok

API = "/api/v1"
TRADES = "execution.stocktrades"


class Mesh:
    """A served mesh with two domains (execution: ada; risk: rob) and ``execution.stocktrades``."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def call(self, who: str, method: str, path: str, status: int, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        answer = self.client.request(method, f"{API}{path}", headers=headers, **kwargs)
        assert answer.status_code == status, answer.text
        return answer.json()

    def audit_count(self) -> int:
        return len(self.call("root", "GET", "/audit", 200, params={"limit": 1000}))

    def team_of(self, reference: str) -> str:
        return str(self.call("root", "GET", f"/products/{reference}", 200)["product"]["team"])


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[Mesh]:
    home = tmp_path / "mesh"
    home.mkdir()
    (home / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    settings = ServerSettings(mesh=home)
    app = create_app(settings)
    with open_store(settings.resolved_store_url) as store:
        tokens = {
            name: TokenStore(store).create(name, role).secret
            for name, role in (
                ("ada", Role.DOMAIN_OWNER),
                ("rob", Role.DOMAIN_OWNER),
                ("gov", Role.GOVERNANCE),
                ("root", Role.PLATFORM_ADMIN),
            )
        }
    with TestClient(app) as client:
        served = Mesh(client, tokens)
        for domain in ("execution", "risk"):
            served.call("root", "POST", "/domains", 200, json={"name": domain})
            team = {"name": f"{domain}-team", "domain": domain, "email": f"{domain}@example.com"}
            served.call("root", "POST", "/teams", 200, json=team)
        for user, team in (("ada", "execution-team"), ("rob", "risk-team")):
            account = {"name": user, "kind": "user", "team": team}
            served.call("root", "POST", "/principals", 201, json=account)
        served.call("root", "POST", "/apply", 200, json=sources((descriptor(TRADES), avro())))
        yield served


def _in_team(text: str, team: str) -> str:
    return text.replace("team: execution-team", f"team: {team}")


def test_an_owner_of_another_domain_cannot_take_a_product_over(mesh: Mesh) -> None:
    before = mesh.audit_count()
    takeover = sources((_in_team(descriptor(TRADES), "risk-team"), avro()))

    error = mesh.call("rob", "POST", "/apply", 403, json=takeover)["error"]

    assert error["code"] == "outside-domain"
    assert "'rob' may not apply 'execution.stocktrades.v1'" in error["message"]
    assert mesh.team_of(TRADES) == "execution-team"
    assert mesh.audit_count() == before
    # Nor with the product's own team: the product is still not in rob's domains.
    same_team = sources((descriptor(TRADES), avro()))
    assert mesh.call("rob", "POST", "/apply", 403, json=same_team)["error"]["code"] == (
        "outside-domain"
    )
    # Its owner applies it; a new domain needs governance or a platform admin.
    mesh.call("ada", "POST", "/apply", 200, json=sources((descriptor(TRADES), avro())))
    markets = sources((descriptor("markets.quotes"), avro()))
    assert mesh.call("ada", "POST", "/apply", 403, json=markets)["error"]["code"] == (
        "outside-domain"
    )
    assert mesh.call("root", "GET", "/domains", 200) == [
        domain
        for domain in mesh.call("root", "GET", "/domains", 200)
        if domain["name"] != "markets"
    ]
    mesh.call("gov", "POST", "/apply", 200, json=markets)


def test_apply_never_changes_the_owning_team_even_for_an_admin(mesh: Mesh) -> None:
    mesh.call("root", "POST", "/teams", 200, json={"name": "ops-team", "domain": "execution"})
    before = mesh.audit_count()
    moved = sources((_in_team(descriptor(TRADES), "ops-team"), avro()))
    version_2 = sources((_in_team(descriptor(TRADES, version=2), "ops-team"), avro()))

    for body in (moved, version_2):
        error = mesh.call("root", "POST", "/apply", 422, json=body)["error"]
        [problem] = [p for p in error["details"] if p["rule"] == "product.team-changed"]
        assert "owned by team 'execution-team'" in problem["message"]
        assert f"streammesh products transfer {TRADES} --team ops-team" in problem["hint"]
        assert f"POST /api/v1/products/{TRADES}/owner" in problem["hint"]

    assert mesh.team_of(TRADES) == "execution-team"
    assert mesh.audit_count() == before


def test_a_transfer_moves_every_version_and_is_audited(mesh: Mesh) -> None:
    mesh.call("root", "POST", "/apply", 200, json=sources((descriptor(TRADES, version=2), avro())))
    mesh.call("root", "POST", "/teams", 200, json={"name": "ops-team", "domain": "execution"})
    body = {"team": "ops-team", "note": "desk reorganised"}

    refused = mesh.call("rob", "POST", f"/products/{TRADES}/owner", 403, json=body)
    assert refused["error"]["code"] == "outside-domain"
    wrong_domain = mesh.call(
        "gov", "POST", f"/products/{TRADES}/owner", 422, json={"team": "risk-team"}
    )
    assert "team 'risk-team' is of domain 'risk'" in wrong_domain["error"]["message"]
    assert mesh.team_of(TRADES) == "execution-team"

    moved = mesh.call("gov", "POST", f"/products/{TRADES}/owner", 200, json=body)

    assert moved["reference"] == f"{TRADES}.v2" and moved["team"] == "ops-team"
    assert mesh.team_of(f"{TRADES}.v1") == "ops-team"
    events = mesh.call("root", "GET", "/mesh-events", 200, params={"limit": 1000})["events"]
    changes = [e for e in events if e["type"] == "product.owner-changed"]
    assert [(e["subject"], e["actor"], e["note"]) for e in changes] == [
        (f"{TRADES}.v1", "gov", "desk reorganised"),
        (f"{TRADES}.v2", "gov", "desk reorganised"),
    ]
    assert changes[0]["before"] == {"team": "execution-team"}
    assert changes[0]["after"] == {"team": "ops-team"}
    found = mesh.call("root", "GET", "/products/search", 200, params={"q": "stocktrades"})
    assert found["facets"]["team"] == {"ops-team": 2}
    # The same team again changes nothing; the old descriptor is now the one refused.
    mesh.call("root", "POST", f"/products/{TRADES}/owner", 200, json=body)
    assert len([e for e in _events(mesh) if e["type"] == "product.owner-changed"]) == 2
    mesh.call("root", "POST", "/apply", 422, json=sources((descriptor(TRADES), avro())))
    mesh.call(
        "root",
        "POST",
        "/apply",
        200,
        json=sources((_in_team(descriptor(TRADES), "ops-team"), avro())),
    )


def test_domain_owners_transfer_when_both_teams_agree(mesh: Mesh) -> None:
    mesh.call("root", "POST", "/teams", 200, json={"name": "ops-team", "domain": "execution"})
    mesh.call(
        "root",
        "POST",
        "/principals",
        201,
        json={"name": "oscar", "kind": "user", "team": "ops-team"},
    )
    issued = mesh.call(
        "root", "POST", "/tokens", 201, json={"principal": "oscar", "role": "domain-owner"}
    )
    mesh.tokens["oscar"] = issued["secret"]
    owner = f"/products/{TRADES}/owner"
    body = {"team": "ops-team", "note": "desk reorganised"}

    taken = mesh.call("oscar", "POST", owner, 409, json=body)["error"]
    assert taken["code"] == "transfer-not-offered"
    assert (
        "team 'execution-team' has not offered product 'execution.stocktrades'" in taken["message"]
    )

    offered = mesh.client.post(
        f"{API}{owner}", json=body, headers={"Authorization": f"Bearer {mesh.tokens['ada']}"}
    )
    assert offered.status_code == 202, offered.text
    assert offered.json()["team"] == "execution-team" == mesh.team_of(TRADES)
    assert mesh.call("rob", "POST", owner, 403, json=body)["error"]["code"] == "outside-domain"

    moved = mesh.call("oscar", "POST", owner, 200, json={"team": "ops-team"})

    assert moved["team"] == "ops-team" == mesh.team_of(TRADES)
    kinds = [
        (e["type"], e["actor"], e["note"])
        for e in _events(mesh)
        if e["type"].startswith("product.owner")
    ]
    assert kinds == [
        ("product.owner-offered", "ada", "desk reorganised"),
        ("product.owner-changed", "oscar", "offered by ada"),
    ]
    # The offer is used up: ada (no longer of the owning team) cannot take it back alone.
    back = mesh.call("ada", "POST", owner, 409, json={"team": "execution-team"})["error"]
    assert back["code"] == "transfer-not-offered"


def _events(mesh: Mesh) -> list[dict[str, Any]]:
    return list(mesh.call("root", "GET", "/mesh-events", 200, params={"limit": 1000})["events"])


def test_teams_domains_policies_and_accounts_stay_in_the_owners_domains(mesh: Mesh) -> None:
    hijack = {"name": "execution-team", "domain": "risk", "email": "rob@example.com"}
    assert mesh.call("rob", "POST", "/teams", 403, json=hijack)["error"]["code"] == "outside-domain"
    # ada may describe her team, but not move it to a domain she does not own, nor drop it.
    moved = {"name": "execution-team", "domain": "risk"}
    assert mesh.call("ada", "POST", "/teams", 403, json=moved)["error"]["code"] == "outside-domain"
    no_domain = mesh.call("ada", "POST", "/teams", 422, json={"name": "execution-team"})
    assert (
        "give the domain of team 'execution-team' (yours: execution)"
        in no_domain["error"]["message"]
    )
    [team] = [t for t in mesh.call("root", "GET", "/teams", 200) if t["name"] == "execution-team"]
    assert (team["domain"], team["email"]) == ("execution", "execution@example.com")
    mesh.call("ada", "POST", "/teams", 200, json={"name": "execution-ops", "domain": "execution"})

    mesh.call("rob", "POST", "/domains", 403, json={"name": "execution", "description": "mine"})
    mesh.call("rob", "POST", "/domains", 403, json={"name": "newdomain"})
    mesh.call("rob", "POST", "/domains", 200, json={"name": "risk", "description": "Risk."})

    policy = {"policy": {}}
    mesh.call("rob", "PUT", "/governance/policy", 403, params={"domain": "execution"}, json=policy)
    mesh.call("rob", "PUT", "/governance/policy", 200, params={"domain": "risk"}, json=policy)
    mesh.call("rob", "PUT", "/governance/policy", 403, json=policy)  # the global one

    service = {"name": "sneaky", "kind": "service-account", "team": "execution-team"}
    assert mesh.call("rob", "POST", "/principals", 403, json=service)["error"]["code"] == (
        "outside-domain"
    )
    teamless = mesh.call("rob", "POST", "/principals", 422, json={"name": "loose", "kind": "user"})
    assert "give the account's team (yours: risk-team)" in teamless["error"]["message"]
    mesh.call("rob", "POST", "/principals", 201, json={**service, "team": "risk-team"})
    names = {p["name"] for p in mesh.call("root", "GET", "/principals", 200)}
    assert "sneaky" in names and "loose" not in names


def test_access_decisions_forget_and_incidents_stay_in_the_owners_domain(mesh: Mesh) -> None:
    prices = descriptor("execution.prices", extra="classifications: {price: [confidential]}\n")
    mesh.call("root", "POST", "/apply", 200, json=sources((prices, avro())))
    mesh.call(
        "root",
        "POST",
        "/principals",
        201,
        json={"name": "risk-app", "kind": "service-account", "team": "risk-team"},
    )
    request = mesh.call(
        "rob",
        "POST",
        "/access/requests",
        201,
        json={
            "product": "execution.prices",
            "application": "risk-app",
            "purpose": "x",
            "classified": True,
        },
    )
    approve = f"/access/requests/{request['id']}/approve"
    error = mesh.call("rob", "POST", approve, 403, json={})["error"]
    assert error["code"] == "not-allowed"
    assert "a domain owner of team 'execution-team'" in error["message"]
    assert mesh.call("ada", "POST", approve, 200, json={})["state"] == "approved"

    mesh.call("rob", "POST", f"/products/{TRADES}/forget", 403, json={"key": "t1"})
    mesh.call("rob", "POST", f"/products/{TRADES}/incidents", 403, json={"message": "x"})
    mesh.call("ada", "POST", f"/products/{TRADES}/incidents", 201, json={"message": "late"})


def test_subscriptions_of_a_team_are_managed_by_its_own_domain_owner(mesh: Mesh) -> None:
    body = {"subscriber": "execution-team", "scope": "domain", "target": "execution", "inbox": True}
    refused = mesh.call("rob", "POST", "/subscriptions", 403, json=body)["error"]
    assert refused["code"] == "outside-domain"
    assert "'rob' may not manage the subscriptions of 'execution-team'" in refused["message"]
    created = mesh.call("ada", "POST", "/subscriptions", 201, json=body)

    mesh.call("rob", "DELETE", f"/subscriptions/{created['id']}", 403)
    mesh.call("rob", "GET", "/subscriptions", 403, params={"subscriber": "execution-team"})
    mesh.call("rob", "GET", "/subscriptions", 403, params={"all": "true"})
    assert len(mesh.call("gov", "GET", "/subscriptions", 200, params={"all": "true"})) == 1
    mesh.call("ada", "DELETE", f"/subscriptions/{created['id']}", 200)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def test_the_web_ui_publish_page_keeps_to_the_owners_domains(mesh: Mesh) -> None:
    client = mesh.client
    form = client.get("/ui/sign-in")
    signed_in = client.post(
        "/ui/sign-in",
        data={"token": mesh.tokens["rob"], "csrf": _csrf(form.text)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    csrf = _csrf(client.get("/ui/publish").text)
    # Even with the product's own team (apply never changes a team anyway).
    rewritten = descriptor(TRADES).replace("Executed stock trades", "Rob's trades")
    takeover = {
        "descriptor": rewritten,
        "schema_text": avro(),
        "action": "apply",
        "csrf": csrf,
    }

    refused = client.post("/ui/publish", data=takeover)

    assert refused.status_code == 422
    assert "may not apply" in refused.text and "execution.stocktrades.v1" in refused.text
    product = mesh.call("root", "GET", f"/products/{TRADES}", 200)["product"]
    assert product["description"].startswith("Executed stock trades")


# -- the command line ---------------------------------------------------------------------------


def test_products_transfer_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = make_workspace(tmp_path, monkeypatch)
    ok("apply", str(workspace.root), "--yes")
    team = json_of("products", "show", NAME)["team"]
    ok("teams", "create", "ops-team", "--domain", "execution")

    moved = ok("products", "transfer", NAME, "--team", "ops-team", "--note", "reorg")

    assert moved.stdout.startswith(f"transferred {NAME} to team ops-team")
    assert json_of("products", "show", NAME)["team"] == "ops-team"
    refused = invoke_cli("apply", str(workspace.root), "--yes")
    assert refused.exit_code != 0
    assert f"products transfer {NAME} --team {team}" in refused.stdout + refused.stderr
    unknown = invoke_cli("products", "transfer", NAME, "--team", "nobody")
    assert "team 'nobody' is not registered" in error_line(unknown)


def test_products_transfer_through_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    home = tmp_path / "served"
    home.mkdir()
    (home / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    workspace = make_workspace(tmp_path, monkeypatch)
    with StreammeshServer(home) as server:
        assert server.admin_token is not None
        remote = ("--server", server.url, "--token", server.admin_token)
        ok("apply", str(workspace.root), "--yes", *remote)
        ok("teams", "create", "ops-team", "--domain", "execution", *remote)
        with open_store(ServerSettings(mesh=home).resolved_store_url) as store:
            owner = TokenStore(store).create("ada", Role.DOMAIN_OWNER).secret
        refused = invoke_cli(
            "products",
            "transfer",
            NAME,
            "--team",
            "ops-team",
            "--server",
            server.url,
            "--token",
            owner,
        )
        assert "'ada' may not transfer 'execution.stocktrades'" in error_line(refused)

        deprecate = ("deprecate", NAME, "--reason", "x", "--sunset", "2099-01-01")
        outside = invoke_cli(*deprecate, "--server", server.url, "--token", owner)
        assert "'ada' may not deprecate 'execution.stocktrades.v1'" in error_line(outside)

        moved = json_of("products", "transfer", NAME, "--team", "ops-team", *remote)

        assert moved["team"] == "ops-team"
        assert json_of("products", "show", NAME, *remote)["team"] == "ops-team"
