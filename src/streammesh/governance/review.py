"""Reviewing products against the mesh's policies: :class:`MeshReview` gathers what rules
need (policies, the live products, the registry's compatibility modes, custom rules) once,
then evaluates any number of products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from streammesh.control import all_products
from streammesh.errors import MeshError
from streammesh.governance.custom import CustomRule, custom_rules
from streammesh.governance.evaluation import evaluate
from streammesh.governance.policies import PolicySet, load_policies
from streammesh.products import Descriptor, PolicyFinding, Status
from streammesh.registry import CompatibilityLevel, SchemaRegistry, subject_for
from streammesh.schemas import SchemaField

_LIVE = frozenset({Status.DRAFT, Status.PUBLISHED, Status.DEPRECATED})


@dataclass(frozen=True, slots=True)
class MeshReview:
    """The mesh as policy rules see it, read once (e.g. once per plan)."""

    policies: PolicySet
    mesh: tuple[Descriptor, ...] | None
    registry: SchemaRegistry | None
    custom: tuple[CustomRule, ...]

    @classmethod
    def load(cls, connection: Connection, registry: SchemaRegistry | None) -> MeshReview:
        """The policies and live products stored in the mesh, in the caller's transaction."""
        live = all_products(connection, statuses=_LIVE)
        return cls(
            load_policies(connection),
            tuple(record.descriptor for record in live),
            registry,
            custom_rules(),
        )

    @classmethod
    def offline(
        cls, policies: PolicySet | None = None, registry: SchemaRegistry | None = None
    ) -> MeshReview:
        """A review without the mesh's stored state: ``policies`` (default: the baseline) and
        custom rules; rules that compare with other products are skipped, and so is
        ``schema.compatibility`` without ``registry``."""
        return cls(policies or PolicySet(), None, registry, custom_rules())

    def findings(
        self, descriptor: Descriptor, fields: Sequence[SchemaField] | None
    ) -> list[PolicyFinding]:
        """Every finding of the policy in force for ``descriptor``'s domain."""
        policy, loosenings = self.policies.for_domain(descriptor.domain)
        return evaluate(
            descriptor,
            policy=policy,
            fields=fields,
            compatibility=self._compatibility(descriptor),
            mesh=self.mesh,
            loosenings=loosenings,
            custom=self.custom,
        )

    def _compatibility(self, descriptor: Descriptor) -> CompatibilityLevel | None:
        if self.registry is None:
            return None
        try:
            return self.registry.compatibility(subject_for(descriptor.topic))
        except MeshError:
            # An unreachable registry is reported by the compatibility check itself.
            return None
