"""Crypto-shredding over REST: ``POST /api/v1/products/{reference}/forget``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from streammesh.privacy import KeyStore, forget
from streammesh.server.api.models.privacy import ForgetBody, ForgetReply
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import Changer, Scope
from streammesh.server.api.services import Plane
from streammesh.server.context import server_context

router = APIRouter(tags=["privacy"])


def _keys(request: Request) -> KeyStore:
    return server_context(request).runtime.keys


Keys = Annotated[KeyStore, Depends(_keys)]
"""The mesh's data keys."""


@router.post(
    "/products/{reference}/forget",
    response_model=ForgetReply,
    responses=errors(400, 403, 404),
)
def forget_entity(
    reference: Reference,
    body: ForgetBody,
    principal: Changer,
    scope: Scope,
    plane: Plane,
    keys: Keys,
) -> dict[str, Any]:
    """Destroy one entity's data keys (every major version of the product): from then on
    every copy of its encrypted fields reads as masked. Final, and audited. A domain owner
    forgets keys only of its domains' products (403 `outside-domain`)."""
    record = plane.product(reference)
    scope.check(record.descriptor.domain, "forget an entity of", record.reference)
    done = forget(keys, record.reference, record.contract.key_type, body.key, actor=principal.name)
    return {"product": done.product, "key": done.key, "versions": done.versions}
