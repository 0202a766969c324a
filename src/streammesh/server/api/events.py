"""Remote produce and consume, for clients of a mesh whose log they cannot reach (embedded).

``POST /products/{reference}/events`` validates and writes a batch all or nothing and answers
once it is durable. ``GET /products/{reference}/events?group=G`` reads up to ``max`` events as
consumer group ``G`` (registered as a consuming application of the product, and owned by the
principal that registered it first), commits the group's offsets past them, and answers.

Both keep their log clients open between requests (:mod:`streammesh.server.remote_data`):
a produce borrows a pooled log producer, and a group's consumes are served by one member
the server keeps in the group, so no request connects to the log or joins a group.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import anyio
import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from streammesh.access import Caller
from streammesh.dataplane import DataPlane
from streammesh.log import LogTimeout
from streammesh.server.api.event_json import events_json
from streammesh.server.api.models.events import (
    ConsumeReply,
    ProduceBody,
    ProduceReply,
    produce_events,
)
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.roles import ProducerPrincipal
from streammesh.server.api.services import Data
from streammesh.server.auth import Reader
from streammesh.server.idempotency import HEADER, KeyedWrite, checked_key, fingerprint
from streammesh.server.remote_data import RemoteDataPlane, remote_data
from streammesh.server.remote_data import produce as write_events
from streammesh.server.waiting import server_waits

router = APIRouter(tags=["events"])

MAX_TAKE = 10_000
TURN_WAIT_S = 30.0
"""How long a produce waits for its turn (:data:`~streammesh.server.remote_data.PRODUCES_AT_ONCE`
run at once) before it answers 503 ``log-timeout``."""
MAX_WAIT_S = 30.0
_JSON = "application/json"

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


async def _body(request: Request) -> bytes:
    return await request.body()


_PRODUCE_BODY = {
    "required": True,
    "content": {"application/json": {"schema": ProduceBody.model_json_schema()}},
}


@router.post(
    "/products/{reference}/events",
    response_model=ProduceReply,
    responses=errors(400, 403, 404),
    # The body is read as bytes and parsed in the request's thread (produce_events), not by
    # FastAPI on the event loop; the document still describes it.
    openapi_extra={"requestBody": _PRODUCE_BODY},
)
async def produce(
    request: Request,
    reference: Reference,
    raw: Annotated[bytes, Depends(_body)],
    principal: ProducerPrincipal,
    data: Data,
) -> Response:
    """Validate every event against the product's current schema and key, then write them
    all; one invalid event refuses the batch (422 `invalid-event`, each refused event's
    index and field path in `details`) and nothing is written. Answers once the events are
    durable. Only service accounts of the owning team (and platform admins) may write
    (403 `access-denied`); classified fields governance protects are encrypted.

    With an `Idempotency-Key` header (1-255 visible ASCII characters, e.g. a UUID per
    batch), sending the same request again (to any replica) within 24 hours answers the
    first request's result and writes nothing: a client may retry a request it got no
    answer for. The same key with another product or other events is refused (422
    `idempotency-key-reused`); while the first request is still being written, 409
    `idempotency-key-in-progress` with `Retry-After`. If that request's server died, the key
    is taken over 30 s after it began: the retry writes only the events not on the log yet
    (records of keyed produces carry a `streammesh-idempotency` header for that)."""
    kept = remote_data(request)
    content_type = request.headers.get("content-type")
    raw_key = request.headers.get(HEADER)

    def write_now() -> Response:
        return _write(kept, data, reference, raw, content_type, raw_key, principal.name)

    # A few produces at a time, the others waiting their turn in order on the event loop
    # (holding no thread): the work is CPU-bound under one interpreter lock, so more at once
    # only share it less evenly (a longer tail) and switch more. Turns held long mean a slow
    # log: a request that waited too long answers 503 (retryable) instead of waiting on.
    turns = kept.produce_turns
    with anyio.move_on_after(TURN_WAIT_S) as waiting:
        await turns.acquire()
    if waiting.cancelled_caught:
        raise LogTimeout("waiting for a turn to write the events", TURN_WAIT_S)
    try:
        return await anyio.to_thread.run_sync(write_now)
    finally:
        turns.release()


def _write(
    kept: RemoteDataPlane,
    data: DataPlane,
    reference: str,
    raw: bytes,
    content_type: str | None,
    raw_key: str | None,
    principal: str,
) -> Response:
    """The produce of one request, in a worker thread (see :func:`produce`)."""
    events = produce_events(raw, content_type)
    keyed = None
    if raw_key is not None:
        key = checked_key(raw_key)
        claim = kept.idempotency.claim(principal, key, fingerprint(reference, events))
        if claim.answer is not None:
            return _answer(claim.answer)  # the first request's answer; nothing written again
        keyed = KeyedWrite(kept.idempotency, claim)
    try:
        produced = write_events(
            data, kept.producers, reference, events, principal=principal, keyed=keyed
        )
    except BaseException:
        if keyed is not None:
            keyed.release()
        raise
    answer = {
        "product": produced.product,
        "accepted": produced.accepted,
        "schema_id": produced.schema_id,
        "partitions": list(produced.partitions),
    }
    if keyed is not None:
        keyed.record(answer)
    return _answer(answer)


def _answer(answer: dict[str, Any]) -> Response:
    """A produce's answer rendered here, in the request's thread: FastAPI would check it
    against ``ProduceReply`` and render it on the event loop (~0.2 ms for 500 partitions),
    and it is a ``ProduceReply`` by construction."""
    return Response(orjson.dumps(answer), media_type=_JSON)


_CONSUME_DOC = """Up to `max` events for consumer group `group`, from where the group left off
(a new group starts at the oldest event). Answers as soon as events arrived (or after
`timeout` seconds without any), with the group's offsets committed past them. A deprecated
product refuses a new group (409 `not-accepting-consumers`). Reading needs a grant (403
`access-denied`); classified fields are in clear only when the grant includes them. Platform
admins without a grant may read, with classified fields masked. A group belongs to the
principal that registered it with the product first: reading (and so committing) under
another principal's group is refused, platform admins included (403 `consumer-group-taken`).
While a group reads full batches (`max` events each), the server keeps its member of the
group open for the next consume (up to 10 s), so those do not join the group again; a consume
that answers fewer events and finds no more there (caught up) leaves the group."""


@router.get(
    "/products/{reference}/events",
    response_model=ConsumeReply,
    responses=errors(403, 404, 409),
    description=inspect.cleandoc(_CONSUME_DOC),
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
    members = remote_data(request).members
    reader = Caller(principal.name, principal.role)

    # A consume may wait up to `timeout` for events: it runs in the server's pool for
    # blocking waits, never in the worker threads every other route needs.
    def consume_now() -> Response:
        product, events = members.consume(reference, group, reader, max_events, timeout)
        # Rendered in this thread too (on the event loop it would hold every request up).
        document = {"product": product, "group": group}
        return Response(events_json(document, events), media_type=_JSON)

    return await server_waits(request).run_blocking(consume_now)
