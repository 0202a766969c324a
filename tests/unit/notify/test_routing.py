"""Which subscriptions an event reaches, and what directed notices add."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from streammesh.audit import AuditAction, AuditRecord
from streammesh.notify.audience import Audience, Reason
from streammesh.notify.messages import notice_of
from streammesh.notify.model import Channel, ScopeKind, Subscription
from streammesh.notify.routing import matches, routes

AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def event(
    action: AuditAction,
    subject: str = "execution.trades.v1",
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    return AuditRecord(7, AT, action, subject, "ada", before, after, None)


def subscription(
    scope: ScopeKind,
    target: str | None = None,
    *,
    events: tuple[AuditAction, ...] = (),
    subscriber: str = "ops",
    webhook: str | None = "http://hooks.example.com/x",
    email: str | None = None,
    inbox: bool = False,
    sub_id: str = "s1",
) -> Subscription:
    return Subscription(
        sub_id,
        subscriber,
        scope,
        target,
        events,
        webhook,
        "secret" if webhook else None,
        email,
        inbox,
        AT,
        "admin",
    )


@pytest.mark.parametrize(
    ("scope", "target", "subject", "expected"),
    [
        (ScopeKind.PRODUCT, "execution.trades", "execution.trades.v1", True),
        (ScopeKind.PRODUCT, "execution.trades", "execution.trades.v12", True),
        (ScopeKind.PRODUCT, "execution.trades.v2", "execution.trades.v1", False),
        (ScopeKind.PRODUCT, "execution.trades.v1", "execution.trades.v1", True),
        (ScopeKind.PRODUCT, "execution.trade", "execution.trades.v1", False),
        (ScopeKind.DOMAIN, "execution", "execution.trades.v1", True),
        (ScopeKind.DOMAIN, "customers", "execution.trades.v1", False),
        (ScopeKind.DOMAIN, "execution", "domain:execution", True),
        (ScopeKind.MESH, None, "team:risk", True),
    ],
)
def test_scope(scope: ScopeKind, target: str | None, subject: str, expected: bool) -> None:
    notice = notice_of(event(AuditAction.PRODUCT_PUBLISHED, subject))
    assert matches(subscription(scope, target), notice) is expected


def test_default_event_types_leave_out_bookkeeping() -> None:
    sub = subscription(ScopeKind.MESH)
    assert matches(sub, notice_of(event(AuditAction.PRODUCT_DEPRECATED)))
    assert not matches(sub, notice_of(event(AuditAction.TOKEN_CREATED, "token:abc")))
    assert not matches(sub, notice_of(event(AuditAction.TOPIC_CREATED)))


def test_an_update_that_changes_the_owner_counts_as_owner_changed() -> None:
    wants = subscription(ScopeKind.MESH, events=(AuditAction.PRODUCT_OWNER_CHANGED,))
    moved = event(AuditAction.PRODUCT_UPDATED, before={"team": "a"}, after={"team": "b"})
    retagged = event(AuditAction.PRODUCT_UPDATED, before={"team": "a"}, after={"team": "a"})
    assert matches(wants, notice_of(moved))
    assert not matches(wants, notice_of(retagged))


def test_directed_audience_gets_every_channel_of_its_teams_and_contacts_once() -> None:
    deprecated = notice_of(
        event(
            AuditAction.PRODUCT_DEPRECATED,
            after={"deprecation": {"reason": "r", "sunset": "2027-06-30", "replacement": None}},
        )
    )
    team_sub = subscription(
        ScopeKind.DOMAIN, "risk", subscriber="risk-team", email="risk@example.com", sub_id="t1"
    )
    audience = Audience(
        Reason.DOWNSTREAM_OF_DEPRECATED,
        frozenset({"risk-team"}),
        frozenset({"risk@example.com", "owner@example.com"}),
    )
    found = routes(deprecated, [team_sub], audience, [team_sub])
    by_target = {(d.target, d.channel): d for d in found.deliveries}
    # The team's own e-mail subscription covers risk@; owner@ gets a contact e-mail.
    assert set(by_target) == {
        ("t1", Channel.WEBHOOK),
        ("t1", Channel.EMAIL),
        ("contact:owner@example.com", Channel.EMAIL),
    }
    assert found.inbox == ("risk-team",)
    payload = by_target[("t1", Channel.WEBHOOK)].payload
    assert payload["notification"]["reason"] == "downstream-of-deprecated-product"
    assert payload["deprecation"]["sunset"] == "2027-06-30"
    assert "Replacement: none announced" in deprecated.body
