"""Remote produce and consume, for clients of a mesh whose log they cannot reach (embedded).

``POST /products/{reference}/events`` validates and writes a batch all or nothing and answers
once it is durable. ``GET /products/{reference}/events?group=G`` reads up to ``max`` events as
consumer group ``G`` (registered as a consuming application of the product, and owned by the
principal that registered it first), commits the group's offsets past them, and answers: each
request is one short-lived group member.
"""

from __future__ import annotations

import inspect
import logging
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from streammesh.access import Caller
from streammesh.dataplane import ProductConsumer, ProductEvent, UnreadableEvent
from streammesh.log import ConsumerOptions
from streammesh.server.api.event_json import event_document
from streammesh.server.api.models.events import ConsumeReply, ProduceBody, ProduceReply
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import ProducerPrincipal
from streammesh.server.api.services import Data
from streammesh.server.auth import Reader
from streammesh.server.waiting import server_waits

router = APIRouter(tags=["events"])
_LOGGER = logging.getLogger(__name__)

MAX_TAKE = 10_000
MAX_WAIT_S = 30.0
_MORE_S = 0.05
"""Once events arrived, how long to wait for more before answering."""

GroupQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="The consumer group, registered as an application of the product.",
    ),
]
MaxEventsQuery = Annotated[
    int, Query(alias="max", ge=1, le=MAX_TAKE, description="At most this many events.")
]
TimeoutQuery = Annotated[
    float, Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait for the first event.")
]


@router.post(
    "/products/{reference}/events",
    response_model=ProduceReply,
    responses=errors(400, 403, 404),
)
def produce(
    reference: Reference, body: ProduceBody, principal: ProducerPrincipal, data: Data
) -> dict[str, Any]:
    """Validate every event against the product's current schema and key, then write them
    all; one invalid event refuses the batch (422 `invalid-event`, each refused event's
    index and field path in `details`) and nothing is written. Answers once the events are
    durable. Only service accounts of the owning team (and platform admins) may write
    (403 `access-denied`); classified fields governance protects are encrypted."""
    produced = data.produce(reference, body.events, principal=principal.name)
    return {
        "product": produced.product,
        "accepted": produced.accepted,
        "schema_id": produced.schema_id,
        "partitions": list(produced.partitions),
    }


def _consume(
    reference: Reference,
    principal: Reader,
    data: Data,
    group: GroupQuery,
    max_events: MaxEventsQuery = 100,
    timeout: TimeoutQuery = 1.0,
) -> dict[str, Any]:
    """Up to `max` events for consumer group `group`, from where the group left off (a new
    group starts at the oldest event). Answers as soon as events arrived (or after `timeout`
    seconds without any), with the group's offsets committed past them. A deprecated
    product refuses a new group (409 `not-accepting-consumers`). Reading needs a grant (403
    `access-denied`); classified fields are in clear only when the grant includes them.
    Platform admins without a grant may read, with classified fields masked. A group belongs
    to the principal that registered it with the product first: reading (and so committing)
    under another principal's group is refused, platform admins included (403
    `consumer-group-taken`)."""
    # Each request is a short-lived member that leaves when it answers; a short session
    # frees the partitions of one that could not leave (a server killed mid-request) soon.
    options = ConsumerOptions(
        auto_commit=False,
        session_timeout_ms=6_000,
        heartbeat_interval_ms=500,
        client_id="streammesh-rest-consumer",
    )
    with data.consumer(
        reference,
        group,
        reader=Caller(principal.name, principal.role),
        actor=principal.name,
        options=options,
    ) as consumer:
        events = _take(consumer, max_events, timeout)
        consumer.commit()
        product = consumer.contract.reference
    return {
        "product": product,
        "group": group,
        "events": [event_document(event) for event in events],
    }


@router.get(
    "/products/{reference}/events",
    response_model=ConsumeReply,
    responses=errors(403, 404, 409),
    description=inspect.cleandoc(_consume.__doc__ or ""),
)
async def consume(
    request: Request,
    reference: Reference,
    principal: Reader,
    data: Data,
    group: GroupQuery,
    max_events: MaxEventsQuery = 100,
    timeout: TimeoutQuery = 1.0,
) -> Response:
    # A consume may wait up to `timeout` for events: it runs in the server's pool for
    # blocking waits, never in the worker threads every other route needs.
    def consume_now() -> Response:
        document = _consume(reference, principal, data, group, max_events, timeout)
        # Rendered in this thread too: for an async route FastAPI would validate and
        # serialize up to 10,000 events on the event loop, which every request needs.
        reply = ConsumeReply.model_validate(document).model_dump_json(by_alias=True)
        return Response(reply, media_type="application/json")

    return await server_waits(request).run_blocking(consume_now)


def _take(consumer: ProductConsumer, count: int, timeout: float) -> list[ProductEvent]:
    """Long polling: wait up to ``timeout`` for a first event, then only for what is ready."""
    events: list[ProductEvent] = []
    deadline = time.monotonic() + timeout
    while len(events) < count:
        wait = _MORE_S if events else max(deadline - time.monotonic(), 0.0)
        try:
            event = consumer.poll(wait)
        except UnreadableEvent as exc:
            if not events:
                consumer.commit()  # past the record, so the group is not stuck on it
                raise
            # Answer what was read; the record counts as read, like the SDK consumer's.
            _LOGGER.warning("skipped a record of %s: %s", exc.product, exc)
            break
        if event is None:
            if events or time.monotonic() >= deadline:
                break
            continue
        events.append(event)
    return events
