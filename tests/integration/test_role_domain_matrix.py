"""Who may do what over ``/api/v1``, per role and domain: one row per operation of the OpenAPI
document, one documented status per caller.

The mesh has two domains, ``execution`` and ``risk``, each with a team, a domain owner with a
user account in that team and a published product. Every row is about a product (or object)
of ``execution``; the callers are:

- ``member``: a member user of the execution team,
- ``consumer``: the risk team's application ``trade-reader``, with a grant on the execution
  product,
- ``owner``: the execution domain owner (a user of the execution team),
- ``outsider``: the risk domain owner (a user of the risk team),
- ``governance`` and ``admin``: mesh-wide roles without an account.

A new ``/api/v1`` operation without a row fails :func:`test_every_operation_has_a_row`:
decide who may call it, write the row, and document it in ``docs/rest-api.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streammesh.identity import Role, TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store
from tests.integration.api_v1_support import MESH_YAML, avro, descriptor, sources

API = "/api/v1"
CONNECT = "/connect"
TRADES = "execution.stocktrades"
PRICES = "execution.prices"
EXPOSURES = "risk.exposures"
SUNSET = "2099-12-31"
CALLERS = ("member", "consumer", "owner", "outsider", "governance", "admin")
PRINCIPALS = {
    "member": ("mia", Role.MEMBER),
    "consumer": ("trade-reader", Role.CONSUMER),
    "owner": ("ada", Role.DOMAIN_OWNER),
    "outsider": ("rob", Role.DOMAIN_OWNER),
    "governance": ("gov", Role.GOVERNANCE),
    "admin": ("root", Role.PLATFORM_ADMIN),
}


def anyone(status: int = 200) -> dict[str, int]:
    """Every caller gets ``status``."""
    return dict.fromkeys(CALLERS, status)


def owners(status: int = 200) -> dict[str, int]:
    """The domain's owner, governance and admins get ``status``; everyone else 403."""
    return {**anyone(403), "owner": status, "governance": status, "admin": status}


def overseers(status: int = 200) -> dict[str, int]:
    """Governance and admins get ``status``; everyone else 403."""
    return {**anyone(403), "governance": status, "admin": status}


