"""Monitoring routes: product metrics, consumer-group lag, "has this group caught up?" and
the SLO states the server's checker records."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from streammesh.observe import MeshMonitor, await_caught_up
from streammesh.server.api.models.observe import (
    CaughtUpBody,
    CaughtUpReply,
    GroupLagReply,
    ProductMetricsReply,
    SloStateDocument,
)
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.auth import Reader
from streammesh.server.context import server_context
from streammesh.server.waiting import server_waits

router = APIRouter(tags=["monitoring"])

Group = Annotated[str, Path(min_length=1, max_length=255, description="A consumer group.")]


def _monitor(request: Request) -> MeshMonitor:
    return server_context(request).runtime.monitor


Monitor = Annotated[MeshMonitor, Depends(_monitor)]


@router.get(
    "/products/{reference}/metrics", response_model=ProductMetricsReply, responses=errors(404)
)
def product_metrics(
    reference: Reference,
    _: Reader,
    monitor: Monitor,
    window: Annotated[int, Query(ge=1, le=3600, description="Seconds the rates look back.")] = 60,
) -> dict[str, Any]:
    """Events/s and bytes/s over the last `window` seconds, the newest event's time, the end
    offset of each partition and the SLO states of a product version."""
    metrics = monitor.product_metrics(reference, window=timedelta(seconds=window))
    document = metrics.document()
    document["slos"] = [state.document() for state in monitor.slo_states(metrics.product)]
    return document


@router.get("/groups/{group}/lag", response_model=GroupLagReply, responses=errors(404))
def group_lag(
    group: Group,
    _: Reader,
    monitor: Monitor,
    product: Annotated[
        str | None,
        Query(
            description="Only this product (`name` or `name.vN`); default: every product "
            "version the group committed on or is registered with."
        ),
    ] = None,
) -> dict[str, Any]:
    """A consumer group's lag by offsets (committed offset vs end offset), per partition."""
    lags = monitor.lag(group, product)
    return {
        "group": group,
        "total_lag": sum(lag.total for lag in lags),
        "caught_up": all(lag.caught_up for lag in lags),
        "products": [lag.document() for lag in lags],
    }


@router.post(
    "/groups/{group}/caught-up", response_model=CaughtUpReply, responses=errors(400, 404, 429)
)
async def caught_up(
    request: Request, group: Group, body: CaughtUpBody, principal: Reader, monitor: Monitor
) -> dict[str, Any]:
    """Whether a consumer group has committed at least the given offsets of a product — for
    a service that must tell its callers how fresh its answers are (read your writes).

    With `wait`, the answer waits until the group catches up or `wait` seconds pass. A token
    may have 4 such waits in progress at once (the server 64 in all); one more answers 429
    `too-many-waits` with `Retry-After`. A question already answered (caught up, or asked
    without `wait`) counts against no limit."""
    waits = server_waits(request)
    # The checks read the log and the store: a thread each, briefly; the wait itself is a
    # sleep on the event loop, so waiting questions hold no worker thread.
    check = await waits.check(
        functools.partial(monitor.caught_up_check, group, body.product, body.offsets)
    )
    answer = await waits.check(check)
    if answer.caught_up or body.wait <= 0:
        return answer.document()
    with waits.slots.hold(principal.token_id, body.wait):
        answer = await await_caught_up(lambda: waits.check(check), wait_s=body.wait)
    return answer.document()


@router.get("/slo", response_model=list[SloStateDocument], responses=errors(404))
def slo_states(
    _: Reader,
    monitor: Monitor,
    product: Annotated[
        str | None, Query(description="Only this product (`name` or `name.vN`).")
    ] = None,
) -> list[dict[str, Any]]:
    """The SLO states (freshness, availability) the server's checker recorded."""
    return [state.document() for state in monitor.slo_states(product)]
