"""``ServerContext``: the open mesh runtime and the token verifier, reachable from a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fastapi import FastAPI, Request

from streammesh.identity import Principal
from streammesh.runtime import MeshRuntime


class TokenVerifier(Protocol):
    """The part of the token store the HTTP layer needs."""

    def verify(self, secret: str) -> Principal | None: ...


@dataclass(frozen=True, slots=True)
class ServerContext:
    """What the routes call.

    Attributes:
        runtime: The open mesh: every service the routes use (see
            :class:`~streammesh.runtime.MeshRuntime`).
        tokens: The token verifier.
    """

    runtime: MeshRuntime
    tokens: TokenVerifier


def attach_context(app: FastAPI, context: ServerContext) -> None:
    """Make ``context`` what :func:`server_context` returns for requests to ``app``."""
    app.state.streammesh = context


def server_context(request: Request) -> ServerContext:
    """The context of the app serving ``request``."""
    context = request.app.state.streammesh
    if not isinstance(context, ServerContext):  # pragma: no cover - wiring mistake
        raise TypeError("the app was not built by streammesh.server.app.create_app")
    return context
