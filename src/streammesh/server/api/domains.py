"""Domains and teams: registered objects that own products."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from streammesh.server.api.models.organisation import (
    DomainBody,
    DomainDocument,
    TeamBody,
    TeamDocument,
)
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Changer, Scope
from streammesh.server.api.services import Plane
from streammesh.server.auth import Reader

router = APIRouter(tags=["domains and teams"])


@router.get("/domains", response_model=list[DomainDocument], responses=errors())
def list_domains(_: Reader, plane: Plane) -> list[dict[str, Any]]:
    """Every registered domain, by name."""
    return [domain.document() for domain in plane.domains()]


@router.post("/domains", response_model=DomainDocument, responses=errors(400, 403))
def register_domain(
    body: DomainBody, principal: Changer, scope: Scope, plane: Plane
) -> dict[str, Any]:
    """Register a domain (governance, platform admin), or describe an existing one again (also
    a domain owner of it; 403 `outside-domain` otherwise)."""
    record = plane.register_domain(
        body.name, description=body.description, actor=principal.name, scope=scope
    )
    return record.document()


@router.get("/teams", response_model=list[TeamDocument], responses=errors())
def list_teams(
    _: Reader,
    plane: Plane,
    domain: Annotated[str | None, Query(description="Only this domain's teams.")] = None,
) -> list[dict[str, Any]]:
    """Every registered team, by name."""
    return [team.document() for team in plane.teams(domain=domain)]


@router.post("/teams", response_model=TeamDocument, responses=errors(400, 403))
def register_team(body: TeamBody, principal: Changer, scope: Scope, plane: Plane) -> dict[str, Any]:
    """Register a team (of a registered domain, if given), or describe one again. A domain
    owner registers and describes only teams of its own domains, and must name the domain
    (403 `outside-domain`, 422 without a domain)."""
    record = plane.register_team(
        body.name,
        domain=body.domain,
        email=body.email,
        description=body.description,
        actor=principal.name,
        scope=scope,
    )
    return record.document()
