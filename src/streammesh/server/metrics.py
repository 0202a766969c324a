"""``GET /metrics``: the mesh in Prometheus' text format, read when scraped.

A custom collector asks the mesh for current values at each scrape (the server keeps no
state of its own, so any replica answers the same): per product version its partitions' end
offsets, the events of the last minute, the newest event's time and its SLO statuses; per
consumer group registered by an application, its lag. HTTP request counts and latencies of
this process come from a middleware; the notifier's lag on ``_mesh.events`` and the event
relay's backlog (audit rows not yet on the topic) show whether notifications keep up.

A scrape never waits on a dependency for long: the mesh's figures are collected in a thread
of their own, at most once per :data:`REFRESH_S`, and a scrape waits for a collection at most
:data:`COLLECT_TIMEOUT_S`; past that it is answered with the last figures collected,
``streammesh_up 0`` and their age in ``streammesh_metrics_age_seconds``. ``/metrics`` holds
counts and names, never event data;
who may read it without a token is ``server.metrics`` in ``mesh.yaml``: ``loopback`` (the
default: a Prometheus on the server's machine scrapes without one, anyone else needs a token),
``token`` (always a token) or ``open`` (no token, from anywhere).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streammesh.audit import relay_backlog
from streammesh.config import MetricsAccess
from streammesh.errors import MeshError
from streammesh.log import TopicNotFound, partition_lags
from streammesh.notify import load_notify_settings
from streammesh.observe import RegisteredGroup, SloStatus
from streammesh.runtime import MeshRuntime
from streammesh.server.auth import authenticate_now
from streammesh.server.context import server_context

_LOGGER = logging.getLogger(__name__)

router = APIRouter(tags=["monitoring"])


REFRESH_S = 1.0
"""The mesh's figures are collected at most this often, however often ``/metrics`` is read."""
COLLECT_TIMEOUT_S = 2.0
"""How long a scrape waits for the figures before answering with the last ones collected."""


class MeshCollector(Collector):
    """Reads the mesh's current figures when collected (see :class:`MeshFigures`).

    :attr:`healthy` says whether the store and the log answered the last collection (the
    scrape writes ``streammesh_up``, knowing also whether the figures came in time).
    """

    def __init__(self, runtime: MeshRuntime) -> None:
        self._runtime = runtime
        self._monitor = runtime.monitor
        self.healthy = False

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
        notifier = GaugeMetricFamily(
            "streammesh_notifier_lag",
            "Mesh events the notifier's consumer group has still to read, per partition.",
            labels=["partition"],
        )
        relay_rows = GaugeMetricFamily(
            "streammesh_event_relay_pending",
            "Audit rows the event relay has not yet appended to the mesh events topic.",
        )
        relay_age = GaugeMetricFamily(
            "streammesh_event_relay_oldest_pending_seconds",
            "Age of the oldest audit row not yet relayed (0 when none is pending).",
        )
        healthy = 1
        try:
            backlog = relay_backlog(self._runtime.store)
            relay_rows.add_metric([], backlog.rows)
            oldest = backlog.oldest_at
            relay_age.add_metric([], (datetime.now(UTC) - oldest).total_seconds() if oldest else 0)
            self._notifier_lag(notifier)
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
        self.healthy = bool(healthy)
        yield from (end, recent, last, slo, lag, notifier, relay_rows, relay_age)

    def _notifier_lag(self, notifier: GaugeMetricFamily) -> None:
        settings = load_notify_settings(self._runtime.config.home)
        try:
            lags = partition_lags(self._runtime.log, settings.group, settings.topic)
        except TopicNotFound:  # no mesh event yet: nothing to read
            return
        for partition in lags:
            notifier.add_metric([str(partition.partition)], partition.lag)

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


@dataclass(frozen=True, slots=True)
class _Collected:
    body: bytes  # the mesh's figures but streammesh_up, in the text format
    healthy: bool
    at: float  # time.monotonic() when collected


class MeshFigures:
    """The mesh's figures, collected in a daemon thread at most once per :data:`REFRESH_S`;
    a scrape waits for them at most :data:`COLLECT_TIMEOUT_S` (a store or log that hangs
    holds that thread, never the scrape)."""

    def __init__(self, collect: Callable[[], tuple[bytes, bool]]) -> None:
        self._collect = collect
        self._lock = threading.Lock()
        self._running: Future[_Collected] | None = None
        self._last: _Collected | None = None

    def latest(self) -> tuple[bytes, bool, float | None]:
        """The figures (text format, without ``streammesh_up``), whether the mesh answered
        them in time, and their age in seconds (``None``: none collected yet)."""
        with self._lock:
            running = self._running
            fresh = self._last is not None and time.monotonic() - self._last.at < REFRESH_S
            if running is None or (running.done() and not fresh):
                running = self._running = self._start()
        with contextlib.suppress(FutureTimeout):
            found = running.result(timeout=COLLECT_TIMEOUT_S)
            with self._lock:
                if self._last is None or found.at > self._last.at:
                    self._last = found
        last = self._last
        if last is None:
            return b"", False, None
        in_time = running.done()
        return last.body, last.healthy and in_time, time.monotonic() - last.at

    def _start(self) -> Future[_Collected]:
        future: Future[_Collected] = Future()

        def run() -> None:
            try:
                body, healthy = self._collect()
            except Exception as exc:  # a collection must report, never die
                _LOGGER.warning("metrics not collected: %s", exc)
                body, healthy = b"", False
            future.set_result(_Collected(body, healthy, time.monotonic()))

        threading.Thread(target=run, name="streammesh-metrics", daemon=True).start()
        return future


def _collect_mesh(runtime: MeshRuntime) -> tuple[bytes, bool]:
    collector = MeshCollector(runtime)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry), collector.healthy


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
    figures, healthy, age = _figures(request).latest()
    up = GaugeMetricFamily(
        "streammesh_up", "1 when the mesh's store and log answered the figures in time."
    )
    up.add_metric([], 1 if healthy else 0)
    aged = GaugeMetricFamily(
        "streammesh_metrics_age_seconds", "How old the mesh's figures in this answer are."
    )
    if age is not None:
        aged.add_metric([], age)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(up, aged))
    body = generate_latest(registry) + figures
    http = getattr(request.app.state, "streammesh_http_metrics", None)
    if isinstance(http, HttpMetrics):
        with contextlib.suppress(ValueError):
            body += generate_latest(http.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class _Families(Collector):
    def __init__(self, *families: Metric) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def _figures(request: Request) -> MeshFigures:
    state = request.app.state
    figures = getattr(state, "streammesh_metrics", None)
    if not isinstance(figures, MeshFigures):
        server_context(request)  # fail here on a wiring mistake, not in the thread
        # The context is read at each collection: a restarted app gets a new one.
        figures = state.streammesh_metrics = MeshFigures(
            lambda: _collect_mesh(state.streammesh.runtime)
        )
    return figures


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
