"""Bounded request bodies: an ASGI middleware in front of every route.

Each route family has its body limit (:class:`~streammesh.server.settings.RequestLimits`):
the schema registry, the REST API, event batches produced through the REST API, and the web
UI. A body over its limit is answered 413 in the error shape of the route (Confluent's under
``/registry``), before it is read: at once when ``Content-Length`` says so, else as soon as
the bytes received (chunked bodies included) pass the limit. A JSON body nested deeper than
``json_depth`` is answered 422 before any JSON parser (recursive, all of them) sees it.

A body within the limits is handed to the application unchanged.
"""

from __future__ import annotations

import copy
import re
from itertools import accumulate
from typing import Any, Literal

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streammesh.server.errors import (
    REGISTRY_PREFIX,
    RequestTooDeep,
    RequestTooLarge,
    ServerError,
    code_for,
    error_response,
)
from streammesh.server.settings import RequestLimits

__all__ = ["RequestLimiter", "limit_requests"]

Family = Literal["registry", "api", "events", "ui"]

_API_PREFIX = "/api/v1/"
# POST /api/v1/products/{reference}/events: the one route that takes batches of events.
_PRODUCE = re.compile(r"/api/v1/products/[^/]+/events/?")
# A JSON string (escapes included) or one bracket; strings are matched whole so that
# brackets inside them are not counted.
_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_ESCAPES = re.compile(rb"\\.", re.DOTALL)  # cut first, so that \" cannot end a string
_NOT_MARKS = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_SQUARE = bytes.maketrans(b"{}", b"[]")  # only the depth matters, not the kind of bracket
_STEPS = bytes.maketrans(b"[]", b"\x02\x00")
_ROUNDS = 4


def family_of(method: str, path: str) -> Family:
    """Which limit applies to a request."""
    if path == REGISTRY_PREFIX or path.startswith(REGISTRY_PREFIX + "/"):
        return "registry"
    if method == "POST" and _PRODUCE.fullmatch(path):
        return "events"
    if path.startswith(_API_PREFIX):
        return "api"
    return "ui"


def json_too_deep(body: bytes, max_depth: int) -> int | None:
    """The offset in ``body`` where its brackets nest deeper than ``max_depth``, else ``None``.

    Linear, without recursion and mostly in C: escapes are cut out and only quotes and
    brackets kept; pairs of adjacent quotes are dropped (which keeps every bracket on its side
    of a string), so only the quotes around brackets inside strings remain, and those strings
    are cut out. The innermost empty pairs (most brackets of an event batch) are removed a few
    rounds, each lowering the depth by one, and the depth of what is left is summed. Invalid
    JSON is left to the parser.
    """
    unescaped = _ESCAPES.sub(b"", body) if b"\\" in body else body
    marks = unescaped.translate(None, _NOT_MARKS)
    if marks.count(b"[") + marks.count(b"{") <= max_depth:
        return None
    # Two quotes in a row end and open strings (or open and end an empty one) with no bracket
    # between them: dropping them leaves which brackets are inside a string as it was. In a
    # body without brackets in its strings (an event batch) no quote is left at all.
    marks = marks.replace(b'""', b"")
    if b'"' in marks:  # every other piece between quotes is outside a string
        marks = b"".join(marks.split(b'"')[::2])
    brackets = marks.translate(_SQUARE)
    removed = 0
    while removed < _ROUNDS and (inner := brackets.replace(b"[]", b"")) != brackets:
        brackets, removed = inner, removed + 1
    steps = brackets.translate(_STEPS)  # an opening bracket 2, a closing one 0
    if removed + max(accumulate(step - 1 for step in steps), default=0) <= max_depth:
        return None
    return _deep_offset(body, max_depth)  # None if it was unbalanced rather than deep


def _deep_offset(body: bytes, max_depth: int) -> int | None:
    """Where ``body`` gets too deep (only run on a body already found too deep)."""
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        bracket = token.group()
        if bracket in (b"{", b"["):
            depth += 1
            if depth > max_depth:
                return token.start()
        elif bracket in (b"}", b"]"):
            depth -= 1
    return None


def _is_json(headers: Headers) -> bool:
    # FastAPI reads a body without a content type as JSON too.
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "" or media_type.endswith("/json") or media_type.endswith("+json")


class RequestLimiter:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: RequestLimits) -> None:
        self._app = app
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        family = family_of(scope["method"], scope["path"])
        limit = int(getattr(self._limits, family))
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, RequestTooLarge(family, limit, int(declared)))
            return
        messages: list[Message] = []
        size = 0
        more = True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # the client went away: let the app see it
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _refuse(scope, receive, send, RequestTooLarge(family, limit))
                return
            more = bool(message.get("more_body", False))
        if size and _is_json(headers):
            body = b"".join(m.get("body", b"") for m in messages)
            offset = json_too_deep(body, self._limits.json_depth)
            if offset is not None:
                await _refuse(scope, receive, send, RequestTooDeep(self._limits.json_depth, offset))
                return
        await self._app(scope, _replay(messages, receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives back the messages already read."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def _refuse(scope: Scope, receive: Receive, send: Send, error: ServerError) -> None:
    request = Request(scope)
    response = error_response(request, code_for(error), str(error))
    # The rest of the body is not wanted: ask the client not to reuse the connection for it.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def limit_requests(app: FastAPI, limits: RequestLimits) -> FastAPI:
    """Install the request limits on ``app`` (outermost, before any route reads a body), and
    document their answer on every operation that takes a body."""
    app.add_middleware(RequestLimiter, limits=limits)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()  # built once, then FastAPI's cached copy: the loop below is idempotent
        for item in document.get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    _document_too_large(operation.setdefault("responses", {}))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _document_too_large(responses: dict[str, Any]) -> None:
    """Add the 413 answer, in the shape of the operation's other errors, to ``responses``."""
    if "413" in responses:
        return
    answer: dict[str, Any] = {
        "description": "The request body is over the size limit of its route family "
        "(`request-too-large`; `server.request_limits` in `mesh.yaml`)."
    }
    shaped = next(
        (responses[status] for status in ("422", "400") if "content" in responses.get(status, {})),
        None,
    )
    if shaped is not None:
        answer["content"] = copy.deepcopy(shaped["content"])
    responses["413"] = answer
