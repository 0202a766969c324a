"""``POST /plan`` and ``POST /apply``: products as code, sent as descriptor and schema text."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from streammesh.control import PlanSummary, ProductSource
from streammesh.server.api.models.plan import PlanBody, PlanReply
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Changer, Scope
from streammesh.server.api.services import Plane
from streammesh.server.auth import Reader

router = APIRouter(tags=["plan and apply"])


def _sources(body: PlanBody) -> list[ProductSource]:
    # Every source is parsed before anything is planned: a bad descriptor is refused (422,
    # every problem with its field path) with nothing read from or written to the mesh.
    return [
        ProductSource.parse(item.descriptor, item.schema_text, origin=item.origin)
        for item in body.products
    ]


@router.post("/plan", response_model=PlanReply, responses=errors(400))
def plan(body: PlanBody, _: Reader, plane: Plane) -> dict[str, Any]:
    """What `apply` would change (topic, schema, catalog entry, status) and every problem
    that would stop it; changes nothing."""
    return PlanSummary.of(plane.plan(_sources(body))).document()


@router.post("/apply", response_model=PlanReply, responses=errors(400, 403, 409))
def apply(body: PlanBody, principal: Changer, scope: Scope, plane: Plane) -> dict[str, Any]:
    """Make the mesh match the products sent; a second identical call changes nothing.

    A plan with errors is refused (422 `plan-refused`, every problem in `details`) and
    nothing is written; so is a descriptor whose team differs from the product's owning
    team (`product.team-changed`: transfer it with `POST /products/{reference}/owner`).
    A domain owner applies only products of the domains of its teams, owned by teams of
    those domains (403 `outside-domain`, nothing written); a new domain is created only by
    governance or a platform admin.
    """
    result = plane.apply(_sources(body), actor=principal.name, scope=scope)
    applied = tuple(record.reference for record in result.applied)
    return PlanSummary.of(result.plan, applied).document()
