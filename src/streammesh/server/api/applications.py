"""``POST /products/{reference}/applications``: register a consumer or producer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from streammesh.server.api.models.products import ApplicationBody, ApplicationDocument
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.services import Plane
from streammesh.server.auth import Reader

router = APIRouter(tags=["applications"])


@router.post(
    "/products/{reference}/applications",
    response_model=ApplicationDocument,
    responses=errors(400, 404, 409),
)
def register_application(
    reference: Reference, body: ApplicationBody, principal: Reader, plane: Plane
) -> dict[str, Any]:
    """Record that an application consumes (or produces to) a product version; seen again,
    its `last_seen` moves on. A deprecated product refuses a new consumer (409)."""
    registered = plane.register_application(
        reference,
        body.application,
        role=body.role,
        principal=principal.name,
        group=body.group,
    )
    return registered.document(active=True)