@dataclass
class World:
    """The served mesh, a client, a token per caller and the ids the rows refer to."""

    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)

    def call(self, caller: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[caller]}"}
        prefix = "" if path.startswith(CONNECT) else API  # /connect: Kafka Connect's shapes
        return self.client.request(method, f"{prefix}{path}", headers=headers, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.call("admin", method, path, **kwargs)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


def _in_team(text: str, team: str) -> str:
    return text.replace("team: execution-team", f"team: {team}")


def _setup(world: World) -> None:
    world.ok("POST", "/domains", json={"name": "execution"})
    world.ok("POST", "/domains", json={"name": "risk"})
    world.ok("POST", "/teams", json={"name": "execution-team", "domain": "execution"})
    world.ok("POST", "/teams", json={"name": "risk-team", "domain": "risk"})
    for name, kind, team in (
        ("ada", "user", "execution-team"),
        ("mia", "user", "execution-team"),
        ("rob", "user", "risk-team"),
        ("trade-reader", "service-account", "risk-team"),
    ):
        world.ok("POST", "/principals", json={"name": name, "kind": kind, "team": team})
    products = [
        (descriptor(TRADES), avro()),
        (_in_team(descriptor(EXPOSURES), "risk-team"), avro()),
        (descriptor(PRICES, extra="classifications: {price: [confidential]}\n"), avro()),
    ]
    for caller in CALLERS:
        products.append((descriptor(f"execution.dep-{caller}"), avro()))
        products.append((descriptor(f"execution.ret-{caller}"), avro()))
    world.ok("POST", "/apply", json=sources(*products))
    for caller in CALLERS:
        world.ok(
            "POST",
            f"/products/execution.ret-{caller}/deprecate",
            json={"reason": "replaced", "sunset": SUNSET},
        )
        for app in ("req", "ok", "no", "rv"):
            world.ok(
                "POST",
                "/principals",
                json={
                    "name": f"{app}-{caller}",
                    "kind": "service-account",
                    "team": "execution-team",
                },
            )
        world.ids[f"approve-{caller}"] = _request(world, PRICES, f"ok-{caller}", classified=True)
        world.ids[f"reject-{caller}"] = _request(world, PRICES, f"no-{caller}", classified=True)
        world.ids[f"revoke-{caller}"] = _request(world, TRADES, f"rv-{caller}", classified=False)
        proposal = world.ok("POST", "/governance/proposals", json={"title": f"by {caller}"})
        world.ids[f"proposal-{caller}"] = str(proposal["id"])
        subscribed = world.call(
            caller, "POST", "/subscriptions", json={"scope": "mesh", "inbox": True}
        )
        assert subscribed.status_code == 201, subscribed.text
        world.ids[f"subscription-{caller}"] = subscribed.json()["id"]
    for caller in CALLERS:
        token = world.ok("POST", "/tokens", json={"principal": "mia", "role": "member"})
        world.ids[f"token-{caller}"] = token["id"]
    world.ids["grant"] = _request(world, TRADES, "trade-reader", classified=False)
    world.ids["proposal"] = world.ids["proposal-admin"]
    _stream_apps(world)
    _connectors(world)


STREAM_SA = "stream-sa"
CONNECT_SA = "connect-sa"


def _connector_config(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "connector.class": "files",
        "principal": CONNECT_SA,
        "folder": "/tmp/matrix-drops",
        "product": TRADES,
    }


def _connectors(world: World) -> None:
    """A service account of the execution team, the connector ``matrix-conn`` and one
    ``del-conn-<caller>`` per caller (not hosted: the matrix's server hosts nothing)."""
    world.ok(
        "POST",
        "/principals",
        json={"name": CONNECT_SA, "kind": "service-account", "team": "execution-team"},
    )
    for name in ("matrix-conn", *(f"del-conn-{caller}" for caller in CALLERS)):
        body = {"name": name, "config": _connector_config(name)}
        world.ok("POST", f"{CONNECT}/connectors", json=body)


def _stream_sql(product: str) -> str:
    return (
        f"CREATE STREAM s WITH (product='{product}') AS SELECT trade_id, price "
        f"FROM {TRADES} WHERE price > 5 EMIT CHANGES;"
    )


def _stream_apps(world: World) -> None:
    """A service account of the execution team with a grant on the trades, the application
    ``matrix-app`` and one ``del-<caller>`` per caller (not hosted: the matrix's server does
    not host stream applications, so none has a live instance)."""
    team = {"name": "execution-team", "domain": "execution", "email": "ex@example.com"}
    world.ok("POST", "/teams", json=team)  # an output product's owner is its team's e-mail
    world.ok(
        "POST",
        "/principals",
        json={"name": STREAM_SA, "kind": "service-account", "team": "execution-team"},
    )
    request_id = _request(world, TRADES, STREAM_SA, classified=False)
    if world.ok("GET", f"/access/requests/{request_id}")["state"] != "approved":
        world.ok("POST", f"/access/requests/{request_id}/approve", json={})
    for name in ("matrix-app", *(f"del-{caller}" for caller in CALLERS)):
        body = {
            "name": name,
            "sql": _stream_sql(f"execution.{name.replace('-', '_')}"),
            "principal": STREAM_SA,
        }
        world.ok("POST", "/streams", json=body)


def _request(world: World, product: str, application: str, *, classified: bool) -> str:
    body = {
        "product": product,
        "application": application,
        "purpose": "matrix",
        "classified": classified,
    }
    created = world.ok("POST", "/access/requests", json=body)
    return str(created["id"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    mesh = tmp_path_factory.mktemp("matrix") / "mesh"
    mesh.mkdir()
    # The connector rows name a folder outside the mesh: the operator allows it.
    (mesh / "mesh.yaml").write_text(
        MESH_YAML + "\nconnect:\n  allowed_paths: [/tmp/matrix-drops]\n", encoding="utf-8"
    )
    settings = ServerSettings(mesh=mesh, host_streams=False)
    app = create_app(settings)
    with open_store(settings.resolved_store_url) as store:
        tokens = {
            caller: TokenStore(store).create(name, role).secret
            for caller, (name, role) in PRINCIPALS.items()
        }
    with TestClient(app) as client:
        built = World(client, tokens)
        _setup(built)
        yield built


Request = tuple[str, dict[str, Any]]
"""A concrete path and the keyword arguments of the request (``json``, ``params``)."""


@dataclass(frozen=True)
class Row:
    """One operation: how a caller calls it and the status each caller gets."""

    method: str
    path: str
    expect: dict[str, int]
    request: Callable[[World, str], Request] | None = None

    @property
    def operation(self) -> tuple[str, str]:
        return (self.method, self.path)

    def build(self, world: World, caller: str) -> Request:
        if self.request is not None:
            return self.request(world, caller)
        return self.path.removeprefix(API).replace("{reference}", TRADES), {}


def _with(path: str, **kwargs: Any) -> Callable[[World, str], Request]:
    return lambda _world, _caller: (path, kwargs)


_EVENT = {"trade_id": "t1", "symbol": "ACME", "price": 1.5}
_RUN_EVENT = {
    "eventType": "COMPLETE",
    "eventTime": "2026-01-01T00:00:00Z",
    "producer": "https://example.com/job",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "01941f29-7c00-7000-8000-000000000000", "facets": {}},
    "job": {"namespace": "jobs", "name": "trades-to-lake", "facets": {}},
    "inputs": [{"namespace": "streammesh", "name": f"{TRADES}.v1", "facets": {}}],
    "outputs": [],
}

ROWS: tuple[Row, ...] = (
    # -- stream applications (first: a later row describes the team again without its e-mail,
    # which a derived product's owner needs): reading is open, changing needs the service
    # account's domain
    Row("GET", "/api/v1/streams", anyone()),
    Row("GET", "/api/v1/streams/{name}", anyone(), _with("/streams/matrix-app")),
    Row(
        "POST",
        "/api/v1/streams/explain",
        anyone(),
        _with("/streams/explain", json={"sql": _stream_sql("execution.explained")}),
    ),
    Row(
        "POST",
        "/api/v1/streams",
        owners(201),
        lambda _world, caller: (
            "/streams",
            {
                "json": {
                    "name": f"dep-app-{caller}",
                    "sql": _stream_sql(f"execution.app_{caller}"),
                    "principal": STREAM_SA,
                }
            },
        ),
    ),
    Row("POST", "/api/v1/streams/{name}/stop", owners(), _with("/streams/matrix-app/stop")),
    Row("POST", "/api/v1/streams/{name}/start", owners(), _with("/streams/matrix-app/start")),
    Row("POST", "/api/v1/streams/{name}/reset", owners(), _with("/streams/matrix-app/reset")),
    Row(
        "DELETE",
        "/api/v1/streams/{name}",
        owners(),
        lambda _world, caller: (f"/streams/del-{caller}", {}),
    ),
    # -- connectors (/connect, Kafka Connect's shapes): reading is open, changing needs the
    # connector's service account in the caller's domain, as stream applications
    Row("GET", "/connect/connectors", anyone()),
    Row(
        "POST",
        "/connect/connectors",
        owners(201),
        lambda _world, caller: (
            f"{CONNECT}/connectors",
            {"json": {"name": f"conn-{caller}", "config": _connector_config(f"conn-{caller}")}},
        ),
    ),
    Row("GET", "/connect/connectors/{name}", anyone(), _with(f"{CONNECT}/connectors/matrix-conn")),
    Row(
        "GET",
        "/connect/connectors/{name}/config",
        anyone(),
        _with(f"{CONNECT}/connectors/matrix-conn/config"),
    ),
    Row(
        "PUT",
        "/connect/connectors/{name}/config",
        owners(200),
        _with(f"{CONNECT}/connectors/matrix-conn/config", json=_connector_config("matrix-conn")),
    ),
    Row(
        "GET",
        "/connect/connectors/{name}/status",
        anyone(),
        _with(f"{CONNECT}/connectors/matrix-conn/status"),
    ),
    Row(
        "PUT",
        "/connect/connectors/{name}/pause",
        owners(202),
        _with(f"{CONNECT}/connectors/matrix-conn/pause"),
    ),
    Row(
        "PUT",
        "/connect/connectors/{name}/resume",
        owners(202),
        _with(f"{CONNECT}/connectors/matrix-conn/resume"),
    ),
    Row(
        "POST",
        "/connect/connectors/{name}/restart",
        owners(204),
        _with(f"{CONNECT}/connectors/matrix-conn/restart"),
    ),
    Row(
        "DELETE",
        "/connect/connectors/{name}",
        owners(204),
        lambda _world, caller: (f"{CONNECT}/connectors/del-conn-{caller}", {}),
    ),
    Row("GET", "/connect/connector-plugins", anyone()),
    # -- reading the mesh: any token ---------------------------------------------------------
    Row("GET", "/api/v1/whoami", anyone()),
    Row("GET", "/api/v1/products", anyone()),
    Row("GET", "/api/v1/products/search", anyone()),
    Row("GET", "/api/v1/products/{reference}", anyone()),
    Row("GET", "/api/v1/products/{reference}/applications", anyone()),
    Row("GET", "/api/v1/products/{reference}/schemas", anyone()),
    Row(
        "GET",
        "/api/v1/products/{reference}/schemas/diff",
        anyone(),
        _with(f"/products/{TRADES}/schemas/diff", params={"from": 1, "to": 1}),
    ),
    Row("GET", "/api/v1/products/{reference}/stats", anyone()),
    Row("GET", "/api/v1/products/{reference}/connection", anyone()),
    Row("GET", "/api/v1/products/{reference}/asyncapi", anyone()),
    Row("GET", "/api/v1/products/{reference}/metrics", anyone()),
    Row("GET", "/api/v1/domains", anyone()),
    Row("GET", "/api/v1/teams", anyone()),
    Row("GET", "/api/v1/audit", anyone()),
    Row("GET", "/api/v1/mesh-events", anyone()),
    Row("GET", "/api/v1/principals", anyone()),
    Row("GET", "/api/v1/principals/{name}", anyone(), _with("/principals/ada")),
    Row("GET", "/api/v1/access/requests", anyone()),
    Row(
        "GET",
        "/api/v1/access/requests/{request_id}",
        anyone(),
        lambda world, _caller: (f"/access/requests/{world.ids['grant']}", {}),
    ),
    Row("GET", "/api/v1/governance/policy", anyone()),
    Row("GET", "/api/v1/governance/policies", anyone()),
    Row("GET", "/api/v1/governance/report", anyone()),
    Row("GET", "/api/v1/governance/proposals", anyone()),
    Row(
        "GET",
        "/api/v1/governance/proposals/{proposal_id}",
        anyone(),
        lambda world, _caller: (f"/governance/proposals/{world.ids['proposal']}", {}),
    ),
    Row("GET", "/api/v1/lineage", anyone()),
    Row(
        "GET",
        "/api/v1/lineage/impact",
        anyone(),
        _with("/lineage/impact", params={"product": TRADES}),
    ),
    Row("GET", "/api/v1/openlineage/export", anyone()),
    Row(
        "GET",
        "/api/v1/groups/{group}/lag",
        anyone(),
        _with("/groups/trade-reader/lag", params={"product": TRADES}),
    ),
    Row(
        "POST",
        "/api/v1/groups/{group}/caught-up",
        anyone(),
        _with(
            "/groups/trade-reader/caught-up",
            json={"product": TRADES, "offsets": {"0": 0}, "wait": 0},
        ),
    ),
    Row("GET", "/api/v1/slo", anyone()),
    Row(
        "POST", "/api/v1/plan", anyone(), _with("/plan", json=sources((descriptor(TRADES), avro())))
    ),
    # -- the caller's own things: any token ---------------------------------------------------
    Row(
        "POST",
        "/api/v1/products/{reference}/applications",
        anyone(),
        lambda _world, caller: (
            f"/products/{TRADES}/applications",
            {"json": {"application": f"dash-{caller}", "role": "consumer"}},
        ),
    ),
    Row(
        "POST",
        "/api/v1/subscriptions",
        anyone(201),
        _with("/subscriptions", json={"scope": "domain", "target": "execution", "inbox": True}),
    ),
    Row("GET", "/api/v1/subscriptions", anyone()),
    Row(
        "DELETE",
        "/api/v1/subscriptions/{subscription_id}",
        anyone(),
        lambda world, caller: (f"/subscriptions/{world.ids[f'subscription-{caller}']}", {}),
    ),
    Row("GET", "/api/v1/inbox", anyone()),
    # Nothing was delivered to anyone's inbox: the documented answer is 404 for every caller.
    Row("POST", "/api/v1/inbox/{item_id}/read", anyone(404), _with("/inbox/999/read")),
    # -- event contents: the owning team's service accounts write, grant holders read ---------
    # Every caller may read the execution product's events (its team, a grant, or a team whose
    # application holds one), so the row reads the RISK product: the execution team's users
    # hold no grant on it and are refused; the risk team (rob, trade-reader) owns it.
    Row(
        "GET",
        "/api/v1/products/{reference}/sample",
        {**anyone(), "member": 403, "owner": 403},
        _with(f"/products/{EXPOSURES}/sample"),
    ),
    Row(
        "POST",
        "/api/v1/products/{reference}/events",
        {**anyone(403), "admin": 200},
        _with(f"/products/{TRADES}/events", json={"events": [_EVENT]}),
    ),
    Row(
        "GET",
        "/api/v1/products/{reference}/events",
        {**anyone(403), "consumer": 200, "admin": 200},
        lambda _world, caller: (
            f"/products/{TRADES}/events",
            {"params": {"group": f"g-{caller}", "max": 1, "timeout": 0}},
        ),
    ),
    # -- changing a domain: its owners, governance, admins ------------------------------------
    Row(
        "POST",
        "/api/v1/apply",
        owners(),
        _with("/apply", json=sources((descriptor(TRADES), avro()))),
    ),
    Row(
        "POST",
        "/api/v1/products/{reference}/deprecate",
        owners(),
        lambda _world, caller: (
            f"/products/execution.dep-{caller}/deprecate",
            {"json": {"reason": "replaced", "sunset": SUNSET}},
        ),
    ),
    Row(
        "POST",
        "/api/v1/products/{reference}/retire",
        owners(),
        lambda _world, caller: (f"/products/execution.ret-{caller}/retire", {"json": {}}),
    ),
    Row(
        "POST",
        "/api/v1/products/{reference}/forget",
        owners(),
        lambda _world, caller: (f"/products/{TRADES}/forget", {"json": {"key": f"t-{caller}"}}),
    ),
    Row(
        "POST",
        "/api/v1/products/{reference}/incidents",
        owners(201),
        _with(f"/products/{TRADES}/incidents", json={"message": "late events"}),
    ),
    Row("POST", "/api/v1/domains", owners(), _with("/domains", json={"name": "execution"})),
    Row(
        "POST",
        "/api/v1/teams",
        owners(),
        _with("/teams", json={"name": "execution-team", "domain": "execution"}),
    ),
    Row(
        "PUT",
        "/api/v1/governance/policy",
        owners(),
        _with("/governance/policy", params={"domain": "execution"}, json={"policy": {}}),
    ),
    Row(
        "POST",
        "/api/v1/principals",
        owners(201),
        lambda _world, caller: (
            "/principals",
            {
                "json": {
                    "name": f"svc-{caller}",
                    "kind": "service-account",
                    "team": "execution-team",
                }
            },
        ),
    ),
    # Access decisions: a domain owner of the owning team (the member is of the team, but
    # not an owner; the outsider owns another domain).
    Row(
        "POST",
        "/api/v1/access/requests/{request_id}/approve",
        owners(),
        lambda world, caller: (
            f"/access/requests/{world.ids[f'approve-{caller}']}/approve",
            {"json": {}},
        ),
    ),
    Row(
        "POST",
        "/api/v1/access/requests/{request_id}/reject",
        owners(),
        lambda world, caller: (
            f"/access/requests/{world.ids[f'reject-{caller}']}/reject",
            {"json": {}},
        ),
    ),
    Row(
        "POST",
        "/api/v1/access/grants/{grant_id}/revoke",
        owners(),
        lambda world, caller: (
            f"/access/grants/{world.ids[f'revoke-{caller}']}/revoke",
            {"json": {}},
        ),
    ),
    # Requesting access for an application: the application, a user of its team (the
    # execution team: owner and member), governance, admins.
    Row(
        "POST",
        "/api/v1/access/requests",
        {**owners(201), "member": 201},
        lambda _world, caller: (
            "/access/requests",
            {"json": {"product": TRADES, "application": f"req-{caller}", "purpose": "matrix"}},
        ),
    ),
    # Proposals are written by every role that works on products, moved by overseers.
    Row(
        "POST",
        "/api/v1/governance/proposals",
        {**anyone(201), "consumer": 403},
        _with("/governance/proposals", json={"title": "retention"}),
    ),
    Row(
        "POST",
        "/api/v1/openlineage",
        {**anyone(201), "consumer": 403},
        _with("/openlineage", json=_RUN_EVENT),
    ),
    # -- tokens: platform admins; a domain owner for its own teams' principals (the member's
    # token here), anyone its own ------------------------------------------------------------
    Row("GET", "/api/v1/tokens", anyone()),
    Row(
        "POST",
        "/api/v1/tokens",
        {**anyone(403), "owner": 201, "admin": 201},
        _with("/tokens", json={"principal": "mia", "role": "member"}),
    ),
    Row(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        {**anyone(403), "owner": 200, "admin": 200, "member": 200},
        lambda world, caller: (f"/tokens/{world.ids[f'token-{caller}']}", {}),
    ),
    # -- mesh-wide: governance and platform admins --------------------------------------------
    Row(
        "POST",
        "/api/v1/products/{reference}/owner",
        owners(),  # to its own team: nothing moves (a domain owner's real transfer needs both)
        _with(f"/products/{TRADES}/owner", json={"team": "execution-team"}),
    ),
    Row(
        "POST",
        "/api/v1/governance/proposals/{proposal_id}/move",
        overseers(),
        lambda world, caller: (
            f"/governance/proposals/{world.ids[f'proposal-{caller}']}/move",
            {"json": {"status": "in-review"}},
        ),
    ),
    Row("GET", "/api/v1/notifications/dead-letters", overseers()),
    Row(
        "POST",
        "/api/v1/notifications/dead-letters/{delivery_id}/redrive",
        overseers(404),
        _with("/notifications/dead-letters/none/redrive"),
    ),
)


def _openapi_operations(app: Any) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        if path.startswith((API, CONNECT))
        for method in item
    }


def test_every_operation_has_a_row(world: World) -> None:
    rows = [row.operation for row in ROWS]
    assert len(rows) == len(set(rows)), "an operation has two rows"
    operations = _openapi_operations(world.client.app)
    assert not operations - set(rows), "operations without a row: decide who may call them"
    assert not set(rows) - operations, "rows of operations the API no longer has"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method} {row.path}")
def test_each_caller_gets_the_documented_answer(world: World, row: Row) -> None:
    got = {}
    for caller in CALLERS:
        path, kwargs = row.build(world, caller)
        answer = world.call(caller, row.method, path, **kwargs)
        got[caller] = answer.status_code
        if answer.status_code == 403 and row.expect[caller] == 403 and path.startswith(CONNECT):
            assert answer.json()["error_code"] == 403  # Connect's error body
        elif answer.status_code == 403 and row.expect[caller] == 403:
            code = answer.json()["error"]["code"]
            assert code in {
                "forbidden",
                "outside-domain",
                "not-allowed",
                "access-denied",
                "token-change-refused",
            }, code
    assert got == row.expect


def test_a_refused_outsider_is_told_it_is_outside_its_domain(world: World) -> None:
    answer = world.call(
        "outsider",
        "POST",
        f"/products/{TRADES}/deprecate",
        json={"reason": "x", "sunset": SUNSET},
    )
    error = answer.json()["error"]
    assert answer.status_code == 403 and error["code"] == "outside-domain"
    assert "'rob' may not deprecate 'execution.stocktrades.v1'" in error["message"]
    assert "domain 'execution'" in error["message"] and "'risk'" in error["message"]
