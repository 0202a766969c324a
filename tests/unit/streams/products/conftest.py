"""A real embedded mesh (``MeshRuntime.open`` on a temporary directory) holding two published
products applied from descriptors:

- ``execution.stocktrades`` (Avro, key ``symbol``, ``trader_email`` is PII), team
  ``trading-team``;
- ``members.users`` (JSON Schema, kind ``state``, key ``userid``, ``email`` is PII), team
  ``members-team``;

and the ``analytics`` domain with ``analytics-team``, whose service account ``trending-sa``
runs the applications.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.access import Caller
from streammesh.config import MeshConfig
from streammesh.control import read_product_sources
from streammesh.identity import AccountKind, Role
from streammesh.runtime import MeshRuntime

ADMIN = Caller("admin", Role.PLATFORM_ADMIN)
APP_ACCOUNT = "trending-sa"

_TRADES = {
    "type": "record",
    "name": "StockTrade",
    "namespace": "execution",
    "fields": [
        {"name": "symbol", "type": "string", "doc": "Ticker."},
        {"name": "side", "type": "string", "doc": "BUY or SELL."},
        {"name": "quantity", "type": "int", "doc": "Shares."},
        {"name": "price", "type": "int", "doc": "Price in cents."},
        {"name": "userid", "type": "string", "doc": "The trader."},
        {"name": "trader_email", "type": ["null", "string"], "default": None, "doc": "E-mail."},
    ],
}
_USERS = {
    "type": "object",
    "title": "User",
    "properties": {
        "userid": {"type": "string", "description": "The user."},
        "regionid": {"type": "string", "description": "The region."},
        "email": {"type": "string", "description": "E-mail."},
    },
    "required": ["userid"],
}


def _descriptor(name: str, team: str, kind: str, key: str, schema: str, pii: str) -> str:
    return (
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: A product for stream tests.\n"
        "alignment: source\n"
        f"kind: {kind}\n"
        f"key: {{field: {key}, type: string}}\n"
        f"schema: {schema}\n"
        "partitions: xs\n"
        f"retention: {'compacted' if kind == 'state' else 'recent:7d'}\n"
        "sla: {tier: 2}\n"
        f"classifications: {{{pii}: [pii]}}\n"
        "status: published\n"
    )


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "stocktrades.avsc").write_text(json.dumps(_TRADES), encoding="utf-8")
    (repo / "users.json").write_text(json.dumps(_USERS), encoding="utf-8")
    (repo / "stocktrades.yaml").write_text(
        _descriptor(
            "execution.stocktrades",
            "trading-team",
            "measurement",
            "symbol",
            "stocktrades.avsc",
            "trader_email",
        ),
        encoding="utf-8",
    )
    (repo / "users.yaml").write_text(
        _descriptor("members.users", "members-team", "state", "userid", "users.json", "email"),
        encoding="utf-8",
    )
    with MeshRuntime.open(MeshConfig.load(tmp_path / "mesh")) as runtime:
        for domain, team in (
            ("execution", "trading-team"),
            ("members", "members-team"),
            ("analytics", "analytics-team"),
        ):
            runtime.plane.register_domain(domain, description=None, actor="admin")
            runtime.plane.register_team(
                team, domain=domain, email=f"{team}@example.com", description=None, actor="admin"
            )
        runtime.plane.apply(read_product_sources([repo]), actor="owner")
        runtime.access.create_account(
            APP_ACCOUNT,
            AccountKind.SERVICE_ACCOUNT,
            team="analytics-team",
            description="",
            actor="admin",
        )
        yield runtime


def grant(runtime: MeshRuntime, product: str, *, classified: bool = False) -> None:
    """An approved read grant of ``trending-sa`` on ``product``."""
    request = runtime.access.request(
        product, APP_ACCOUNT, purpose="analytics", classified=classified, caller=ADMIN
    )
    if request.state.value != "approved":
        runtime.access.approve(request.id, caller=ADMIN)
