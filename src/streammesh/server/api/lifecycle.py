"""``deprecate`` and ``retire`` a product version; the caller's principal is the actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from streammesh.server.api.models.products import DeprecateBody, ProductDocument, RetireBody
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Changer
from streammesh.server.api.services import Plane

router = APIRouter(tags=["lifecycle"])


@router.post(
    "/products/{reference}/deprecate",
    response_model=ProductDocument,
    responses=errors(400, 403, 404, 409),
)
def deprecate(
    reference: Reference, body: DeprecateBody, principal: Changer, plane: Plane
) -> dict[str, Any]:
    """Deprecate a published product: it takes no new consumers and leaves default search."""
    record = plane.deprecate(
        reference,
        reason=body.reason,
        sunset=body.sunset,
        replacement=body.replacement,
        actor=principal.name,
    )
    return record.document()


@router.post(
    "/products/{reference}/retire",
    response_model=ProductDocument,
    responses=errors(400, 403, 404, 409),
)
def retire(
    reference: Reference, body: RetireBody, principal: Changer, plane: Plane
) -> dict[str, Any]:
    """Retire a deprecated product and delete its stream; refused while consumers are
    active unless `force` (the caller is then recorded as who forced it)."""
    record = plane.retire(reference, actor=principal.name, force=body.force)
    return record.document()
