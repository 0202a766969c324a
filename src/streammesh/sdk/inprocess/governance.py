"""``InProcessGovernance``: the governance client over a mesh opened in this process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from streammesh.governance import GovernanceService, ProposalStatus, policy_from
from streammesh.runtime import MeshRuntime

__all__ = ["InProcessGovernance"]


class InProcessGovernance:
    """Governance of ``runtime``, changes recorded as made by ``actor`` (the mesh's operator:
    no role is checked, as for every in-process change)."""

    def __init__(self, runtime: MeshRuntime, actor: str) -> None:
        self._service: GovernanceService = runtime.governance
        self._actor = actor

    def policy(self, domain: str | None = None) -> dict[str, Any]:
        record = self._service.policies.show(domain)
        return {
            "domain": domain,
            "version": record.version if record else None,
            "policy": record.policy.explicit() if record else None,
            "created_at": record.created_at.isoformat() if record else None,
            "created_by": record.created_by if record else None,
            "effective": self._service.policies.effective(domain).document(),
        }

    def policies(self) -> dict[str, Any]:
        found = self._service.policies.policies()
        stored_global = self._service.policies.show()
        return {
            "global": stored_global.policy.explicit() if stored_global else None,
            "domains": {name: policy.explicit() for name, policy in sorted(found.domains.items())},
        }

    def set_policy(self, policy: Mapping[str, Any], *, domain: str | None = None) -> dict[str, Any]:
        # The origin the server names too, so a refusal reads the same in-process.
        parsed = policy_from(dict(policy), origin=f"policy of '{domain}'" if domain else "policy")
        self._service.policies.set(parsed, actor=self._actor, domain=domain)
        return self.policy(domain)

    def report(self) -> dict[str, Any]:
        return self._service.report().document()

    def proposals(
        self, text: str | None = None, *, status: ProposalStatus | None = None
    ) -> list[dict[str, Any]]:
        return [item.document() for item in self._service.proposals.search(text, status=status)]

    def propose(self, title: str, *, body: str = "", rules: Sequence[str] = ()) -> dict[str, Any]:
        created = self._service.proposals.create(title, body, rules=list(rules), actor=self._actor)
        return created.document()

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        return self._service.proposals.get(proposal_id).document()

    def move(
        self, proposal_id: int, status: ProposalStatus, *, note: str | None = None
    ) -> dict[str, Any]:
        moved = self._service.proposals.move(proposal_id, status, actor=self._actor, note=note)
        return moved.document()
