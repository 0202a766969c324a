"""Real receivers for notification tests: an HTTP webhook receiver (``http.server`` in a
thread) that answers a scripted sequence of statuses, an SMTP server (``aiosmtpd``) that keeps
what it receives, and a mesh with a product, a consuming application and its team."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from streammesh.config import MeshConfig
from streammesh.control import ProductSource
from streammesh.control.records import ApplicationRole
from streammesh.identity import AccountKind, AccountStore
from streammesh.log import LogConfig
from streammesh.notify import AllowedTarget, NotifySettings, SmtpSettings, WebhookTargets
from streammesh.products.lifecycle import LifecyclePolicy
from streammesh.products.loading import parse_descriptor
from streammesh.runtime import MeshRuntime
from tests.support.processes import free_port

TRADES = "execution.trades"
CONSUMER_APP = "fraud-detector"
CONSUMER_TEAM = "risk-team"
CONSUMER_TEAM_EMAIL = "risk@example.com"

LOCAL_HOOKS = WebhookTargets((AllowedTarget.parse("127.0.0.1"),))
"""The receivers here listen on loopback, which webhooks may reach only when an admin allows
it; tests allow it the way ``mesh.yaml`` does (:data:`LOCAL_HOOKS_YAML`)."""
LOCAL_HOOKS_YAML = 'notifications:\n  webhooks:\n    allow: ["127.0.0.1"]\n'

_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Trade",
        "fields": [
            {"name": "id", "type": "string", "doc": "Identifier."},
            {"name": "amount", "type": "double", "doc": "Amount in euros."},
        ],
    }
)


@dataclass(frozen=True)
class Hook:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Answers POSTs with ``statuses`` in turn (then 200) and records each."""

    statuses: list[int] = field(default_factory=list)
    received: list[Hook] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/mesh"

    def bodies(self) -> list[Any]:
        return [hook.json() for hook in self.received]


@dataclass
class SmtpSink:
    """Messages an ``aiosmtpd`` server received."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def run_receiver(receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                receiver.received.append(
                    Hook(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def settings_for(sink: SmtpSink | None, *, max_attempts: int = 3) -> NotifySettings:
    """Fast retries for tests: 50 ms, doubling."""
    smtp = SmtpSettings("127.0.0.1", sink.port, "mesh@example.com") if sink else None
    return NotifySettings(
        smtp=smtp,
        max_attempts=max_attempts,
        backoff=timedelta(milliseconds=50),
        backoff_max=timedelta(seconds=1),
        webhook_timeout_s=5.0,
        webhook_targets=LOCAL_HOOKS,
    )


def descriptor(name: str, team: str, *, version: int = 1, upstreams: str = "") -> str:
    return (
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: Trades for notification tests.\n"
        "alignment: source\n"
        "kind: measurement\n"
        "key: {field: id, type: string}\n"
        "schema: trades.avsc\n"
        f"version: {version}\n"
        "partitions: xs\n"
        "sla: {tier: 2}\n"
        "status: published\n"
        f"{upstreams}"
    )


def open_mesh(
    home: Path,
    *,
    log_url: str | None = None,
    store_url: str | None = None,
    topic_suffix: str = "",
    log_config: LogConfig | None = None,
) -> MeshRuntime:
    """A mesh with ``execution.trades`` v1 and v2 (team ``execution-team``), team
    ``risk-team`` (e-mail ``risk@example.com``) whose service account ``fraud-detector``
    consumes v1; its log opened with ``log_config``."""
    home.mkdir(parents=True, exist_ok=True)
    config = MeshConfig(
        home=home,
        log_url=log_url or f"embedded://{home / 'log'}",
        store_url=store_url or f"sqlite:///{home / 'meta.db'}",
        lifecycle=LifecyclePolicy(
            min_published_before_deprecate=timedelta(0), min_deprecated_before_retire=timedelta(0)
        ),
    )
    mesh = MeshRuntime.open(config, log_config)
    mesh.plane.apply(
        [ProductSource(parse_descriptor(descriptor(TRADES, "execution-team")), _SCHEMA, "t1")],
        actor="admin",
    )
    mesh.plane.apply(
        [
            ProductSource(
                parse_descriptor(descriptor(TRADES, "execution-team", version=2)), _SCHEMA, "t2"
            )
        ],
        actor="admin",
    )
    mesh.plane.register_team(
        CONSUMER_TEAM, domain=None, email=CONSUMER_TEAM_EMAIL, description=None, actor="admin"
    )
    AccountStore(mesh.store).create(
        CONSUMER_APP, AccountKind.SERVICE_ACCOUNT, team=CONSUMER_TEAM, actor="admin"
    )
    mesh.plane.register_application(
        f"{TRADES}.v1", CONSUMER_APP, role=ApplicationRole.CONSUMER, principal=CONSUMER_APP
    )
    return mesh


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
