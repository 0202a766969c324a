"""``RemoteGovernance``: the governance client over a server's ``/api/v1/governance`` routes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from streammesh.governance import ProposalStatus

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh

__all__ = ["RemoteGovernance"]


class RemoteGovernance:
    """Governance of the mesh ``mesh`` reaches; the server checks the token's role (the global
    policy needs ``governance`` or ``platform-admin``, a domain's also its ``domain-owner``;
    moving proposals needs ``governance`` or ``platform-admin``)."""

    def __init__(self, mesh: RemoteMesh) -> None:
        self._mesh = mesh

    def policy(self, domain: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request(
            "GET", "/governance/policy", reference=domain or "", params=_domain(domain)
        )
        return found

    def policies(self) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request("GET", "/governance/policies")
        return found

    def set_policy(self, policy: Mapping[str, Any], *, domain: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request(
            "PUT",
            "/governance/policy",
            reference=domain or "",
            params=_domain(domain),
            body={"policy": dict(policy)},
        )
        return found

    def report(self) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request("GET", "/governance/report")
        return found

    def proposals(
        self, text: str | None = None, *, status: ProposalStatus | None = None
    ) -> list[dict[str, Any]]:
        params = {"q": text} if text else {}
        if status is not None:
            params["status"] = status.value
        found: list[dict[str, Any]] = self._mesh.request(
            "GET", "/governance/proposals", params=params
        )
        return found

    def propose(self, title: str, *, body: str = "", rules: Sequence[str] = ()) -> dict[str, Any]:
        document = {"title": title, "body": body, "rules": list(rules)}
        found: dict[str, Any] = self._mesh.request("POST", "/governance/proposals", body=document)
        return found

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request(
            "GET", f"/governance/proposals/{proposal_id}", reference=str(proposal_id)
        )
        return found

    def move(
        self, proposal_id: int, status: ProposalStatus, *, note: str | None = None
    ) -> dict[str, Any]:
        found: dict[str, Any] = self._mesh.request(
            "POST",
            f"/governance/proposals/{proposal_id}/move",
            reference=str(proposal_id),
            body={"status": status.value, "note": note},
        )
        return found


def _domain(domain: str | None) -> dict[str, str]:
    return {"domain": domain} if domain else {}
