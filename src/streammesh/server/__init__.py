"""The streammesh server: FastAPI over the metadata store and the event log.

Started by ``streammesh up``. ``create_app(settings)`` builds the application; the routes
are grouped by API (``registry`` for the Confluent-compatible schema registry under
``/registry``, ``health``), ``auth`` resolves tokens to principals, and ``errors`` is the one
table that maps streammesh errors to HTTP statuses and Confluent ``error_code`` values.

``create_app`` and ``build_app`` are loaded on first use: the command line imports
``ServerSettings`` for every command, and must not pay for the web stack each time; so are
``ReadinessProbe`` and ``dependency_checks`` (``/readyz``'s probe, which ``streammesh worker
--health-port`` answers with too). ``settle_heap`` sets the garbage collector of the process
``streammesh up`` serves from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streammesh.server.settings import DEFAULT_HOST, DEFAULT_PORT, ServerSettings

if TYPE_CHECKING:
    from streammesh.server.app import build_app, create_app
    from streammesh.server.health import ReadinessProbe, dependency_checks
    from streammesh.server.heap import settle_heap


def __getattr__(name: str) -> Any:
    if name in ("build_app", "create_app"):
        from streammesh.server import app

        return getattr(app, name)
    if name in ("ReadinessProbe", "dependency_checks"):
        from streammesh.server import health

        return getattr(health, name)
    if name == "settle_heap":
        from streammesh.server import heap

        return heap.settle_heap
    raise AttributeError(f"module 'streammesh.server' has no attribute '{name}'")


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ReadinessProbe",
    "ServerSettings",
    "build_app",
    "create_app",
    "dependency_checks",
    "settle_heap",
]
