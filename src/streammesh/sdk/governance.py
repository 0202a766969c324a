"""``GovernanceClient``: the mesh's policies, its compliance report and governance proposals.

The same operations in-process (:class:`~streammesh.sdk.inprocess.governance.InProcessGovernance`)
and through a server (:class:`~streammesh.sdk.remote.governance.RemoteGovernance`); both answer
the REST API's JSON documents (``/api/v1/governance``) and raise the same ``MeshError``
classes, so ``--json`` output and error handling do not depend on where the mesh is.

Example:
    >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
    ...     mesh.governance.set_policy({"rules": {"regions.allowed": {"regions": ["eu-west-1"]}}})
    ...     mesh.governance.report()["summary"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from streammesh.governance import ProposalStatus

__all__ = ["GovernanceClient"]


class GovernanceClient(Protocol):
    """Policies as code, the compliance report and governance proposals of one mesh."""

    def policy(self, domain: str | None = None) -> dict[str, Any]:
        """The stored global policy, or ``domain``'s, and every rule's settings in force:
        ``{domain, version, policy, created_at, created_by, effective}`` (``version`` is
        ``None`` when none was set)."""
        ...

    def policies(self) -> dict[str, Any]:
        """Every stored policy: ``{"global": <policy or None>, "domains": {name: policy}}``."""
        ...

    def set_policy(self, policy: Mapping[str, Any], *, domain: str | None = None) -> dict[str, Any]:
        """Set the global policy, or ``domain``'s (which may only add or tighten rules);
        answers it as :meth:`policy` does.

        Raises:
            PolicyInvalid: ``policy`` is not a valid policy; nothing was stored.
            PolicyLoosened: A domain's policy relaxes the global one; nothing was stored.
        """
        ...

    def report(self) -> dict[str, Any]:
        """Every published product against its domain's policy, summed per domain and rule."""
        ...

    def proposals(
        self, text: str | None = None, *, status: ProposalStatus | None = None
    ) -> list[dict[str, Any]]:
        """Governance proposals, newest first: those with ``text`` in the title, body or
        rules, and of ``status``, when given."""
        ...

    def propose(self, title: str, *, body: str = "", rules: Sequence[str] = ()) -> dict[str, Any]:
        """Write a governance proposal (a draft) about ``rules``; answers it with its id."""
        ...

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        """One proposal with its history (``ProposalNotFound`` when there is none)."""
        ...

    def move(
        self, proposal_id: int, status: ProposalStatus, *, note: str | None = None
    ) -> dict[str, Any]:
        """Move a proposal: draft → in-review → accepted | rejected; accepted → implemented.

        Raises:
            ProposalNotFound: No such proposal.
            ProposalTransitionRefused: Its status does not lead to ``status``.
        """
        ...
