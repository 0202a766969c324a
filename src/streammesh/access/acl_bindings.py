"""Grants as Kafka ACL bindings: what the platform creates and deletes on a Kafka cluster.

Pure translation, no cluster: :func:`desired_bindings` is the set of bindings that a set of
active grants and producing service accounts needs; callers diff two such sets, so a binding
two grants share (an application's consumer-group prefix) is deleted only with the last one.

- a reader (a service account with a grant): ``READ`` and ``DESCRIBE`` on the product's topic,
  and ``READ`` on consumer groups whose names start with the application's name (prefixed);
- a writer (a service account of the owning team): ``WRITE`` and ``DESCRIBE`` on the topic.

The principal is ``User:<name>``, Kafka's default principal type for SASL and mTLS users.

:func:`reconcile` compares what a cluster holds with what the grants need (``streammesh
access sync``). It touches only the bindings the platform manages — those on a product's
topic, and a principal's prefixed group binding named after it — and leaves every other
binding on the cluster alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from streammesh.access.model import Grant

PRINCIPAL_TYPE = "User"


class AclResourceType(StrEnum):
    TOPIC = "topic"
    GROUP = "group"


class AclPatternType(StrEnum):
    LITERAL = "literal"
    PREFIXED = "prefixed"


class AclOperation(StrEnum):
    READ = "read"
    WRITE = "write"
    DESCRIBE = "describe"


@dataclass(frozen=True, slots=True, order=True)
class AclBinding:
    """One ALLOW binding: ``principal`` may do ``operation`` on a resource (any host)."""

    principal: str
    resource_type: AclResourceType
    resource_name: str
    pattern_type: AclPatternType
    operation: AclOperation


@dataclass(frozen=True, slots=True)
class Writer:
    """A service account that produces to ``topic`` (one of the owning team's)."""

    principal: str
    topic: str


def kafka_principal(name: str) -> str:
    """``User:<name>``."""
    return f"{PRINCIPAL_TYPE}:{name}"


def read_bindings(grant: Grant) -> frozenset[AclBinding]:
    """What one read grant needs (the topic is the product reference ``<name>.v<N>``)."""
    who = kafka_principal(grant.principal)
    topic = AclResourceType.TOPIC
    literal = AclPatternType.LITERAL
    return frozenset(
        {
            AclBinding(who, topic, grant.product, literal, AclOperation.READ),
            AclBinding(who, topic, grant.product, literal, AclOperation.DESCRIBE),
            AclBinding(
                who,
                AclResourceType.GROUP,
                grant.principal,
                AclPatternType.PREFIXED,
                AclOperation.READ,
            ),
        }
    )


def write_bindings(writer: Writer) -> frozenset[AclBinding]:
    """What a producing service account needs on its team's topic."""
    who = kafka_principal(writer.principal)
    return frozenset(
        AclBinding(who, AclResourceType.TOPIC, writer.topic, AclPatternType.LITERAL, operation)
        for operation in (AclOperation.WRITE, AclOperation.DESCRIBE)
    )


def desired_bindings(
    grants: Iterable[Grant], writers: Iterable[Writer] = ()
) -> frozenset[AclBinding]:
    """Every binding the active ``grants`` and ``writers`` need, without duplicates."""
    found: set[AclBinding] = set()
    for grant in grants:
        found |= read_bindings(grant)
    for writer in writers:
        found |= write_bindings(writer)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class AclChange:
    """Bindings to create and to delete to go from one set of grants to another."""

    create: tuple[AclBinding, ...]
    delete: tuple[AclBinding, ...]

    @property
    def empty(self) -> bool:
        return not self.create and not self.delete


def acl_change(before: frozenset[AclBinding], after: frozenset[AclBinding]) -> AclChange:
    """The bindings to create (in ``after`` only) and delete (in ``before`` only), sorted."""
    return AclChange(tuple(sorted(after - before)), tuple(sorted(before - after)))


class HeldBinding(Protocol):
    """A binding as a cluster reports it (``streammesh.log.kafka.acls.BrokerAcl``): plain
    lower-case names, possibly ones the platform never uses (``all``, ``cluster``)."""

    @property
    def principal(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def resource_name(self) -> str: ...
    @property
    def pattern_type(self) -> str: ...
    @property
    def operation(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AclReconciliation:
    """What a cluster needs to match the grants.

    Attributes:
        change: Bindings to create (needed, missing) and delete (managed, not needed).
        kept: Managed bindings already right.
        unmanaged: Bindings on the cluster the platform does not manage (left alone).
    """

    change: AclChange
    kept: int
    unmanaged: int


def reconcile(
    desired: frozenset[AclBinding], held: Iterable[HeldBinding], topics: Collection[str]
) -> AclReconciliation:
    """Compare the bindings a cluster ``held`` with the ``desired`` ones.

    A held binding is managed when it is on one of the mesh's product ``topics`` (literal) or
    is a prefixed group binding named after its own principal (``User:app`` on ``app``);
    only managed bindings are ever deleted.
    """
    managed: set[AclBinding] = set()
    unmanaged = 0
    for raw in held:
        binding = _binding(raw)
        if binding is not None and _is_managed(binding, topics):
            managed.add(binding)
        else:
            unmanaged += 1
    change = acl_change(frozenset(managed), desired)
    return AclReconciliation(change, len(managed & desired), unmanaged)


def _binding(raw: HeldBinding) -> AclBinding | None:
    try:
        return AclBinding(
            raw.principal,
            AclResourceType(raw.resource_type),
            raw.resource_name,
            AclPatternType(raw.pattern_type),
            AclOperation(raw.operation),
        )
    except ValueError:  # an operation or resource type the platform never grants
        return None


def _is_managed(binding: AclBinding, topics: Collection[str]) -> bool:
    if binding.resource_type is AclResourceType.TOPIC:
        return binding.pattern_type is AclPatternType.LITERAL and binding.resource_name in topics
    return (
        binding.pattern_type is AclPatternType.PREFIXED
        and binding.principal == kafka_principal(binding.resource_name)
        and binding.operation is AclOperation.READ
    )


__all__ = [
    "AclBinding",
    "AclChange",
    "AclOperation",
    "AclPatternType",
    "AclReconciliation",
    "AclResourceType",
    "HeldBinding",
    "Writer",
    "acl_change",
    "desired_bindings",
    "kafka_principal",
    "read_bindings",
    "reconcile",
    "write_bindings",
]
