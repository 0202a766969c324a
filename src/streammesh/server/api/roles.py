"""Who may call which ``/api/v1`` route, as FastAPI dependencies.

Reading, planning, consuming and registering an application need any valid token
(:data:`streammesh.server.auth.Reader`); changing products, domains and teams needs a role
that owns or governs them; producing needs a role that works on a domain's products.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from streammesh.identity import Principal, Role
from streammesh.server.auth import WRITER_ROLES, Reader, require_role

CHANGER_ROLES = WRITER_ROLES
"""Apply, deprecate, retire, register domains and teams: platform-admin, governance,
domain-owner."""

PRODUCER_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.DOMAIN_OWNER, Role.MEMBER})
"""Produce events to a product."""

Changer = Annotated[Principal, Depends(require_role(CHANGER_ROLES))]
"""A principal that may change the mesh's products, domains and teams."""

ProducerPrincipal = Annotated[Principal, Depends(require_role(PRODUCER_ROLES))]
"""A principal that may write events to a product."""

__all__ = ["CHANGER_ROLES", "PRODUCER_ROLES", "Changer", "ProducerPrincipal", "Reader"]
