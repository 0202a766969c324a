"""Grants translated into Kafka ACL bindings, and kept in step with the access workflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streammesh.access import (
    AccessService,
    AclBinding,
    AclOperation,
    AclPatternType,
    AclResourceType,
    Grant,
    Writer,
    acl_change,
    desired_bindings,
)
from tests.unit.access.meshes import ADMIN, PROFILES, TRADES, AccessMesh

T = AclResourceType.TOPIC
G = AclResourceType.GROUP
LIT = AclPatternType.LITERAL
PRE = AclPatternType.PREFIXED
R, W, D = AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE
AT = datetime(2027, 1, 1, tzinfo=UTC)


def grant(principal: str, product: str, grant_id: str = "g1") -> Grant:
    return Grant(grant_id, principal, product, False, None, "p", AT, "admin")


@pytest.mark.parametrize(
    ("grants", "writers", "expected"),
    [
        ([], [], set()),
        (
            [grant("fraud-detector", "execution.trades.v1")],
            [],
            {
                ("User:fraud-detector", T, "execution.trades.v1", LIT, R),
                ("User:fraud-detector", T, "execution.trades.v1", LIT, D),
                ("User:fraud-detector", G, "fraud-detector", PRE, R),
            },
        ),
        (  # two products, one application: one group binding
            [grant("app", "a.x.v1", "g1"), grant("app", "a.y.v2", "g2")],
            [],
            {
                ("User:app", T, "a.x.v1", LIT, R),
                ("User:app", T, "a.x.v1", LIT, D),
                ("User:app", T, "a.y.v2", LIT, R),
                ("User:app", T, "a.y.v2", LIT, D),
                ("User:app", G, "app", PRE, R),
            },
        ),
        (  # an unclassified and a classified grant on one product: the same bindings
            [grant("app", "a.x.v1", "g1"), grant("app", "a.x.v1", "g2")],
            [],
            {
                ("User:app", T, "a.x.v1", LIT, R),
                ("User:app", T, "a.x.v1", LIT, D),
                ("User:app", G, "app", PRE, R),
            },
        ),
        (
            [],
            [Writer("ingest", "execution.trades.v1")],
            {
                ("User:ingest", T, "execution.trades.v1", LIT, W),
                ("User:ingest", T, "execution.trades.v1", LIT, D),
            },
        ),
        (  # a writer that also reads: DESCRIBE once
            [grant("ingest", "execution.trades.v1")],
            [Writer("ingest", "execution.trades.v1")],
            {
                ("User:ingest", T, "execution.trades.v1", LIT, R),
                ("User:ingest", T, "execution.trades.v1", LIT, W),
                ("User:ingest", T, "execution.trades.v1", LIT, D),
                ("User:ingest", G, "ingest", PRE, R),
            },
        ),
    ],
)
def test_bindings_of_grants_and_writers(
    grants: list[Grant], writers: list[Writer], expected: set[tuple[object, ...]]
) -> None:
    found = desired_bindings(grants, writers)
    assert {
        (b.principal, b.resource_type, b.resource_name, b.pattern_type, b.operation) for b in found
    } == expected


def test_revoking_one_of_two_grants_keeps_the_shared_group_binding() -> None:
    both = desired_bindings([grant("app", "a.x.v1", "g1"), grant("app", "a.y.v1", "g2")])
    one = desired_bindings([grant("app", "a.y.v1", "g2")])
    change = acl_change(both, one)
    assert change.create == ()
    assert {(b.resource_name, b.operation) for b in change.delete} == {
        ("a.x.v1", R),
        ("a.x.v1", D),
    }
    last = acl_change(one, desired_bindings([]))
    assert AclBinding("User:app", G, "app", PRE, R) in last.delete
    assert acl_change(one, one).empty


class RecordingAcls:
    """The ACL admin as the cluster would see it: the set of bindings it holds."""

    def __init__(self) -> None:
        self.bindings: set[AclBinding] = set()
        self.calls: list[tuple[str, int]] = []

    def create(self, bindings: list[AclBinding]) -> None:
        self.calls.append(("create", len(bindings)))
        self.bindings |= set(bindings)

    def delete(self, bindings: list[AclBinding]) -> None:
        self.calls.append(("delete", len(bindings)))
        self.bindings -= set(bindings)


def test_access_workflow_keeps_the_cluster_bindings_in_step(world: AccessMesh) -> None:
    acls = RecordingAcls()
    access = AccessService(world.mesh.store, world.mesh.plane, acls=acls, clock=world.clock)
    trades = access.request(TRADES, "crm-sync", purpose="p", classified=False, caller=ADMIN)
    assert {(b.resource_name, b.operation) for b in acls.bindings} == {
        (f"{TRADES}.v1", R),
        (f"{TRADES}.v1", D),
        ("crm-sync", R),
    }
    pending = access.request(PROFILES, "crm-sync", purpose="p", classified=True, caller=ADMIN)
    assert len(acls.bindings) == 3  # nothing until approved
    access.approve(pending.id, caller=ADMIN, expires_at=world.clock.now + timedelta(days=1))
    assert len(acls.bindings) == 5
    access.revoke(trades.id, caller=ADMIN)
    assert {b.resource_name for b in acls.bindings} == {f"{PROFILES}.v1", "crm-sync"}
    world.clock.advance(timedelta(days=2))
    access.expire_due()
    assert acls.bindings == set()
