"""Explore's result cards: what a data engineer weighs before opening a product (owner and
team, domain, tags, quality, SLA tier, freshness, events/s and how many consumers read it).

Figures are measured when the page is asked for, like the product page's (the server keeps
no samples); a product whose stream cannot be measured shows its contract without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from streammesh.catalog import SearchHit
from streammesh.control import ApplicationRole, ProductNotFound, ProductRecord
from streammesh.log import LogError
from streammesh.observe import ProductMetrics
from streammesh.server.context import ServerContext


@dataclass(frozen=True, slots=True)
class ResultCard:
    """One search hit with its contract and its stream's figures.

    Attributes:
        hit: The search hit (name, version, description, domain, status).
        record: The product version, or ``None`` when it went away since the search.
        metrics: Events/s over the last minute and the newest event's time; ``None`` when
            the stream cannot be measured (a retired product's topic is gone).
        consumers: Registered consuming applications.
    """

    hit: SearchHit
    record: ProductRecord | None
    metrics: ProductMetrics | None
    consumers: int

    @property
    def reference(self) -> str:
        return f"{self.hit.name}.v{self.hit.version}"


def result_cards(
    context: ServerContext, hits: Sequence[SearchHit], *, now: datetime | None = None
) -> list[ResultCard]:
    """A card per hit, in the hits' order."""
    moment = now or datetime.now(UTC)
    plane = context.runtime.plane
    monitor = context.runtime.monitor
    cards = []
    for hit in hits:
        reference = f"{hit.name}.v{hit.version}"
        try:
            record = plane.product(reference)
        except ProductNotFound:
            cards.append(ResultCard(hit, None, None, 0))
            continue
        metrics: ProductMetrics | None
        try:
            # Sizing the window's records is not shown on a card; read none of them.
            metrics = monitor.product_metrics(reference, now=moment, max_read=0)
        except LogError:
            metrics = None
        consumers = sum(
            1
            for app, _active in plane.applications(reference)
            if app.role is ApplicationRole.CONSUMER
        )
        cards.append(ResultCard(hit, record, metrics, consumers))
    return cards
