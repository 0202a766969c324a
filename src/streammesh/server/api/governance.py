"""Governance: the mesh's policies, the compliance report and governance proposals.

Anyone with a token reads them. Setting the global policy needs the ``governance`` or
``platform-admin`` role, a domain's policy also a ``domain-owner`` of that domain; proposals
are written by those roles and ``member``, and moved (reviewed, accepted, ...) by
``governance`` and ``platform-admin``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from streammesh.governance import GovernanceService, ProposalStatus, policy_from
from streammesh.identity import Principal, Role
from streammesh.server.api.models.errors import ErrorReply
from streammesh.server.api.models.governance import (
    ComplianceReportDocument,
    MoveBody,
    PolicyBody,
    PolicyDocument,
    PolicySetDocument,
    ProposalBody,
    ProposalDocument,
)
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Scope
from streammesh.server.auth import Reader, require_role
from streammesh.server.context import server_context
from streammesh.server.errors import PermissionDenied

router = APIRouter(prefix="/governance", tags=["governance"])

GLOBAL_POLICY_ROLES = frozenset({Role.GOVERNANCE, Role.PLATFORM_ADMIN})
DOMAIN_POLICY_ROLES = GLOBAL_POLICY_ROLES | {Role.DOMAIN_OWNER}
PROPOSER_ROLES = DOMAIN_POLICY_ROLES | {Role.MEMBER}
REVIEWER_ROLES = GLOBAL_POLICY_ROLES


def _governance(request: Request) -> GovernanceService:
    return server_context(request).runtime.governance


Governance = Annotated[GovernanceService, Depends(_governance)]
PolicySetter = Annotated[Principal, Depends(require_role(DOMAIN_POLICY_ROLES))]
Proposer = Annotated[Principal, Depends(require_role(PROPOSER_ROLES))]
Reviewer = Annotated[Principal, Depends(require_role(REVIEWER_ROLES))]
DomainQuery = Annotated[
    str | None,
    Query(
        description="A domain's policy; leave out for the global one.",
        pattern=r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$",
        max_length=64,
    ),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorReply, "description": "No such proposal (`proposal-not-found`)."}
}
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The proposal's number.")]


def _policy_document(service: GovernanceService, domain: str | None) -> dict[str, Any]:
    record = service.policies.show(domain)
    return {
        "domain": domain,
        "version": record.version if record else None,
        "policy": record.policy.explicit() if record else None,
        "created_at": record.created_at if record else None,
        "created_by": record.created_by if record else None,
        "effective": service.policies.effective(domain).document(),
    }


@router.get("/policy", response_model=PolicyDocument, responses=errors())
def show_policy(_: Reader, service: Governance, domain: DomainQuery = None) -> dict[str, Any]:
    """The global policy, or a domain's, with the settings in force."""
    return _policy_document(service, domain)


@router.get("/policies", response_model=PolicySetDocument, responses=errors())
def list_policies(_: Reader, service: Governance) -> dict[str, Any]:
    """Every stored policy (the global one is null until the governance group sets one)."""
    found = service.policies.policies()
    stored_global = service.policies.show()
    return {
        "global": stored_global.policy.explicit() if stored_global else None,
        "domains": {name: policy.explicit() for name, policy in sorted(found.domains.items())},
    }


@router.put(
    "/policy",
    response_model=PolicyDocument,
    responses={
        **errors(400, 403),
        422: {
            "model": ErrorReply,
            "description": "The policy is invalid, or a domain policy loosens the global one "
            "(`policy-loosened`; `details` names each rule and the global value).",
        },
    },
)
def set_policy(
    body: PolicyBody,
    principal: PolicySetter,
    scope: Scope,
    service: Governance,
    domain: DomainQuery = None,
) -> dict[str, Any]:
    """Set the global policy (governance, platform-admin) or a domain's (also a domain owner
    of that domain; 403 `outside-domain` for another's)."""
    if domain is None and principal.role not in GLOBAL_POLICY_ROLES:
        raise PermissionDenied(principal.name, str(principal.role), sorted(GLOBAL_POLICY_ROLES))
    if domain is not None:
        scope.check(domain, "set the policy of", f"domain:{domain}")
    policy = policy_from(body.policy, origin=f"policy of '{domain}'" if domain else "policy")
    service.policies.set(policy, actor=principal.name, domain=domain)
    return _policy_document(service, domain)


@router.get("/report", response_model=ComplianceReportDocument, responses=errors())
def report(_: Reader, service: Governance) -> dict[str, Any]:
    """Every published product against its domain's policy, summed per domain and rule."""
    return service.report().document()


@router.get("/proposals", response_model=list[ProposalDocument], responses=errors())
def list_proposals(
    _: Reader,
    service: Governance,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the title, body or rules.")
    ] = None,
    status: Annotated[ProposalStatus | None, Query(description="Only this status.")] = None,
) -> list[dict[str, Any]]:
    """Governance proposals, newest first."""
    return [proposal.document() for proposal in service.proposals.search(q, status=status)]


@router.post(
    "/proposals", response_model=ProposalDocument, status_code=201, responses=errors(400, 403)
)
def create_proposal(body: ProposalBody, principal: Proposer, service: Governance) -> dict[str, Any]:
    """Write a governance proposal (as a draft)."""
    created = service.proposals.create(
        body.title, body.body, rules=body.rules, actor=principal.name
    )
    return created.document()


@router.get(
    "/proposals/{proposal_id}",
    response_model=ProposalDocument,
    responses={**errors(), **_NOT_FOUND},
)
def show_proposal(_: Reader, service: Governance, proposal_id: ProposalId) -> dict[str, Any]:
    """One governance proposal with its history."""
    return service.proposals.get(proposal_id).document()


@router.post(
    "/proposals/{proposal_id}/move",
    response_model=ProposalDocument,
    responses={
        **errors(400, 403),
        **_NOT_FOUND,
        409: {
            "model": ErrorReply,
            "description": "The proposal's status does not lead to the one asked for "
            "(`proposal-transition-refused`).",
        },
    },
)
def move_proposal(
    body: MoveBody, principal: Reviewer, service: Governance, proposal_id: ProposalId
) -> dict[str, Any]:
    """Move a proposal: draft → in-review → accepted | rejected; accepted → implemented."""
    moved = service.proposals.move(proposal_id, body.status, actor=principal.name, note=body.note)
    return moved.document()
