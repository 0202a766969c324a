"""Notifications delivered for real: webhooks to an HTTP server, e-mail to an aiosmtpd
server, the inbox in the store, read from ``_mesh.events`` by the notifier's consumer group."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from streammesh.audit import AuditAction
from streammesh.log import LogConfig
from streammesh.notify import (
    AllowedTarget,
    Channel,
    DeliveryState,
    NotificationService,
    Notifier,
    ScopeKind,
    WebhookTargets,
    deliver_pending,
    start_notifier,
)
from streammesh.runtime import MeshRuntime
from tests.support.tansu import SHORT_GROUP_SESSIONS
from tests.unit.notify.servers import (
    CONSUMER_TEAM,
    CONSUMER_TEAM_EMAIL,
    TRADES,
    SmtpSink,
    WebhookReceiver,
    open_mesh,
    run_receiver,
    run_smtp,
    settings_for,
    wait_for,
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from run_receiver(WebhookReceiver())


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    yield from run_smtp()


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    local = open_mesh(tmp_path / "mesh")
    yield local
    local.close()


def _deprecate(mesh: MeshRuntime) -> None:
    mesh.plane.deprecate(
        f"{TRADES}.v1",
        reason="v2 carries the venue",
        sunset=date(2027, 6, 30),
        replacement=f"{TRADES}.v2",
        actor="admin",
    )


def _round(notifier: Notifier) -> bool:
    notifier.run_once(timeout=0.05)
    return True


def test_webhook_body_is_the_event_signed_with_the_subscription_secret(
    mesh: MeshRuntime, receiver: WebhookReceiver, smtp: SmtpSink
) -> None:
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    sub = service.subscribe(
        "ops",
        ScopeKind.PRODUCT,
        TRADES,
        events=[AuditAction.PRODUCT_DEPRECATED],
        webhook_url=receiver.url,
        actor="admin",
    )
    deliver_pending(mesh, settings_for(smtp))  # the mesh's history: nothing deprecated yet
    assert receiver.received == []

    _deprecate(mesh)
    report = deliver_pending(mesh, settings_for(smtp))

    assert report.delivered >= 1
    (hook,) = receiver.received
    assert sub.webhook_secret is not None
    expected = hmac.new(sub.webhook_secret.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Streammesh-Signature"] == f"sha256={expected}"
    body = hook.json()
    assert body["type"] == "product.deprecated"
    assert body["subject"] == f"{TRADES}.v1"
    assert body["deprecation"]["sunset"] == "2027-06-30"
    assert body["deprecation"]["replacement"] == f"{TRADES}.v2"
    assert body["notification"]["reason"] == "subscription"


def test_failed_webhook_is_retried_with_backoff_then_delivered(
    mesh: MeshRuntime, receiver: WebhookReceiver
) -> None:
    receiver.statuses[:] = [500, 500]
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=receiver.url,
        actor="admin",
        events=[AuditAction.PRODUCT_DEPRECATED],
    )
    settings = settings_for(None, max_attempts=5)
    _deprecate(mesh)
    with Notifier(mesh.store, mesh.log, mesh.plane, settings) as notifier:
        mesh.plane.relay_events()
        wait_for(lambda: _round(notifier) and len(receiver.received) >= 3)

    assert [hook.json()["id"] for hook in receiver.received] == [
        receiver.received[0].json()["id"]
    ] * 3
    gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
    assert gaps[0] >= 0.05  # first retry after the 50 ms backoff
    assert gaps[1] >= 0.1  # then doubled
    (delivery,) = [d for d in service.deliveries.list() if d.channel is Channel.WEBHOOK]
    assert delivery.state is DeliveryState.DELIVERED
    assert delivery.attempts == 3


def test_webhook_failing_every_attempt_is_dead_lettered_and_can_be_redriven(
    mesh: MeshRuntime, receiver: WebhookReceiver
) -> None:
    receiver.statuses[:] = [500, 502, 503]
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=receiver.url,
        actor="admin",
        events=[AuditAction.PRODUCT_DEPRECATED],
    )
    settings = settings_for(None, max_attempts=3)
    _deprecate(mesh)
    with Notifier(mesh.store, mesh.log, mesh.plane, settings) as notifier:
        mesh.plane.relay_events()
        wait_for(lambda: _round(notifier) and len(service.dead_letters()) == 2)
        (dead,) = [d for d in service.dead_letters() if d.channel is Channel.WEBHOOK]
        assert dead.attempts == 3
        assert dead.last_error == "HTTP 503"
        assert len(receiver.received) == 3

        service.redrive(dead.id)
        assert notifier.deliver_due().delivered == 1

    assert [d.channel for d in service.dead_letters()] == [Channel.EMAIL]  # no SMTP server
    assert len(receiver.received) == 4


def test_no_duplicate_delivery_when_the_worker_dies_before_committing(
    mesh: MeshRuntime, receiver: WebhookReceiver
) -> None:
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=receiver.url,
        actor="admin",
        events=[AuditAction.PRODUCT_DEPRECATED],
    )
    settings = settings_for(None)
    _deprecate(mesh)
    mesh.plane.relay_events()

    crashed = Notifier(mesh.store, mesh.log, mesh.plane, settings)
    offsets = {}
    while not receiver.received:
        offsets, _report = crashed.read_and_deliver(timeout=0.5)
    crashed.close()  # dies here: delivered, offsets never committed
    assert offsets

    with Notifier(mesh.store, mesh.log, mesh.plane, settings) as restarted:
        report = restarted.run_once(timeout=2.0)
        while not restarted.caught_up():
            report += restarted.run_once(timeout=0.5)

    assert report.events >= 1  # the log did hand the event out again
    assert report.planned == 0
    assert len(receiver.received) == 1


def test_email_and_inbox_reach_the_subscriber(mesh: MeshRuntime, smtp: SmtpSink) -> None:
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        "ada",
        ScopeKind.DOMAIN,
        "execution",
        events=[AuditAction.PRODUCT_DEPRECATED],
        email="ada@example.com",
        inbox=True,
        actor="ada",
    )
    _deprecate(mesh)
    deliver_pending(mesh, settings_for(smtp))

    (message,) = smtp.to("ada@example.com")
    assert "execution.trades.v1 is deprecated" in str(message["Subject"])
    text = message.get_content()
    assert "Sunset: 2027-06-30" in text
    assert "Replacement: execution.trades.v2" in text
    (item,) = service.inbox("ada")
    assert item.event_type == "product.deprecated"
    assert item.read_at is None
    assert service.mark_read("ada", item.id).read_at is not None
    assert service.inbox("ada", unread_only=True) == []


def test_deprecation_notifies_downstream_team_by_webhook_and_email(
    mesh: MeshRuntime, receiver: WebhookReceiver, smtp: SmtpSink
) -> None:
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    # The consumer's team listens to its own domain only: the deprecation of an upstream
    # product reaches it because impact analysis finds its application downstream.
    service.subscribe(
        CONSUMER_TEAM,
        ScopeKind.DOMAIN,
        "risk",
        webhook_url=receiver.url,
        email="risk-oncall@example.com",
        actor="admin",
    )
    _deprecate(mesh)
    deliver_pending(mesh, settings_for(smtp))

    (hook,) = receiver.received
    body = hook.json()
    assert body["notification"]["reason"] == "downstream-of-deprecated-product"
    assert body["deprecation"]["sunset"] == "2027-06-30"
    assert body["deprecation"]["replacement"] == f"{TRADES}.v2"
    for address in ("risk-oncall@example.com", CONSUMER_TEAM_EMAIL):
        (message,) = smtp.to(address)
        assert "Sunset: 2027-06-30" in message.get_content()
        assert "Replacement: execution.trades.v2" in message.get_content()
    assert [item.event_type for item in service.inbox(CONSUMER_TEAM)] == ["product.deprecated"]


def test_incident_notifies_the_products_consumers(
    mesh: MeshRuntime, receiver: WebhookReceiver, smtp: SmtpSink
) -> None:
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        CONSUMER_TEAM, ScopeKind.DOMAIN, "risk", webhook_url=receiver.url, actor="admin"
    )
    service.declare_incident(TRADES + ".v1", message="Prices are 10x since 09:00", actor="ada")
    deliver_pending(mesh, settings_for(smtp))

    (hook,) = receiver.received
    body = hook.json()
    assert body["type"] == "incident.declared"
    assert body["note"] == "Prices are 10x since 09:00"
    assert body["notification"]["reason"] == "consumer-of-product-with-incident"
    (message,) = smtp.to(CONSUMER_TEAM_EMAIL)
    assert "Incident on execution.trades.v1" in str(message["Subject"])
    assert "Prices are 10x since 09:00" in message.get_content()


def test_background_notifier_delivers_new_events(
    mesh: MeshRuntime, receiver: WebhookReceiver
) -> None:
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=receiver.url,
        actor="admin",
        events=[AuditAction.INCIDENT_DECLARED],
    )
    worker = start_notifier(mesh, settings_for(None), interval_s=0.2)
    try:
        service.declare_incident(TRADES, message="lagging", actor="ada")
        wait_for(lambda: len(receiver.received) == 1)
    finally:
        worker.stop()
    assert receiver.received[0].json()["subject"] == f"{TRADES}.v2"


@pytest.mark.slow
@pytest.mark.kafka
def test_delivery_from_a_kafka_log(
    tmp_path: Path, kafka_bootstrap: str, receiver: WebhookReceiver
) -> None:
    # The broker is shared by the session and its _mesh.events with it: a group and a
    # subscription of this test's own keep other meshes' events out.
    group = f"notify-{tmp_path.name}"
    # The tests' short group sessions: each run's join takes ~1 s on tansu instead of ~3 s.
    short_sessions = LogConfig(kafka_overrides=SHORT_GROUP_SESSIONS)
    url = f"kafka://{kafka_bootstrap}"
    with open_mesh(tmp_path / "mesh", log_url=url, log_config=short_sessions) as mesh:
        service = NotificationService(mesh.store, mesh.plane, settings_for(None))
        service.subscribe(
            "ops",
            ScopeKind.MESH,
            webhook_url=receiver.url,
            events=[AuditAction.INCIDENT_DECLARED],
            actor="admin",
        )
        record = service.declare_incident(TRADES, message=f"kafka {group}", actor="ada")
        settings = dataclasses.replace(settings_for(None), group=group)
        deliver_pending(mesh, settings, timeout=30)
        deliver_pending(mesh, settings, timeout=10)  # a second worker run finds it done

    mine = [body for body in receiver.bodies() if body["note"] == f"kafka {group}"]
    assert [body["id"] for body in mine] == [record.id]


def test_delivery_checks_the_target_again_and_refuses_loopback_once_not_allowed(
    mesh: MeshRuntime, receiver: WebhookReceiver
) -> None:
    # Subscribed while the admin allowed loopback; the allow entry is gone at delivery time
    # (or the name now resolves elsewhere): the POST is not sent.
    allowed = NotificationService(mesh.store, mesh.plane, settings_for(None))
    allowed.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=receiver.url,
        actor="admin",
        events=[AuditAction.PRODUCT_DEPRECATED],
    )
    strict = dataclasses.replace(
        settings_for(None, max_attempts=1), webhook_targets=WebhookTargets()
    )
    _deprecate(mesh)
    report = deliver_pending(mesh, strict)

    assert report.delivered == 0
    assert receiver.received == []
    (dead,) = [d for d in allowed.dead_letters() if d.channel is Channel.WEBHOOK]
    assert dead.last_error is not None
    assert "refused" in dead.last_error and "loopback" in dead.last_error


def test_a_redirect_is_not_followed(mesh: MeshRuntime, receiver: WebhookReceiver) -> None:
    receiver.statuses[:] = [307]
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=receiver.url,
        actor="admin",
        events=[AuditAction.PRODUCT_DEPRECATED],
    )
    _deprecate(mesh)
    deliver_pending(mesh, settings_for(None, max_attempts=1))

    assert len(receiver.received) == 1
    (dead,) = [d for d in service.dead_letters() if d.channel is Channel.WEBHOOK]
    assert dead.last_error == "HTTP 307: redirects are not followed"


def test_an_allowed_name_is_delivered_to_the_address_that_was_checked(
    mesh: MeshRuntime, receiver: WebhookReceiver
) -> None:
    settings = dataclasses.replace(
        settings_for(None),
        webhook_targets=WebhookTargets((AllowedTarget.parse(f"localhost:{receiver.port}"),)),
    )
    service = NotificationService(mesh.store, mesh.plane, settings)
    url = f"http://localhost:{receiver.port}/hooks/by-name"
    service.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=url,
        actor="admin",
        events=[AuditAction.PRODUCT_DEPRECATED],
    )
    _deprecate(mesh)
    assert deliver_pending(mesh, settings).delivered == 1

    (hook,) = receiver.received
    assert hook.path == "/hooks/by-name"
    assert hook.headers["Host"] == f"localhost:{receiver.port}"  # the URL's, not the address
