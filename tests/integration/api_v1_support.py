"""Shared pieces of the ``/api/v1`` tests: a served mesh, tokens per role, product sources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from streammesh.identity import Role, TokenStore
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from streammesh.store import open_store

MESH_YAML = """\
lifecycle:
  min_published_before_deprecate: 0d
  min_deprecated_before_retire: 0d
notifications:
  webhooks:
    allow: ["127.0.0.1"]  # the tests' webhook receivers listen on loopback
"""

FIELDS = [
    {"name": "trade_id", "type": "string", "doc": "Identifier."},
    {"name": "symbol", "type": "string", "doc": "Ticker."},
    {"name": "price", "type": "double", "doc": "Price."},
]


def avro(*extra: dict[str, object]) -> str:
    """The trade schema, with ``extra`` fields appended."""
    return json.dumps(
        {"type": "record", "name": "Trade", "namespace": "acme", "fields": [*FIELDS, *extra]}
    )


def descriptor(name: str = "execution.stocktrades", *, version: int = 1, extra: str = "") -> str:
    return (
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        "team: execution-team\n"
        "description: Executed stock trades, one event per fill.\n"
        "tags: [trading, equities]\n"
        "alignment: source\n"
        "kind: measurement\n"
        "key: {field: trade_id, type: string}\n"
        "schema: stocktrades.avsc\n"
        f"version: {version}\n"
        "partitions: s\n"
        "retention: full-history\n"
        "sla: {tier: 2}\n"
        "status: published\n"
        f"{extra}"
    )


def sources(*items: tuple[str, str]) -> dict[str, object]:
    """A plan/apply body of (descriptor, schema) pairs."""
    return {
        "products": [
            {"descriptor": text, "schema": schema, "origin": f"execution/p{index}.yaml"}
            for index, (text, schema) in enumerate(items)
        ]
    }


@dataclass
class Served:
    """An in-process server over a fresh mesh, with a client per role."""

    mesh: Path
    client: TestClient
    tokens: dict[Role, str]

    def headers(self, role: Role = Role.PLATFORM_ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def serve(
    mesh: Path, *, log_url: str | None = None, store_url: str | None = None
) -> Iterator[Served]:
    mesh.mkdir(parents=True, exist_ok=True)
    (mesh / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    settings = ServerSettings(mesh=mesh, log_url=log_url, store_url=store_url)
    app = create_app(settings)
    with open_store(settings.resolved_store_url) as store:
        tokens = {
            role: TokenStore(store).create(f"{role.value}-user", role).secret for role in Role
        }
    with TestClient(app) as client:
        yield Served(mesh, client, tokens)


def own_domain(served: Served, domain: str = "execution", team: str = "execution-team") -> None:
    """Make the ``domain-owner`` token's principal an owner of ``domain``: register the domain
    and ``team`` (as a platform admin) and give the principal a user account in the team —
    a domain owner changes only the domains of its teams."""
    admin = served.headers()
    calls = (
        ("/api/v1/domains", {"name": domain}),
        ("/api/v1/teams", {"name": team, "domain": domain}),
        ("/api/v1/principals", {"name": "domain-owner-user", "kind": "user", "team": team}),
    )
    for path, body in calls:
        answer = served.client.post(path, headers=admin, json=body)
        assert answer.status_code in (200, 201), answer.text
