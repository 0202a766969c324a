"""Recent events for a product page, shown only to viewers who may read the product's events.

The rule is the REST sample's (see :mod:`streammesh.access.contents`): a grant on the product
(held by the viewer or an application of their team), membership of the owning team, or the
governance or platform-admin role. Other viewers get the schema and metadata only, and the
page invites them to request access. Classified fields are in clear only through a grant
that includes them (each key handout is audited under the viewer's name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streammesh.access import Caller, ContentAccess, EventsNotReadable
from streammesh.control import ProductRecord
from streammesh.server.api.event_json import event_document
from streammesh.server.context import ServerContext
from streammesh.server.ui.viewer import Viewer

SAMPLE_SIZE = 10


@dataclass(frozen=True, slots=True)
class RecentEvents:
    """What a product page shows of the product's events.

    Attributes:
        reading: The viewer's access to the events; ``None`` when they may not read them.
        events: The latest events (newest last) as JSON documents; empty without ``reading``.
    """

    reading: ContentAccess | None
    events: list[dict[str, Any]]


def recent_events(context: ServerContext, viewer: Viewer, record: ProductRecord) -> RecentEvents:
    """The product's latest events as ``viewer`` may see them."""
    principal = viewer.principal
    try:
        sample = context.runtime.data.sample(
            record.reference, reader=Caller(principal.name, principal.role), limit=SAMPLE_SIZE
        )
    except EventsNotReadable:
        return RecentEvents(None, [])
    return RecentEvents(sample.reading, [event_document(event) for event in sample.events])
