"""``sync_acls``: make a Kafka cluster's ACL bindings match the mesh's grants.

The access service creates and deletes bindings as grants are approved, revoked and expire,
but a broker that was down, a binding someone deleted by hand, a grant approved before
``kafka.acls`` was turned on, or a new service account of a producing team leaves the cluster
behind. ``streammesh access sync`` lists what the cluster holds, computes what the active
grants and the owning teams' service accounts need (:func:`desired_bindings`), and creates
the missing bindings and deletes the managed ones no grant needs (see
:func:`~streammesh.access.acl_bindings.reconcile` for which bindings are managed).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from streammesh.access.acl_bindings import (
    AclBinding,
    HeldBinding,
    Writer,
    desired_bindings,
    reconcile,
)
from streammesh.access.model import AccessState
from streammesh.access.service import AccessService
from streammesh.control import ControlPlane
from streammesh.identity import AccountKind
from streammesh.products import Status


class AclInventory(Protocol):
    """A cluster's ACL bindings: list, create, delete (``streammesh.log.kafka.acls.KafkaAcls``
    is the one on Kafka)."""

    def list(self) -> Sequence[HeldBinding]: ...

    def create(self, bindings: builtins.list[AclBinding]) -> None: ...

    def delete(self, bindings: builtins.list[AclBinding]) -> None: ...


@dataclass(frozen=True, slots=True)
class AclSyncReport:
    """What ``access sync`` found and did.

    Attributes:
        create: Bindings the grants need that the cluster lacked.
        delete: Managed bindings on the cluster that no grant needs.
        kept: Managed bindings already right.
        unmanaged: Other bindings on the cluster, left alone.
        applied: Whether ``create`` and ``delete`` were carried out (not a dry run).
    """

    create: tuple[AclBinding, ...]
    delete: tuple[AclBinding, ...]
    kept: int
    unmanaged: int
    applied: bool

    @property
    def in_sync(self) -> bool:
        """Whether the cluster already matched the grants."""
        return not self.create and not self.delete

    def document(self) -> dict[str, Any]:
        """The JSON shape of ``--json`` output."""
        return {
            "create": [_binding_document(binding) for binding in self.create],
            "delete": [_binding_document(binding) for binding in self.delete],
            "kept": self.kept,
            "unmanaged": self.unmanaged,
            "applied": self.applied,
        }


def sync_acls(
    access: AccessService, plane: ControlPlane, cluster: AclInventory, *, dry_run: bool = False
) -> AclSyncReport:
    """Reconcile ``cluster``'s bindings with the mesh's grants; with ``dry_run`` only report.

    Grants past their expiry are recorded as expired first, so their bindings are deleted.

    Raises:
        LogError: The cluster cannot be reached, has no authorizer (``AclsUnsupported``) or
            refused a binding (``AclRefused``); bindings changed before the refusal stay.
    """
    grants = [request.grant() for request in access.list(state=AccessState.APPROVED)]
    records = plane.products()
    topics = {record.contract.topic for record in records}
    # Retired products take no more events: their topics keep only the readers' bindings.
    products = [record for record in records if record.status is not Status.RETIRED]
    producers: dict[str, list[str]] = {}
    for account in access.accounts.list(kind=AccountKind.SERVICE_ACCOUNT):
        if account.team is not None:
            producers.setdefault(account.team, []).append(account.name)
    writers = [
        Writer(name, record.contract.topic)
        for record in products
        for name in producers.get(record.descriptor.team, ())
    ]
    found = reconcile(desired_bindings(grants, writers), cluster.list(), topics)
    change = found.change
    if not dry_run:
        if change.create:
            cluster.create(list(change.create))
        if change.delete:
            cluster.delete(list(change.delete))
    return AclSyncReport(change.create, change.delete, found.kept, found.unmanaged, not dry_run)


def _binding_document(binding: AclBinding) -> dict[str, str]:
    return {
        "principal": binding.principal,
        "resource_type": binding.resource_type.value,
        "resource_name": binding.resource_name,
        "pattern_type": binding.pattern_type.value,
        "operation": binding.operation.value,
    }
