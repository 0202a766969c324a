"""``deprecate`` and ``retire`` a product version, and transfer a product to another team;
the caller's principal is the actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from streammesh.server.api.models.products import (
    DeprecateBody,
    ProductDocument,
    RetireBody,
    TransferBody,
)
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Changer, Scope
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
    responses={
        **errors(400, 403, 404, 409),
        202: {
            "model": ProductDocument,
            "description": "Offered: a domain owner of the current team offered the product "
            "to the new team; nothing moved until a domain owner of that team makes the same "
            "call.",
        },
    },
)
def transfer(
    reference: Reference,
    body: TransferBody,
    principal: Changer,
    scope: Scope,
    plane: Plane,
    response: Response,
) -> dict[str, Any]:
    """Give the product (every version) to another team of its domain, audited as
    `product.owner-changed`; `apply` never changes a product's team. Governance and platform
    admins transfer at once. Domain owners need both teams: an owner of the current team
    offers (202, `product.owner-offered`), then an owner of the new team makes the same call
    (200); without an offer it is 409 `transfer-not-offered`, for anyone else 403
    `outside-domain`. Answers the product's current version; the same team again changes
    nothing."""
    done = plane.transfer(reference, body.team, actor=principal.name, note=body.note, scope=scope)
    if not done.done:
        response.status_code = status.HTTP_202_ACCEPTED
    return plane.product(reference).document()
