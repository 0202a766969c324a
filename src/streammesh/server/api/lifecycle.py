"""``deprecate`` and ``retire`` a product version, and transfer a product to another team;
the caller's principal is the actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from streammesh.server.api.models.products import (
    DeprecateBody,
    ProductDocument,
    RetireBody,
    TransferBody,
)
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Changer, Overseer, Scope
from streammesh.server.api.services import Plane

router = APIRouter(tags=["lifecycle"])


@router.post(
    "/products/{reference}/deprecate",
    response_model=ProductDocument,
    responses=errors(400, 403, 404, 409),
)
def deprecate(
    reference: Reference, body: DeprecateBody, principal: Changer, scope: Scope, plane: Plane
) -> dict[str, Any]:
    """Deprecate a published product: it takes no new consumers and leaves default search.
    A domain owner deprecates only its domains' products (403 `outside-domain`)."""
    record = plane.deprecate(
        reference,
        reason=body.reason,
        sunset=body.sunset,
        replacement=body.replacement,
        actor=principal.name,
        scope=scope,
    )
    return record.document()


@router.post(
    "/products/{reference}/retire",
    response_model=ProductDocument,
    responses=errors(400, 403, 404, 409),
)
def retire(
    reference: Reference, body: RetireBody, principal: Changer, scope: Scope, plane: Plane
) -> dict[str, Any]:
    """Retire a deprecated product and delete its stream; refused while consumers are
    active unless `force` (the caller is then recorded as who forced it). A domain owner
    retires only its domains' products (403 `outside-domain`)."""
    record = plane.retire(reference, actor=principal.name, force=body.force, scope=scope)
    return record.document()


@router.post(
    "/products/{reference}/owner",
    response_model=ProductDocument,
    responses=errors(400, 403, 404),
)
def transfer(
    reference: Reference, body: TransferBody, principal: Overseer, plane: Plane
) -> dict[str, Any]:
    """Give the product (every version) to another team of its domain, audited as
    `product.owner-changed`; governance and platform admins only. `apply` never changes a
    product's team. Answers the product's current version; the same team again changes
    nothing."""
    plane.transfer(reference, body.team, actor=principal.name, note=body.note)
    return plane.product(reference).document()
