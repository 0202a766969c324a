"""Who may call which ``/api/v1`` route, as FastAPI dependencies.

Reading, planning, consuming and registering an application need any valid token
(:data:`streammesh.server.auth.Reader`); changing products, domains and teams needs a role
that owns or governs them; producing needs a role that works on a domain's products.

The role is half of it: a domain owner (like any principal that is not governance or a
platform admin) changes only what belongs to the domains of its teams. The routes hand the
caller's :data:`Scope` to the service that knows the product's domain, which checks it
(:class:`streammesh.access.DomainScope`, 403 ``outside-domain``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from streammesh.access import OVERSEERS, DomainScope, domain_scope
from streammesh.identity import Principal, Role
from streammesh.server.auth import WRITER_ROLES, Reader, authenticate, require_role
from streammesh.server.context import server_context

CHANGER_ROLES = WRITER_ROLES
"""Apply, deprecate, retire, register domains and teams: platform-admin, governance,
domain-owner (a domain owner only in the domains of its teams)."""

OVERSEER_ROLES = OVERSEERS
"""Mesh-wide operations: platform-admin and governance."""

PRODUCER_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.DOMAIN_OWNER, Role.MEMBER})
"""Produce events to a product."""

Changer = Annotated[Principal, Depends(require_role(CHANGER_ROLES))]
"""A principal that may change the mesh's products, domains and teams (in its scope)."""

Overseer = Annotated[Principal, Depends(require_role(OVERSEER_ROLES))]
"""A principal that acts mesh-wide: governance or a platform admin."""

ProducerPrincipal = Annotated[Principal, Depends(require_role(PRODUCER_ROLES))]
"""A principal that may write events to a product."""


def _scope(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> DomainScope:
    return domain_scope(server_context(request).runtime.store, principal.name, principal.role)


Scope = Annotated[DomainScope, Depends(_scope)]
"""The domains the caller may change (mesh-wide for governance and platform admins)."""

__all__ = [
    "CHANGER_ROLES",
    "OVERSEER_ROLES",
    "PRODUCER_ROLES",
    "Changer",
    "Overseer",
    "ProducerPrincipal",
    "Reader",
    "Scope",
]
