"""Mesh-wide pages: the governance compliance report and the activity feed."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from streammesh.audit import MESH_EVENTS_TOPIC, read_mesh_events
from streammesh.governance import ProductCompliance
from streammesh.log import LogError
from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import UI_PREFIX, Context, CurrentViewer, render

router = APIRouter(include_in_schema=False)

ACTIVITY_SIZE = 100


@router.get(f"{UI_PREFIX}/governance", response_class=HTMLResponse)
def governance(request: Request, viewer: CurrentViewer, context: Context) -> HTMLResponse:
    """Compliance per domain, and per rule how many products break it."""
    report = context.runtime.governance.report()
    domains: dict[str, list[ProductCompliance]] = defaultdict(list)
    for product in report.products:
        domains[product.domain].append(product)
    return render(
        request,
        "governance.html",
        viewer,
        title="Governance",
        report=report,
        document=report.document(),
        domains=dict(sorted(domains.items())),
    )


@router.get(f"{UI_PREFIX}/activity", response_class=HTMLResponse)
def activity(
    request: Request,
    viewer: CurrentViewer,
    context: Context,
    before: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """What happened in the mesh, newest first, from ``_mesh.events``."""
    end = _end_offset(context)
    upto = end if before is None else min(before, end)
    start = max(upto - ACTIVITY_SIZE, 0)
    events = read_mesh_events(context.runtime.log, from_offset=start, max_events=upto - start)
    return render(
        request,
        "activity.html",
        viewer,
        title="Activity",
        events=list(reversed(events[: upto - start])),
        older=start if start > 0 else None,
    )


def _end_offset(context: ServerContext) -> int:
    """How many events ``_mesh.events`` holds (one partition; 0 before the first)."""
    try:
        description = context.runtime.log.describe_topic(MESH_EVENTS_TOPIC)
    except LogError:
        return 0
    return sum(description.end_offsets.values())
