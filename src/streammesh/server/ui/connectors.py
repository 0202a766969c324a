"""The Connectors page: every connector the mesh records, with its kind, where it runs, its
state (Kafka Connect's), records in and out, lag, dead letters and last error.

Every signed-in principal sees it, as ``GET /connect/connectors?expand=status`` answers any
token. Changing connectors is done with ``streammesh connect ...`` or ``/connect``. Errors
shown are the workers' own, with credentials redacted; configs are not shown here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from streammesh.connect import ConnectorManager
from streammesh.server.ui.viewer import UI_PREFIX, Context, CurrentViewer, render

router = APIRouter(include_in_schema=False)


@router.get(f"{UI_PREFIX}/connectors", response_class=HTMLResponse)
def connectors_page(request: Request, viewer: CurrentViewer, context: Context) -> HTMLResponse:
    """Every connector with its state, lag and last error."""
    statuses = ConnectorManager(context.runtime.store).statuses()
    return render(request, "connectors.html", viewer, title="Connectors", statuses=statuses)
