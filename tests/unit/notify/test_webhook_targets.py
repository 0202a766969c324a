"""Webhooks may not reach loopback, link-local or private addresses unless ``mesh.yaml``
allows the target (server-side request forgery), and subscription changes are audited on
``_mesh.events``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, read_mesh_events
from streammesh.errors import ConfigError
from streammesh.notify import (
    AllowedTarget,
    NotificationService,
    NotifySettings,
    ScopeKind,
    WebhookTargetRefused,
    WebhookTargets,
    load_notify_settings,
)
from streammesh.runtime import MeshRuntime
from tests.unit.notify.servers import open_mesh

STRICT = WebhookTargets()


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    local = open_mesh(tmp_path / "mesh")
    yield local
    local.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://127.9.9.9/hook", "loopback"),
        ("http://localhost:8080/hook", "'localhost' resolves to 127.0.0.1, a loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.7/hook", "private-network"),
        ("https://192.168.1.20/hook", "private-network"),
        ("http://172.16.0.1/hook", "private-network"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://0.0.0.0:8080/hook", "unspecified"),
        ("http://100.64.0.1/hook", "not a public address"),
    ],
)
def test_non_public_targets_are_refused(url: str, reason: str) -> None:
    with pytest.raises(WebhookTargetRefused, match=reason) as raised:
        STRICT.check(url)
    assert raised.value.field == "webhook_url"
    assert "notifications.webhooks.allow" in str(raised.value)
    with pytest.raises(WebhookTargetRefused, match=reason):
        STRICT.pin(url)


def test_only_http_and_https_go_out() -> None:
    for url in ("file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://example.com/x"):
        with pytest.raises(WebhookTargetRefused, match="only http and https"):
            STRICT.check(url)


def test_public_addresses_pass_and_are_pinned() -> None:
    STRICT.check("https://93.184.216.34/hook")
    pinned = STRICT.pin("https://93.184.216.34:8443/hook")
    assert (pinned.host, pinned.address) == ("93.184.216.34", "93.184.216.34")


def test_a_name_that_does_not_resolve_is_accepted_at_creation_and_refused_at_delivery() -> None:
    STRICT.check("https://hooks.invalid/mesh")  # DNS may be down now; delivery checks again
    with pytest.raises(WebhookTargetRefused, match="does not resolve"):
        STRICT.pin("https://hooks.invalid/mesh")


def test_the_allow_list_admits_a_host_or_a_host_and_port() -> None:
    targets = WebhookTargets(
        (AllowedTarget.parse("127.0.0.1:8099"), AllowedTarget.parse("Localhost"))
    )
    targets.check("http://127.0.0.1:8099/hook")
    assert targets.pin("http://localhost:1234/hook").address == "127.0.0.1"
    with pytest.raises(WebhookTargetRefused, match="loopback"):
        targets.check("http://127.0.0.1:8100/hook")  # another port of the same host
    with pytest.raises(WebhookTargetRefused, match="link-local"):
        targets.check("http://169.254.169.254/")


def test_an_allowed_address_also_admits_a_name_resolving_to_it() -> None:
    targets = WebhookTargets((AllowedTarget.parse("127.0.0.1"),))
    assert targets.pin("http://localhost:9/hook").address == "127.0.0.1"


def test_allow_list_comes_from_mesh_yaml(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text(
        'notifications:\n  webhooks:\n    allow: ["127.0.0.1:8099", "hooks.internal.example",'
        ' "[::1]:9000"]\n',
        encoding="utf-8",
    )
    allowed = load_notify_settings(tmp_path).webhook_targets.allow
    assert [str(entry) for entry in allowed] == [
        "127.0.0.1:8099",
        "hooks.internal.example",
        "[::1]:9000",
    ]
    assert load_notify_settings(tmp_path / "elsewhere").webhook_targets.allow == ()


@pytest.mark.parametrize("entry", ["http://127.0.0.1/", "127.0.0.1:0", "host:port", ""])
def test_a_bad_allow_entry_is_a_config_error(tmp_path: Path, entry: str) -> None:
    (tmp_path / "mesh.yaml").write_text(
        f"notifications:\n  webhooks:\n    allow: [{entry!r}]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"notifications.*webhooks\.allow"):
        load_notify_settings(tmp_path)


def test_subscribing_a_metadata_service_webhook_writes_nothing(mesh: MeshRuntime) -> None:
    service = NotificationService(mesh.store, mesh.plane, NotifySettings())
    with pytest.raises(WebhookTargetRefused, match=r"169\.254\.169\.254"):
        service.subscribe(
            "ops",
            ScopeKind.MESH,
            webhook_url="http://169.254.169.254/latest/meta-data/iam",
            actor="ops",
        )
    assert service.subscriptions.list() == []
    assert AuditAction.SUBSCRIPTION_CREATED not in {
        event.action for event in read_mesh_events(mesh.log)
    }


def test_subscription_changes_are_audited_on_mesh_events(mesh: MeshRuntime) -> None:
    service = NotificationService(mesh.store, mesh.plane, NotifySettings())
    created = service.subscribe(
        "ops",
        ScopeKind.PRODUCT,
        "execution.trades",
        webhook_url="https://93.184.216.34/mesh",
        actor="alice",
    )
    removed = service.unsubscribe(created.id, actor="bob")
    assert removed.id == created.id

    events = [
        event
        for event in read_mesh_events(mesh.log)
        if event.subject == f"subscription:{created.id}"
    ]
    assert [(event.action, event.actor) for event in events] == [
        (AuditAction.SUBSCRIPTION_CREATED, "alice"),
        (AuditAction.SUBSCRIPTION_DELETED, "bob"),
    ]
    assert events[0].after is not None and events[0].after["webhook_url"] == created.webhook_url
    assert events[1].before is not None and events[1].before["subscriber"] == "ops"
    # The signing secret is shown once to the subscriber and never recorded.
    assert created.webhook_secret is not None
    assert all(created.webhook_secret not in repr(event) for event in events)
