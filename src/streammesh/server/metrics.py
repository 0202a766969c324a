"""``GET /metrics``: the mesh in Prometheus' text format, read when scraped.

A custom collector asks the mesh for current values at each scrape (the server keeps no
state of its own, so any replica answers the same): per product version its partitions' end
offsets, the events of the last minute, the newest event's time and its SLO statuses; per
consumer group registered by an application, its lag. HTTP request counts and latencies of
this process come from a middleware. ``/metrics`` holds counts and names, never event data;
who may read it without a token is ``server.metrics`` in ``mesh.yaml``: ``loopback`` (the
default: a Prometheus on the server's machine scrapes without one, anyone else needs a token),
``token`` (always a token) or ``open`` (no token, from anywhere).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streammesh.config import MetricsAccess
from streammesh.errors import MeshError
from streammesh.log import TopicNotFound
from streammesh.observe import MeshMonitor, RegisteredGroup, SloStatus
from streammesh.server.auth import authenticate_now
from streammesh.server.context import server_context

_LOGGER = logging.getLogger(__name__)

router = APIRouter(tags=["monitoring"])


class MeshCollector(Collector):
    """Reads the mesh's current figures on every scrape."""

    def __init__(self, monitor: MeshMonitor) -> None:
        self._monitor = monitor

    def collect(self) -> Iterator[Metric]:
        end = GaugeMetricFamily(
            "streammesh_product_end_offset",
            "The offset the next event of a partition will get.",
            labels=["product", "partition"],
        )
        recent = GaugeMetricFamily(
            "streammesh_product_events_last_minute",
            "Events whose timestamp falls in the last minute.",
            labels=["product"],
        )
        last = GaugeMetricFamily(
            "streammesh_product_last_event_timestamp_seconds",
            "Timestamp of the newest event (Unix seconds).",
            labels=["product"],
        )
        slo = GaugeMetricFamily(
            "streammesh_product_slo_breached",
            "1 while an SLO of the product is breached, 0 while it is met.",
            labels=["product", "slo"],
        )
        lag = GaugeMetricFamily(
            "streammesh_consumer_group_lag",
            "Events between a registered consumer group's committed offset and the end.",
            labels=["group", "product", "partition"],
        )
        up = GaugeMetricFamily(
            "streammesh_up", "1 when the mesh's store and log answered this scrape."
        )
        healthy = 1
        try:
            self._products(end, recent, last)
            for state in self._monitor.slo_states():
                breached = 1 if state.status is SloStatus.BREACHED else 0
                slo.add_metric([state.reference, state.slo.value], breached)
            for group in self._groups():
                for found in self._monitor.lag(group.group, group.product.reference):
                    for partition in found.partitions:
                        labels = [group.group, found.product, str(partition.partition)]
                        lag.add_metric(labels, partition.lag)
        except MeshError as exc:  # a scrape must answer; say the mesh is down instead
            _LOGGER.warning("metrics incomplete: %s", exc)
            healthy = 0
        up.add_metric([], healthy)
        yield from (up, end, recent, last, slo, lag)

    def _products(
        self, end: GaugeMetricFamily, recent: GaugeMetricFamily, last: GaugeMetricFamily
    ) -> None:
        for record in self._monitor.live_products():
            try:
                # Bytes are not exported: counting events needs offsets only, not reading.
                metrics = self._monitor.product_metrics(record.reference, max_read=0)
            except TopicNotFound:  # retired while scraping
                continue
            for partition in metrics.partitions:
                end.add_metric([metrics.product, str(partition.partition)], partition.end)
            recent.add_metric([metrics.product], metrics.events_in_window)
            if metrics.last_event_at is not None:
                last.add_metric([metrics.product], metrics.last_event_at.timestamp())

    def _groups(self) -> list[RegisteredGroup]:
        seen: set[tuple[str, str]] = set()
        unique = []
        for group in self._monitor.registered_groups():
            key = (group.group, group.product.reference)
            if key not in seen:
                seen.add(key)
                unique.append(group)
        return unique


class HttpMetrics:
    """Request counts and latencies of this server process, by route template."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "streammesh_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "streammesh_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Count one answered request and its time."""
        route = _route_template(scope)
        self.requests.labels(scope["method"], route, str(status)).inc()
        self.latency.labels(scope["method"], route).observe(seconds)


class _HttpMetricsMiddleware:
    """Times each HTTP request (a plain ASGI middleware: Starlette's ``BaseHTTPMiddleware``
    runs every request through extra tasks and streams, a third of a registry read's cost)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self._app(scope, receive, send_noting_status)
        if status is not None:
            self._metrics.observe(scope, status, time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The matched route's template with its router's prefix (``/api/v1/products/{reference}``):
    one series per route, not one per product or id."""
    found = scope.get("route")
    template = getattr(found, "path_format", None)
    if not isinstance(template, str):
        return "unmatched"
    path: str = scope["path"]
    try:
        concrete = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    # Routers nested with a prefix keep their templates relative to it.
    return path[: len(path) - len(concrete)] + template if path.endswith(concrete) else template


def install_http_metrics(app: FastAPI) -> None:
    """Count and time every request ``app`` answers, for ``/metrics``."""
    metrics = HttpMetrics()
    app.state.streammesh_http_metrics = metrics
    app.add_middleware(_HttpMetricsMiddleware, metrics=metrics)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition format.",
        }
    },
)
def metrics(request: Request) -> Response:
    """The mesh's metrics in Prometheus' text format. By default clients on the server's own
    machine (loopback) need no token and others do; `server.metrics` in `mesh.yaml` makes it
    `token` (always needs one) or `open` (never does)."""
    _check_access(request)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MeshCollector(server_context(request).runtime.monitor))
    body = generate_latest(registry)
    http = getattr(request.app.state, "streammesh_http_metrics", None)
    if isinstance(http, HttpMetrics):
        with contextlib.suppress(ValueError):
            body += generate_latest(http.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _check_access(request: Request) -> None:
    """Let the request through if the server's ``metrics_access`` allows it without a token,
    else authenticate it (``AuthenticationRequired``: 401)."""
    access = server_context(request).runtime.config.metrics_access
    if access is MetricsAccess.OPEN:
        return
    if access is MetricsAccess.LOOPBACK and _from_loopback(request):
        return
    authenticate_now(request)


def _from_loopback(request: Request) -> bool:
    # The TCP peer's address: a reverse proxy on the same machine makes every client look
    # local, which is why the documentation says to choose ``token`` behind one.
    if request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:  # not an address (e.g. a test client's name)
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1 on a dual-stack socket
    return address.is_loopback
