"""The error answers each ``/api/v1`` route documents in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from streammesh.server.api.models.errors import ErrorReply

_MEANINGS = {
    400: "The body is not UTF-8 encoded JSON.",
    401: "No token, or one that is unknown, revoked or expired (`unauthenticated`).",
    403: "The token's role may not do this (`forbidden`), or what it would change is outside "
    "the domains of the caller's teams (`outside-domain`).",
    404: "No such product (version) in the mesh (`product-not-found`), or its stream is gone.",
    409: "The product's state refuses it: a lifecycle rule (`lifecycle-refused`), a deprecated "
    "product taking no new consumers (`not-accepting-consumers`), a concurrent change, or a "
    "record in the stream that is not an event of the product (`unreadable-event`).",
    422: "The request is invalid: fields (`invalid-request`), a descriptor "
    "(`invalid-descriptor`), a plan with errors (`plan-refused`), events that break the "
    "schema (`invalid-event`); `details` lists every problem.",
    429: "Too many waiting requests at once (`too-many-waits`); retry after the "
    "`Retry-After` header's seconds.",
    503: "The metadata store or the event log is unavailable; retry.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers for ``statuses`` (plus 401, 422 and 503, which every
    route can give)."""
    return {
        status: {"model": ErrorReply, "description": _MEANINGS[status]}
        for status in sorted({401, 422, 503, *statuses})
    }
