"""Deprecating a product of ``streammesh demo`` tells its downstream owners, and nobody else,
by signed webhook and by e-mail: every team of the demo listens on a real HTTP receiver and
the mail goes to a real SMTP server (``aiosmtpd``)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from streammesh.audit import AuditAction
from streammesh.demo import PRODUCTS
from streammesh.demo.products import USERS, write_products
from streammesh.lineage import impact
from streammesh.notify import SIGNATURE_HEADER, NotificationService, ScopeKind, deliver_pending
from streammesh.sdk import InProcessMesh, Mesh
from tests.unit.cli.invoking import invoke_cli
from tests.unit.notify.servers import (
    SmtpSink,
    WebhookReceiver,
    run_receiver,
    run_smtp,
    settings_for,
)

DEPRECATED = USERS.reference
REPLACEMENT = f"{USERS.name}.v2"
SUNSET = date(2099, 3, 31)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from run_receiver(WebhookReceiver())


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    yield from run_smtp()


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[InProcessMesh]:
    home = tmp_path / "mesh"
    result = invoke_cli("demo", "--mesh", str(home), "--no-serve", "--duration", "1")
    assert result.exit_code == 0, result.stderr
    with Mesh.open(home, actor="membership-owner") as opened:
        yield opened


def _publish_users_v2(mesh: InProcessMesh, folder: Path) -> None:
    """The owners publish ``membership.users`` v2 before deprecating v1 in its favour."""
    v2 = dataclasses.replace(USERS, version=2)
    mesh.apply([write_products(folder, (v2,), None)])


def test_deprecating_a_demo_product_notifies_exactly_its_downstream_owners(
    mesh: InProcessMesh, tmp_path: Path, receiver: WebhookReceiver, smtp: SmtpSink
) -> None:
    local = mesh.local
    settings = settings_for(smtp)
    # The mesh's history (the demo's own deprecation of page views v1) is handled first, so
    # what follows is this deprecation's doing only.
    deliver_pending(local, settings)
    service = NotificationService(local.store, local.plane, settings)
    secrets = {}
    for team in mesh.teams():
        # Each team listens to incidents in its own domain only: a deprecation elsewhere can
        # reach it solely as a downstream owner found by impact analysis.
        subscription = service.subscribe(
            team.name,
            ScopeKind.DOMAIN,
            team.domain,
            events=[AuditAction.INCIDENT_DECLARED],
            webhook_url=f"http://127.0.0.1:{receiver.port}/hooks/{team.name}",
            email=f"{team.name}-oncall@example.com",
            actor="admin",
        )
        assert subscription.webhook_secret is not None
        secrets[f"/hooks/{team.name}"] = subscription.webhook_secret
    _publish_users_v2(mesh, tmp_path / "users-v2")
    receiver.received.clear()
    smtp.messages.clear()

    mesh.deprecate(DEPRECATED, reason="v2 drops gender", sunset=SUNSET, replacement=REPLACEMENT)
    deliver_pending(local, settings)

    downstream = impact(local.plane, DEPRECATED, store=local.store)
    # In the demo, users feed the recommendations application of the personalization team.
    assert downstream and all(dependent.team and dependent.contact for dependent in downstream)
    owners = {dependent.team for dependent in downstream if dependent.team}
    contacts = {dependent.contact for dependent in downstream if dependent.contact}
    assert owners.isdisjoint({product.descriptor["team"] for product in PRODUCTS})
    assert {hook.path for hook in receiver.received} == {f"/hooks/{team}" for team in owners}
    assert len(receiver.received) == len(owners)  # once each
    for hook in receiver.received:
        expected = hmac.new(secrets[hook.path].encode(), hook.body, hashlib.sha256).hexdigest()
        assert hook.headers[SIGNATURE_HEADER] == f"sha256={expected}"
        body = hook.json()
        assert body["type"] == "product.deprecated"
        assert body["subject"] == DEPRECATED
        assert body["notification"]["reason"] == "downstream-of-deprecated-product"
        assert body["deprecation"]["sunset"] == SUNSET.isoformat()
        assert body["deprecation"]["replacement"] == REPLACEMENT
    # E-mail goes to the owners' subscriptions and to the contacts the mesh knows for them.
    addresses = {f"{team}-oncall@example.com" for team in owners} | contacts
    addresses |= {team.email for team in mesh.teams() if team.name in owners and team.email}
    assert sorted(str(message["To"]) for message in smtp.messages) == sorted(addresses)
    for message in smtp.messages:
        assert f"{DEPRECATED} is deprecated" in str(message["Subject"])
        text = message.get_content()
        assert f"Sunset: {SUNSET.isoformat()}" in text
        assert f"Replacement: {REPLACEMENT}" in text
