"""``streammesh access sync``: a cluster's ACL bindings reconciled with the mesh's grants, and
``kafka.acls`` wired from ``mesh.yaml`` to the access service.

The test broker (tansu) has no authorizer and crashes librdkafka on CreateAcls, so no ACL
call is ever sent to it: :class:`AuthorizingCluster` stands in for a Kafka cluster with an
authorizer — it holds bindings (the platform's and others') and lists, creates and deletes
them the way ``KafkaAcls`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from streammesh.access import AccessService, AclBinding, sync_acls
from streammesh.config import MeshConfig
from streammesh.errors import ConfigError
from streammesh.log.kafka.acls import BrokerAcl, KafkaAcls
from streammesh.runtime import MeshRuntime
from tests.unit.access.meshes import ADMIN, PROFILES, TRADES, AccessMesh, open_access_mesh
from tests.unit.cli.invoking import invoke_cli

TRADES_TOPIC = f"{TRADES}.v1"
PROFILES_TOPIC = f"{PROFILES}.v1"
OTHERS = frozenset(
    {
        # Bindings the platform does not manage: an operator's, another system's topic, and
        # an operation the platform never grants. A sync must leave them alone.
        BrokerAcl("User:ops", "broker", "kafka-cluster", "literal", "alter"),
        BrokerAcl("User:legacy", "topic", "legacy.orders", "literal", "read"),
        BrokerAcl("User:fraud-detector", "topic", "legacy.orders", "prefixed", "read"),
        BrokerAcl("User:ops", "topic", TRADES_TOPIC, "literal", "all"),
    }
)


@dataclass
class AuthorizingCluster:
    """A Kafka cluster with an authorizer, as far as ACL bindings go."""

    held: set[BrokerAcl]

    def list(self) -> list[BrokerAcl]:
        return sorted(self.held)

    def create(self, bindings: list[AclBinding]) -> None:
        self.held |= {_held(binding) for binding in bindings}

    def delete(self, bindings: list[AclBinding]) -> None:
        self.held -= {_held(binding) for binding in bindings}

    def of(self, principal: str) -> set[tuple[str, str, str]]:
        return {
            (acl.resource_type, acl.resource_name, acl.operation)
            for acl in self.held
            if acl.principal == f"User:{principal}" and acl not in OTHERS
        }


def _held(binding: AclBinding) -> BrokerAcl:
    return BrokerAcl(
        binding.principal,
        binding.resource_type.value,
        binding.resource_name,
        binding.pattern_type.value,
        binding.operation.value,
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[AccessMesh]:
    opened = open_access_mesh(tmp_path / "mesh")
    yield opened
    opened.mesh.close()


def test_sync_creates_what_grants_and_producers_need_and_leaves_others_alone(
    world: AccessMesh,
) -> None:
    # Grants approved while ACL management was off (no admin wired): the cluster has none.
    world.access.request(TRADES, "fraud-detector", purpose="p", classified=False, caller=ADMIN)
    cluster = AuthorizingCluster(set(OTHERS))

    planned = sync_acls(world.access, world.mesh.plane, cluster, dry_run=True)
    assert not planned.applied
    assert cluster.held == OTHERS  # a dry run changes nothing
    assert {(b.principal, b.resource_name, b.operation.value) for b in planned.create} == {
        ("User:fraud-detector", TRADES_TOPIC, "read"),
        ("User:fraud-detector", TRADES_TOPIC, "describe"),
        ("User:fraud-detector", "fraud-detector", "read"),
        # The owning team's service account produces to its product.
        ("User:ingest", TRADES_TOPIC, "write"),
        ("User:ingest", TRADES_TOPIC, "describe"),
    }
    assert planned.delete == ()
    assert planned.unmanaged == len(OTHERS)

    applied = sync_acls(world.access, world.mesh.plane, cluster)
    assert applied.applied and applied.create == planned.create
    assert cluster.held >= OTHERS
    assert cluster.of("fraud-detector") == {
        ("topic", TRADES_TOPIC, "read"),
        ("topic", TRADES_TOPIC, "describe"),
        ("group", "fraud-detector", "read"),
    }
    again = sync_acls(world.access, world.mesh.plane, cluster)
    assert again.in_sync and again.kept == 5


def test_sync_deletes_bindings_no_grant_needs_any_more(world: AccessMesh) -> None:
    cluster = AuthorizingCluster(set(OTHERS))
    wired = AccessService(world.mesh.store, world.mesh.plane, acls=cluster, clock=world.clock)
    lasting = wired.request(TRADES, "crm-sync", purpose="p", classified=False, caller=ADMIN)
    expiring = wired.request(PROFILES, "crm-sync", purpose="p", classified=False, caller=ADMIN)
    wired.approve(expiring.id, caller=ADMIN, expires_at=world.clock.now + timedelta(hours=1))
    assert ("topic", PROFILES_TOPIC, "read") in cluster.of("crm-sync")
    # Revoked while the admin was not wired (e.g. the cluster was down): its binding stays.
    world.access.revoke(lasting.id, caller=ADMIN)
    assert ("topic", TRADES_TOPIC, "read") in cluster.of("crm-sync")
    world.clock.advance(timedelta(hours=2))  # and the other one expired meanwhile

    report = sync_acls(wired, world.mesh.plane, cluster)

    # The sync records the expiry first, which deletes that grant's bindings through the
    # wired admin; the revoked grant's are the sync's own deletions.
    assert {(b.resource_name, b.operation.value) for b in report.delete} == {
        (TRADES_TOPIC, "read"),
        (TRADES_TOPIC, "describe"),
    }
    assert cluster.of("crm-sync") == set()
    assert cluster.held >= OTHERS  # not the platform's: untouched
    assert {r.state.value for r in wired.list(principal="crm-sync")} == {"revoked", "expired"}


def test_kafka_acls_in_mesh_yaml_wires_the_clusters_acl_admin(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    (tmp_path / "mesh.yaml").write_text(
        f"log: kafka://{kafka_bootstrap}\nkafka:\n  acls: true\n", encoding="utf-8"
    )
    config = MeshConfig.load(tmp_path)
    assert config.kafka_acls
    # Opening sends no ACL request (tansu would crash librdkafka); nothing is approved here.
    with MeshRuntime.open(config) as mesh:
        assert isinstance(mesh.acls, KafkaAcls)
    (tmp_path / "mesh.yaml").write_text(f"log: kafka://{kafka_bootstrap}\n", encoding="utf-8")
    with MeshRuntime.open(MeshConfig.load(tmp_path)) as mesh:
        assert mesh.acls is None


def test_kafka_acls_on_an_embedded_log_is_refused_before_opening(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text("kafka:\n  acls: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kafka\.acls is on but the event log is 'embedded"):
        MeshRuntime.open(MeshConfig.load(tmp_path))
    assert not (tmp_path / "meta.db").exists()
    (tmp_path / "mesh.yaml").write_text("kafka:\n  acls: maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kafka\.acls"):
        MeshConfig.load(tmp_path)


def test_access_sync_without_acl_management_says_how_to_turn_it_on(world: AccessMesh) -> None:
    home = world.mesh.config.home
    result = invoke_cli("access", "sync", "--dry-run", "--mesh", str(home))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ACL management is off")
    assert "kafka: {acls: true}" in result.stderr
