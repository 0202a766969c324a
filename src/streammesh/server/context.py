"""``ServerContext``: the services one server process works with, reachable from a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fastapi import FastAPI, Request

from streammesh.config import MetricsAccess
from streammesh.identity import Principal
from streammesh.registry.base import SchemaRegistry

if TYPE_CHECKING:
    from streammesh.access import AccessControl, AccessService
    from streammesh.control import ControlPlane
    from streammesh.governance import GovernanceService
    from streammesh.lineage import MeshLineage
    from streammesh.log import EventLog
    from streammesh.notify import NotificationService
    from streammesh.privacy import KeyStore


class TokenVerifier(Protocol):
    """The part of the token store the HTTP layer needs."""

    def verify(self, secret: str) -> Principal | None: ...


@dataclass(frozen=True, slots=True)
class ServerContext:
    """What the routes call.

    Attributes:
        registry: The schema registry (``/registry`` and the product routes).
        tokens: The token verifier.
        plane: The control plane behind ``/api/v1``; ``None`` in an app built for the
            registry alone, whose ``/api/v1`` routes then answer 503.
        log: The event log the product routes produce to and read from.
        access: Accounts, access requests and grants (``/api/v1/principals``,
            ``/api/v1/access``); ``None`` answers 503 there.
        access_control: The grant checks of remote produce and consume; ``None`` answers 503
            there.
        privacy: The data keys (``/api/v1/products/{reference}/forget``); ``None`` answers
            503 there.
        governance: Policies, proposals and the compliance report (``/api/v1/governance``);
            ``None`` answers 503 there.
        notifications: Subscriptions, the inbox, dead letters and incidents
            (``/api/v1/subscriptions``, ``/api/v1/inbox``, ...); ``None`` answers 503 there.
        lineage: The lineage graph and OpenLineage runs (``/api/v1/lineage``,
            ``/api/v1/openlineage``); ``None`` answers 503 there.
        metrics_access: Who may read ``/metrics`` without a token (``server.metrics`` in
            ``mesh.yaml``; loopback clients by default).
    """

    registry: SchemaRegistry
    tokens: TokenVerifier
    plane: ControlPlane | None = None
    log: EventLog | None = None
    access: AccessService | None = None
    access_control: AccessControl | None = None
    privacy: KeyStore | None = None
    governance: GovernanceService | None = None
    lineage: MeshLineage | None = None
    notifications: NotificationService | None = None
    metrics_access: MetricsAccess = MetricsAccess.LOOPBACK


def attach_context(app: FastAPI, context: ServerContext) -> None:
    """Make ``context`` what :func:`server_context` returns for requests to ``app``."""
    app.state.streammesh = context


def server_context(request: Request) -> ServerContext:
    """The context of the app serving ``request``."""
    context = request.app.state.streammesh
    if not isinstance(context, ServerContext):  # pragma: no cover - wiring mistake
        raise TypeError("the app was not built by streammesh.server.app.create_app")
    return context
