"""The audit log (who changed what, before and after) and the ``_mesh.events`` feed."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from streammesh.audit import MAX_LIMIT, AuditAction, read_mesh_events
from streammesh.server.api.models.audit import AuditDocument, MeshEventsReply
from streammesh.server.api.responses import errors
from streammesh.server.api.services import Log, Plane
from streammesh.server.auth import Reader
from streammesh.server.waiting import server_waits

router = APIRouter(tags=["audit"])

_FEED_WAIT_S = 1.0


@router.get("/audit", response_model=list[AuditDocument], responses=errors())
def audit(
    _: Reader,
    plane: Plane,
    subject: Annotated[
        str | None, Query(description="Only changes about this subject, e.g. a product.")
    ] = None,
    action: Annotated[
        list[AuditAction] | None,
        Query(description="Only these actions, e.g. `product.deprecated`."),
    ] = None,
    after_id: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="Only ids after this one (paging).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> list[dict[str, Any]]:
    """Recorded changes, oldest first."""
    entries = plane.audit.entries(
        subject=subject, actions=action or (), after_id=after_id, limit=limit
    )
    return [entry.document() for entry in entries]


@router.get("/mesh-events", response_model=MeshEventsReply, responses=errors())
async def mesh_events(
    request: Request,
    _: Reader,
    log: Log,
    from_offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """A page of the mesh's own event stream `_mesh.events`, in order; the next page starts
    at `next_offset` (events may repeat after a crash: de-duplicate by `id`)."""
    # At the end of the feed the read waits up to a second for more: not in the shared pool.
    found = await server_waits(request).run_blocking(
        functools.partial(
            read_mesh_events, log, from_offset=from_offset, max_events=limit, timeout=_FEED_WAIT_S
        )
    )
    return {
        "events": [event.document() for event in found],
        "next_offset": from_offset + len(found),
    }
