"""``/principals``: users, service accounts (one per application) and teams."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from streammesh.identity import AccountKind
from streammesh.server.api.access import Access, access_errors, caller_of
from streammesh.server.api.models.access import PrincipalBody, PrincipalDocument
from streammesh.server.api.roles import Changer
from streammesh.server.auth import Reader

router = APIRouter(tags=["identity"])


@router.get(
    "/principals",
    response_model=list[PrincipalDocument],
    responses=access_errors(),
)
def list_principals(
    _: Reader,
    access: Access,
    kind: Annotated[AccountKind | None, Query(description="Only principals of this kind.")] = None,
) -> list[dict[str, Any]]:
    """Every user, service account and registered team, by name."""
    return [account.document() for account in access.accounts.list(kind=kind)]


@router.post(
    "/principals",
    response_model=PrincipalDocument,
    status_code=status.HTTP_201_CREATED,
    responses=access_errors(
        400,
        403,
        s403="The caller's role may not create principals (`forbidden`), or the team is not "
        "one of a domain owner's own teams (`outside-domain`).",
        s409="A principal of that name exists (`principal-exists`).",
        s422="Invalid fields, name, kind or team (`invalid-principal`, `invalid-request`).",
    ),
)
def create_principal(body: PrincipalBody, principal: Changer, access: Access) -> dict[str, Any]:
    """Create a user or a service account (a service account belongs to a team). A domain
    owner creates principals only in its own teams."""
    account = access.create_account(
        body.name,
        body.kind,
        team=body.team,
        description=body.description,
        actor=principal.name,
        caller=caller_of(principal),
    )
    return account.document()


@router.get(
    "/principals/{name}",
    response_model=PrincipalDocument,
    responses=access_errors(404, s404="No user or service account of that name."),
)
def get_principal(name: str, _: Reader, access: Access) -> dict[str, Any]:
    """One user or service account."""
    return access.accounts.get(name).document()
