"""A mesh with two published products for the access tests: ``execution.trades`` (nothing
classified, auto-approved) and ``customers.profiles`` (a confidential field, approval needed); team
``execution-team`` owns the first, ``customers-team`` the second. The clock is settable."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from streammesh.access import AccessControl, AccessService, Caller
from streammesh.config import MeshConfig
from streammesh.control import ProductSource
from streammesh.identity import AccountKind, AccountStore, Role
from streammesh.products.lifecycle import LifecyclePolicy
from streammesh.products.loading import parse_descriptor
from streammesh.runtime import MeshRuntime

TRADES = "execution.trades"
PROFILES = "customers.profiles"
ADMIN = Caller("admin", Role.PLATFORM_ADMIN)

_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Row",
        "fields": [
            {"name": "id", "type": "string", "doc": "Identifier."},
            {"name": "amount", "type": "double", "doc": "Amount in euros."},
        ],
    }
)


def descriptor_text(name: str, team: str, *, classified: bool) -> str:
    text = (
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: Rows for access tests.\n"
        "alignment: source\n"
        "kind: state\n"
        "key: {field: id, type: string}\n"
        "schema: rows.avsc\n"
        "partitions: xs\n"
        "sla: {tier: 2}\n"
        "status: published\n"
    )
    if classified:
        text += "classifications: {amount: [confidential]}\n"
    return text


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2027, 1, 4, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class AccessMesh:
    mesh: MeshRuntime
    clock: Clock
    access: AccessService
    control: AccessControl
    accounts: AccountStore

    def deprecate(self, name: str) -> None:
        self.mesh.plane.deprecate(name, reason="replaced", sunset=date(2027, 6, 1), actor="admin")


def open_access_mesh(home: Path, store_url: str | None = None) -> AccessMesh:
    """The mesh with both products applied, and accounts: ``fraud-detector`` and
    ``crm-sync`` (service accounts of ``risk-team``), ``ada`` (a user of ``customers-team``),
    ``bob`` (a user of ``risk-team``), ``ingest`` (a service account of ``execution-team``)."""
    clock = Clock()
    config = MeshConfig(
        home=home,
        log_url=f"embedded://{home / 'log'}",
        store_url=store_url or f"sqlite:///{home / 'meta.db'}",
        lifecycle=LifecyclePolicy(
            min_published_before_deprecate=timedelta(0), min_deprecated_before_retire=timedelta(0)
        ),
    )
    home.mkdir(parents=True, exist_ok=True)
    mesh = MeshRuntime.open(config)
    sources = [
        ProductSource(parse_descriptor(descriptor_text(name, team, classified=c)), _SCHEMA, name)
        for name, team, c in (
            (TRADES, "execution-team", False),
            (PROFILES, "customers-team", True),
        )
    ]
    mesh.plane.apply(sources, actor="admin")
    mesh.plane.register_team("risk-team", domain=None, email=None, description=None, actor="admin")
    accounts = AccountStore(mesh.store, clock=clock)
    for name, kind, team in (
        ("fraud-detector", AccountKind.SERVICE_ACCOUNT, "risk-team"),
        ("crm-sync", AccountKind.SERVICE_ACCOUNT, "risk-team"),
        ("ingest", AccountKind.SERVICE_ACCOUNT, "execution-team"),
        ("ada", AccountKind.USER, "customers-team"),
        ("bob", AccountKind.USER, "risk-team"),
    ):
        accounts.create(name, kind, team=team, actor="admin")
    return AccessMesh(
        mesh,
        clock,
        AccessService(mesh.store, mesh.plane, clock=clock),
        AccessControl(mesh.store, clock=clock),
        accounts,
    )
