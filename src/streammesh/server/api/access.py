"""``/access``: request read access to a product, approve, reject, revoke, list.

Any token may list and read requests; requesting needs the application's own token, a user
of its team, governance or a platform admin; deciding needs a domain owner of the owning team,
governance or a platform admin (the rules are :mod:`streammesh.access.authority`'s).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from streammesh.access import AccessService, AccessState, Caller
from streammesh.identity import Principal
from streammesh.server.api.models.access import (
    AccessRequestBody,
    AccessRequestDocument,
    ApprovalBody,
    DecisionBody,
)
from streammesh.server.api.models.errors import ErrorReply
from streammesh.server.api.responses import errors
from streammesh.server.auth import Reader
from streammesh.server.context import server_context


def _access(request: Request) -> AccessService:
    return server_context(request).runtime.access


Access = Annotated[AccessService, Depends(_access)]
"""The mesh's accounts, access requests and grants."""


def caller_of(principal: Principal) -> Caller:
    """The token's principal as the access rules see it."""
    return Caller(principal.name, principal.role)


def access_errors(*statuses: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """:func:`errors` with the meanings of the access routes (``s404="..."``)."""
    documented = errors(*statuses)
    for key, description in meanings.items():
        documented[int(key.removeprefix("s"))] = {"model": ErrorReply, "description": description}
    return documented


router = APIRouter(prefix="/access", tags=["access"])

_NOT_FOUND = "No such access request or grant (`access-request-not-found`)."
_FORBIDDEN = "The caller may not do this for this product or application (`not-allowed`)."
_CONFLICT = "The request's state does not allow it (`access-state`)."


@router.get(
    "/requests",
    response_model=list[AccessRequestDocument],
    responses=access_errors(),
)
def list_requests(
    _: Reader,
    access: Access,
    product: Annotated[
        str | None, Query(description="A product name (every version) or `<name>.v<N>`.")
    ] = None,
    state: Annotated[AccessState | None, Query(description="Only requests in this state.")] = None,
    principal: Annotated[str | None, Query(description="Only this application's.")] = None,
) -> list[dict[str, Any]]:
    """Access requests and grants, oldest first (expiries that are due are recorded first)."""
    found = access.list(product=product, state=state, principal=principal)
    return [request.document() for request in found]


@router.post(
    "/requests",
    response_model=AccessRequestDocument,
    status_code=status.HTTP_201_CREATED,
    responses=access_errors(
        400,
        s403=_FORBIDDEN,
        s404="No such product (`product-not-found`) or application (`principal-not-found`).",
        s409="The product is deprecated or retired (`access-refused`), or a pending request "
        "or active grant covers this one (`access-request-exists`).",
        s422="Invalid fields, an empty purpose, or an application that is not a service "
        "account (`invalid-access-request`).",
    ),
)
def request_access(body: AccessRequestBody, principal: Reader, access: Access) -> dict[str, Any]:
    """Request read access for an application; approved at once when the product needs no
    approval (no classified fields), otherwise left for its owners."""
    created = access.request(
        body.product,
        body.application,
        purpose=body.purpose,
        classified=body.classified,
        caller=caller_of(principal),
    )
    return created.document()


@router.get(
    "/requests/{request_id}",
    response_model=AccessRequestDocument,
    responses=access_errors(404, s404=_NOT_FOUND),
)
def get_request(request_id: str, _: Reader, access: Access) -> dict[str, Any]:
    """One access request (or grant)."""
    return access.get(request_id).document()


@router.post(
    "/requests/{request_id}/approve",
    response_model=AccessRequestDocument,
    responses=access_errors(400, s403=_FORBIDDEN, s404=_NOT_FOUND, s409=_CONFLICT),
)
def approve(
    request_id: str, body: ApprovalBody, principal: Reader, access: Access
) -> dict[str, Any]:
    """Approve a pending request; the grant lasts until `expires_at` or revocation."""
    approved = access.approve(
        request_id, caller=caller_of(principal), note=body.note, expires_at=body.expires_at
    )
    return approved.document()


@router.post(
    "/requests/{request_id}/reject",
    response_model=AccessRequestDocument,
    responses=access_errors(400, s403=_FORBIDDEN, s404=_NOT_FOUND, s409=_CONFLICT),
)
def reject(
    request_id: str, body: DecisionBody, principal: Reader, access: Access
) -> dict[str, Any]:
    """Reject a pending request."""
    return access.reject(request_id, caller=caller_of(principal), note=body.note).document()


@router.post(
    "/grants/{grant_id}/revoke",
    response_model=AccessRequestDocument,
    responses=access_errors(400, s403=_FORBIDDEN, s404=_NOT_FOUND, s409=_CONFLICT),
)
def revoke(grant_id: str, body: DecisionBody, principal: Reader, access: Access) -> dict[str, Any]:
    """Revoke a grant at once."""
    return access.revoke(grant_id, caller=caller_of(principal), note=body.note).document()
