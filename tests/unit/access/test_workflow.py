"""Requests, decisions, revocation and expiry, with their audit trail and mesh events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streammesh.access import (
    AUTO_APPROVER,
    AccessDenied,
    AccessPolicy,
    AccessRefused,
    AccessRequestExists,
    AccessRequestNotFound,
    AccessService,
    AccessState,
    AccessStateError,
    Caller,
    InvalidAccessRequest,
    NotAllowedToDecide,
)
from streammesh.audit import AuditAction, read_mesh_events
from streammesh.control import ProductNotFound
from streammesh.identity import AccountNotFound, Role, TokenStore
from tests.unit.access.meshes import ADMIN, PROFILES, TRADES, AccessMesh

TRADES_V1 = f"{TRADES}.v1"
PROFILES_V1 = f"{PROFILES}.v1"
ADA_OWNER = Caller("ada", Role.DOMAIN_OWNER)


def test_access_is_off_until_granted(world: AccessMesh) -> None:
    assert world.control.read_grant("fraud-detector", TRADES_V1) is None
    with pytest.raises(AccessDenied) as denied:
        world.control.check_read("fraud-detector", TRADES_V1)
    message = str(denied.value)
    assert "'fraud-detector'" in message and f"'{TRADES_V1}'" in message
    assert f"streammesh access request {TRADES_V1} --as fraud-detector" in message


def test_unclassified_product_is_approved_by_policy(world: AccessMesh) -> None:
    request = world.access.request(
        TRADES, "fraud-detector", purpose="score trades", classified=False, caller=ADMIN
    )
    assert request.state is AccessState.APPROVED
    assert request.decided_by == AUTO_APPROVER
    assert request.reference == TRADES_V1
    grant = world.control.check_read("fraud-detector", TRADES_V1)
    assert (grant.id, grant.product, grant.classified) == (request.id, TRADES_V1, False)
    assert world.control.read_grant("crm-sync", TRADES_V1) is None


def test_auto_approval_can_be_turned_off(world: AccessMesh) -> None:
    strict = AccessService(
        world.mesh.store,
        world.mesh.plane,
        policy=AccessPolicy(auto_approve_unclassified=False),
        clock=world.clock,
    )
    request = strict.request(TRADES, "fraud-detector", purpose="p", classified=False, caller=ADMIN)
    assert request.state is AccessState.REQUESTED


def test_pluggable_approval_rule_decides(world: AccessMesh) -> None:
    lenient = AccessService(
        world.mesh.store,
        world.mesh.plane,
        policy=AccessPolicy(requires_approval=lambda descriptor: False),
        clock=world.clock,
    )
    request = lenient.request(PROFILES, "crm-sync", purpose="p", classified=True, caller=ADMIN)
    assert request.state is AccessState.APPROVED


def test_classified_product_waits_for_its_owner(world: AccessMesh) -> None:
    request = world.access.request(
        PROFILES, "crm-sync", purpose="sync contacts", classified=True, caller=ADMIN
    )
    assert request.state is AccessState.REQUESTED
    assert world.control.read_grant("crm-sync", PROFILES_V1) is None

    approved = world.access.approve(request.id, caller=ADA_OWNER, note="ok for CRM")
    assert approved.state is AccessState.APPROVED
    assert (approved.decided_by, approved.note) == ("ada", "ok for CRM")
    grant = world.control.check_read("crm-sync", PROFILES_V1)
    assert grant.classified is True


def test_rejected_request_grants_nothing(world: AccessMesh) -> None:
    request = world.access.request(PROFILES, "crm-sync", purpose="p", classified=True, caller=ADMIN)
    rejected = world.access.reject(request.id, caller=ADA_OWNER, note="no purpose")
    assert rejected.state is AccessState.REJECTED
    with pytest.raises(AccessDenied):
        world.control.check_read("crm-sync", PROFILES_V1)
    with pytest.raises(AccessStateError, match="it is rejected"):
        world.access.approve(request.id, caller=ADMIN)


def test_revoked_grant_stops_reads(world: AccessMesh) -> None:
    grant = world.access.request(
        TRADES, "fraud-detector", purpose="p", classified=False, caller=ADMIN
    )
    world.control.check_read("fraud-detector", TRADES_V1)
    revoked = world.access.revoke(grant.id, caller=ADMIN, note="left the company")
    assert revoked.state is AccessState.REVOKED and revoked.ended_by == "admin"
    with pytest.raises(AccessDenied):
        world.control.check_read("fraud-detector", TRADES_V1)
    with pytest.raises(AccessStateError, match="it is revoked"):
        world.access.revoke(grant.id, caller=ADMIN)


def test_grant_expires_with_the_clock(world: AccessMesh) -> None:
    request = world.access.request(
        PROFILES, "crm-sync", purpose="p", classified=False, caller=ADMIN
    )
    expires = world.clock.now + timedelta(days=7)
    world.access.approve(request.id, caller=ADMIN, expires_at=expires)
    world.clock.advance(timedelta(days=6))
    assert world.control.check_read("crm-sync", PROFILES_V1).expires_at == expires
    world.clock.advance(timedelta(days=1))
    with pytest.raises(AccessDenied):
        world.control.check_read("crm-sync", PROFILES_V1)
    expired = world.access.expire_due()
    assert [(r.id, r.state) for r in expired] == [(request.id, AccessState.EXPIRED)]
    assert world.access.get(request.id).state is AccessState.EXPIRED
    assert world.access.expire_due() == []


def test_expiry_must_be_in_the_future(world: AccessMesh) -> None:
    request = world.access.request(
        PROFILES, "crm-sync", purpose="p", classified=False, caller=ADMIN
    )
    with pytest.raises(InvalidAccessRequest, match="future"):
        world.access.approve(request.id, caller=ADMIN, expires_at=world.clock.now)


def test_deprecated_product_refuses_requests(world: AccessMesh) -> None:
    world.deprecate(TRADES)
    with pytest.raises(AccessRefused, match="deprecated"):
        world.access.request(TRADES, "fraud-detector", purpose="p", classified=False, caller=ADMIN)


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (Caller("admin", Role.PLATFORM_ADMIN), True),
        (Caller("council", Role.GOVERNANCE), True),
        (Caller("ada", Role.DOMAIN_OWNER), True),  # a domain owner of the owning team
        (Caller("ada", Role.MEMBER), False),  # the right team, not an owner
        (Caller("bob", Role.DOMAIN_OWNER), False),  # an owner of another team
        (Caller("crm-sync", Role.DOMAIN_OWNER), False),  # a service account: never itself
        (Caller("stranger", Role.DOMAIN_OWNER), False),  # no account at all
    ],
)
def test_who_may_approve(world: AccessMesh, caller: Caller, allowed: bool) -> None:
    request = world.access.request(PROFILES, "crm-sync", purpose="p", classified=True, caller=ADMIN)
    if allowed:
        assert world.access.approve(request.id, caller=caller).state is AccessState.APPROVED
        return
    with pytest.raises(NotAllowedToDecide) as refused:
        world.access.approve(request.id, caller=caller)
    assert "customers-team" in str(refused.value)
    assert world.access.get(request.id).state is AccessState.REQUESTED


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (Caller("crm-sync", Role.CONSUMER), True),  # the application itself
        (Caller("bob", Role.MEMBER), True),  # a user of the application's team
        (Caller("ada", Role.DOMAIN_OWNER), False),  # a user of another team
        (Caller("fraud-detector", Role.CONSUMER), False),  # another application
    ],
)
def test_who_may_request(world: AccessMesh, caller: Caller, allowed: bool) -> None:
    if allowed:
        world.access.request(TRADES, "crm-sync", purpose="p", classified=False, caller=caller)
        return
    with pytest.raises(NotAllowedToDecide):
        world.access.request(TRADES, "crm-sync", purpose="p", classified=False, caller=caller)


def test_bad_requests_are_refused_and_nothing_is_stored(world: AccessMesh) -> None:
    with pytest.raises(InvalidAccessRequest, match="purpose"):
        world.access.request(TRADES, "crm-sync", purpose=" ", classified=False, caller=ADMIN)
    with pytest.raises(InvalidAccessRequest, match="service accounts"):
        world.access.request(TRADES, "ada", purpose="p", classified=False, caller=ADMIN)
    with pytest.raises(AccountNotFound):
        world.access.request(TRADES, "ghost", purpose="p", classified=False, caller=ADMIN)
    with pytest.raises(ProductNotFound):
        world.access.request(
            "execution.nope", "crm-sync", purpose="p", classified=False, caller=ADMIN
        )
    with pytest.raises(AccessRequestNotFound):
        world.access.approve("feedfacefeedface", caller=ADMIN)
    assert world.access.list() == []


def test_duplicate_requests_are_refused_but_an_upgrade_is_not(world: AccessMesh) -> None:
    first = world.access.request(PROFILES, "crm-sync", purpose="p", classified=False, caller=ADMIN)
    with pytest.raises(AccessRequestExists, match=first.id):
        world.access.request(PROFILES, "crm-sync", purpose="p", classified=False, caller=ADMIN)
    upgrade = world.access.request(PROFILES, "crm-sync", purpose="p", classified=True, caller=ADMIN)
    assert upgrade.id != first.id


def test_list_filters(world: AccessMesh) -> None:
    trades = world.access.request(TRADES, "crm-sync", purpose="p", classified=False, caller=ADMIN)
    world.clock.advance(timedelta(seconds=1))
    profiles = world.access.request(
        PROFILES, "crm-sync", purpose="p", classified=True, caller=ADMIN
    )
    assert [r.id for r in world.access.list()] == [trades.id, profiles.id]
    assert [r.id for r in world.access.list(product=PROFILES)] == [profiles.id]
    assert [r.id for r in world.access.list(product=TRADES_V1)] == [trades.id]
    assert [r.id for r in world.access.list(state=AccessState.REQUESTED)] == [profiles.id]


def test_every_step_is_audited_and_relayed(world: AccessMesh) -> None:
    request = world.access.request(
        PROFILES, "crm-sync", purpose="sync", classified=True, caller=ADMIN
    )
    world.access.approve(
        request.id, caller=ADA_OWNER, expires_at=world.clock.now + timedelta(hours=1)
    )
    world.clock.advance(timedelta(hours=2))
    world.access.expire_due()
    rejected = world.access.request(
        TRADES, "fraud-detector", purpose="p", classified=False, caller=ADMIN
    )
    world.access.revoke(rejected.id, caller=ADMIN)
    other = world.access.request(
        PROFILES, "fraud-detector", purpose="p", classified=True, caller=ADMIN
    )
    world.access.reject(other.id, caller=ADMIN)

    expected = [
        (AuditAction.ACCESS_REQUESTED, "admin"),
        (AuditAction.ACCESS_APPROVED, "ada"),
        (AuditAction.ACCESS_EXPIRED, "policy:expiry"),
        (AuditAction.ACCESS_REQUESTED, "admin"),
        (AuditAction.ACCESS_APPROVED, AUTO_APPROVER),
        (AuditAction.ACCESS_REVOKED, "admin"),
        (AuditAction.ACCESS_REQUESTED, "admin"),
        (AuditAction.ACCESS_REJECTED, "admin"),
    ]
    access_actions = {a for a, _ in expected}
    entries = [e for e in world.mesh.plane.audit.entries(limit=1000) if e.action in access_actions]
    assert [(e.action, e.actor) for e in entries] == expected
    assert entries[0].after is not None and entries[0].after["purpose"] == "sync"
    assert entries[1].before is not None and entries[1].before["state"] == "requested"

    events = [event for event in read_mesh_events(world.mesh.log) if event.action in access_actions]
    assert [(e.action, e.subject) for e in events] == [
        (a, e.subject) for (a, _), e in zip(expected, entries, strict=True)
    ]


def test_check_write_only_lets_the_owning_teams_service_accounts_through(world: AccessMesh) -> None:
    world.control.check_write("ingest", TRADES_V1, "execution-team")
    for principal in ("fraud-detector", "ada", "nobody"):
        with pytest.raises(AccessDenied, match="may not write") as denied:
            world.control.check_write(principal, TRADES_V1, "execution-team")
        assert denied.value.principal == principal and denied.value.product == TRADES_V1


def test_check_write_lets_a_platform_admin_through(world: AccessMesh) -> None:
    tokens = TokenStore(world.mesh.store)
    tokens.create("root", Role.PLATFORM_ADMIN)
    world.control.check_write("root", TRADES_V1, "execution-team")
    member = tokens.create("maria", Role.MEMBER)
    with pytest.raises(AccessDenied):
        world.control.check_write("maria", TRADES_V1, "execution-team")
    tokens.revoke(member.token_id)
