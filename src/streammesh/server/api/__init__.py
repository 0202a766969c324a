"""The mesh's REST API under ``/api/v1``: one module per resource, models in ``models/``.

Every route needs a token (:mod:`streammesh.server.auth`); who may call what is in
:mod:`streammesh.server.api.roles`. Errors come from the server's one error table as
``{"error": {"code", "message", "details"}}``, and each route documents the ones it gives.
"""

from __future__ import annotations

from fastapi import APIRouter

from streammesh.server.api import (
    access,
    accounts,
    applications,
    audit,
    domains,
    events,
    governance,
    lifecycle,
    lineage,
    notify,
    observe,
    plan,
    privacy,
    products,
    schemas,
    stream_apps,
    streams,
    tokens,
    whoami,
)

API_PREFIX = "/api/v1"

router = APIRouter()
# ``products`` first: its literal ``/products/search`` must be matched before
# ``/products/{reference}``.
for module in (
    whoami,
    products,
    schemas,
    streams,
    applications,
    events,
    lifecycle,
    plan,
    domains,
    audit,
    accounts,
    access,
    governance,
    privacy,
    lineage,
    observe,
    notify,
    stream_apps,
    tokens,
):
    router.include_router(module.router)

__all__ = ["API_PREFIX", "router"]
