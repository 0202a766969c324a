"""``/healthz``: whether the server is up and its metadata store answers (no credentials)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from streammesh.server.context import server_context

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The server's health."""

    status: str


@router.get("/healthz", response_model=Health)
def healthz(request: Request) -> dict[str, str]:
    """``{"status": "ok"}`` when the metadata store answers a read."""
    # A cheap read through the registry proves the store is reachable; a failure is
    # answered 503 by the error table (StoreUnavailable).
    server_context(request).registry.mode()
    return {"status": "ok"}
