"""The web UI: server-rendered pages under ``/ui`` on the server's own port.

Sign-in is by API token (see :mod:`streammesh.server.ui.session` for the session cookie);
pages: Explore (search and facets), a product page (contract, schema versions and diffs,
recent events, throughput and freshness, consumers, lineage neighbours, Request access), the
access requests inbox, the lineage graph, publish (plan and apply), governance compliance,
the activity feed, the notifications inbox, and the stream apps (list, "Create an app from
data products", an application's SQL, plan, status and live output). ``/`` redirects to the UI.
"""

from __future__ import annotations

from fastapi import APIRouter

from streammesh.server.ui import (
    connectors,
    entry,
    explore,
    inbox,
    lineage,
    not_found,
    notifications,
    overview,
    product,
    publish,
    stream_apps,
)
from streammesh.server.ui.viewer import UI_PREFIX

router = APIRouter(include_in_schema=False)
"""Every UI route; the app includes it without a prefix (the routes carry ``/ui``)."""
for _part in (
    entry.router,
    explore.router,
    product.router,
    inbox.router,
    overview.router,
    lineage.router,
    notifications.router,
    publish.router,
    stream_apps.router,
    connectors.router,
    not_found.router,  # last: it answers every /ui path no page above takes
):
    router.include_router(_part)

error_page = not_found.error_page

__all__ = ["UI_PREFIX", "error_page", "router"]
