"""A product's stream at a glance: recent sample events and throughput, read without a
consumer group (so looking at a product never moves any application's offsets).

The stats (offsets, counts, when the last event was written) are metadata, open to every
token like the contract and the schema. The sample is event contents: it needs a grant on the
product, membership of the owning team, or the governance or platform-admin role (see
:mod:`streammesh.access.contents`); anyone else gets 403 ``access-denied`` saying how to request
access. Protected fields stay masked unless a grant includes classified fields, also those
written in clear before they were protected.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from streammesh.access import Caller
from streammesh.server.api.event_json import event_document
from streammesh.server.api.models.events import EventDocument, SampleReply, StatsReply
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.services import Data
from streammesh.server.auth import Reader

router = APIRouter(tags=["products"])

MAX_SAMPLE = 100


JSONL_MEDIA_TYPE = "application/x-ndjson"
"""The media type of the sample's download: one event document per line."""


@router.get(
    "/products/{reference}/sample",
    response_model=SampleReply,
    responses={
        **errors(403, 404),
        200: {
            "content": {
                JSONL_MEDIA_TYPE: {"schema": {"type": "string"}},
            },
            "description": "The sample; with `format=jsonl` a download, one event per line.",
        },
    },
)
def sample(
    reference: Reference,
    principal: Reader,
    data: Data,
    limit: Annotated[int, Query(ge=1, le=MAX_SAMPLE)] = 10,
    format: Annotated[
        Literal["json", "jsonl"],
        Query(description="`jsonl`: the events as a JSON lines download (`<product>.jsonl`)."),
    ] = "json",
) -> dict[str, Any] | Response:
    """The most recent events of the product (at most `limit`, newest last), deserialized.

    Reading them needs a grant on the product (held by the caller or an application of its
    team), membership of the owning team, or the governance or platform-admin role; anyone
    else gets 403 `access-denied`, whose message says how to request access. Classified
    fields are masked unless such a grant includes them. Records that are not events of the
    product are left out of a sample.
    """
    sample = data.sample(reference, reader=Caller(principal.name, principal.role), limit=limit)
    documents = [event_document(e) for e in sample.events]
    if format == "jsonl":
        return Response(
            # Through the reply's model, so each line is exactly an event of the JSON sample.
            content="".join(
                json.dumps(EventDocument.model_validate(d).model_dump(mode="json")) + "\n"
                for d in documents
            ),
            media_type=JSONL_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{sample.product}.jsonl"'},
        )
    return {"product": sample.product, "events": documents}


@router.get("/products/{reference}/stats", response_model=StatsReply, responses=errors(404))
def stats(reference: Reference, _: Reader, data: Data) -> dict[str, Any]:
    """Per-partition offsets, how many events the stream holds, when the last one was
    written and how many were written in the last minute."""
    stream = data.stats(reference)
    return {
        "product": stream.product,
        "topic": stream.topic,
        "partitions": [
            {
                "partition": p.partition,
                "beginning_offset": p.beginning_offset,
                "end_offset": p.end_offset,
            }
            for p in stream.partitions
        ],
        "total_events": stream.total_events,
        "last_event_at": stream.last_event_at.isoformat() if stream.last_event_at else None,
        "events_last_minute": stream.events_last_minute,
    }
