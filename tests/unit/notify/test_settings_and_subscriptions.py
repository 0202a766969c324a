"""Notification settings from mesh.yaml, backoff, signatures, and subscription rules."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest

from streammesh.audit import AuditAction
from streammesh.errors import ConfigError
from streammesh.notify import (
    InvalidSubscription,
    NotifySettings,
    ScopeKind,
    SubscriptionNotFound,
    load_notify_settings,
    sign,
)
from streammesh.notify.subscriptions import Subscriptions
from streammesh.runtime import MeshRuntime


def test_settings_come_from_mesh_yaml(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text(
        "notifications:\n  smtp_host: mail.local\n  smtp_port: 2525\n  max_attempts: 7\n"
        "  backoff: 5s\n",
        encoding="utf-8",
    )
    settings = load_notify_settings(tmp_path)
    assert settings.smtp is not None
    assert (settings.smtp.host, settings.smtp.port) == ("mail.local", 2525)
    assert settings.max_attempts == 7
    assert settings.backoff == timedelta(seconds=5)
    assert load_notify_settings(tmp_path / "elsewhere").smtp is None


def test_invalid_settings_name_the_field(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("notifications: {smtp_port: 0}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="smtp_port"):
        load_notify_settings(tmp_path)


def test_backoff_doubles_up_to_the_maximum() -> None:
    settings = NotifySettings(backoff=timedelta(seconds=1), backoff_max=timedelta(seconds=5))
    assert [settings.delay_after(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_signature_is_hmac_sha256_of_the_body() -> None:
    expected = hmac.new(b"k", b'{"a":1}', hashlib.sha256).hexdigest()
    assert sign(b'{"a":1}', "k") == f"sha256={expected}"
    assert sign(b'{"a":2}', "k") != sign(b'{"a":1}', "k")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scope": ScopeKind.MESH, "inbox": False}, "channels"),
        ({"scope": ScopeKind.PRODUCT, "inbox": True}, "target"),
        ({"scope": ScopeKind.MESH, "target": "x", "inbox": True}, "target"),
        ({"scope": ScopeKind.MESH, "webhook_url": "ftp://x"}, "webhook_url"),
        ({"scope": ScopeKind.MESH, "email": "nobody"}, "email"),
        ({"scope": ScopeKind.MESH, "inbox": True, "events": ["nope"]}, "events"),
    ],
)
def test_invalid_subscriptions_are_refused(
    mesh: MeshRuntime, kwargs: dict[str, object], field: str
) -> None:
    subs = Subscriptions(mesh.store)
    with pytest.raises(InvalidSubscription) as caught:
        subs.add("ops", actor="admin", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert subs.list() == []


def test_subscriptions_round_trip(mesh: MeshRuntime) -> None:
    subs = Subscriptions(mesh.store)
    added = subs.add(
        "risk-team",
        ScopeKind.PRODUCT,
        "execution.trades",
        events=[AuditAction.PRODUCT_DEPRECATED, AuditAction.PRODUCT_DEPRECATED],
        webhook_url="https://hooks.example.com/a",
        actor="admin",
    )
    assert added.events == (AuditAction.PRODUCT_DEPRECATED,)
    assert subs.get(added.id) == added
    assert subs.list(subscriber="someone") == []
    assert subs.remove(added.id, actor="admin") == added
    with pytest.raises(SubscriptionNotFound):
        subs.get(added.id)
