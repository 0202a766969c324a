"""``GET /api/v1/whoami``: the principal behind the request's token."""

from __future__ import annotations

from fastapi import APIRouter

from streammesh.server.api.models.identity import WhoAmI
from streammesh.server.api.responses import errors
from streammesh.server.auth import Reader

router = APIRouter(tags=["identity"])


@router.get("/whoami", response_model=WhoAmI, responses=errors())
def whoami(principal: Reader) -> WhoAmI:
    """The caller's principal name, role and token id (what `streammesh login` checks)."""
    return WhoAmI(name=principal.name, role=principal.role, token_id=principal.token_id)
