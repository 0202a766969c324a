"""``streammesh worker`` runs the background work apart from the API: it says what it runs,
answers readiness probes, delivers notifications of changes made elsewhere, and stops cleanly
on SIGTERM;
``up --no-workers`` serves the API with no worker of its own."""

from __future__ import annotations

import io
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from streammesh.audit import AuditAction
from streammesh.notify import NotificationService, ScopeKind
from streammesh.server import create_app
from streammesh.server.settings import ServerSettings
from tests.support.streammesh_server import warm_streammesh
from tests.support.warm_processes import WarmProcess
from tests.unit.notify.servers import (
    LOCAL_HOOKS_YAML,
    TRADES,
    WebhookReceiver,
    open_mesh,
    run_receiver,
    settings_for,
    wait_for,
)

LINE_WITHIN_S = 60.0


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    yield from run_receiver(WebhookReceiver())


class _Lines:
    """A process's output lines, read in a thread so that waiting for one has a deadline."""

    def __init__(self, process: WarmProcess) -> None:
        self.seen: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stream = io.TextIOWrapper(process.stdout, encoding="utf-8")

        def pump() -> None:
            for line in stream:
                self._lines.put(line)
            self._lines.put(None)

        self._stream = stream
        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()

    def close(self) -> None:
        """Once the process has ended: the rest of its output read, the pipe closed."""
        self._pump.join(timeout=LINE_WITHIN_S)
        self._stream.close()

    def wait_for(self, text: str, within_s: float = LINE_WITHIN_S) -> str:
        deadline = time.monotonic() + within_s
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} in time: {self.seen}") from None
            if line is None:
                raise AssertionError(f"output ended before {text!r}: {self.seen}")
            self.seen.append(line)
            if text in line:
                return line


@pytest.mark.slow
def test_the_worker_delivers_and_stops_cleanly_on_sigterm(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    home = tmp_path / "mesh"
    mesh = open_mesh(home)
    (home / "mesh.yaml").write_text(LOCAL_HOOKS_YAML, encoding="utf-8")
    service = NotificationService(mesh.store, mesh.plane, settings_for(None))
    service.subscribe(
        "ops",
        ScopeKind.MESH,
        webhook_url=receiver.url,
        actor="admin",
        events=[AuditAction.INCIDENT_DECLARED],
    )
    # A process of its own, forked from the warm interpreter the server tests start from.
    process = warm_streammesh().start(
        ["worker", "--mesh", str(home), "--health-port", "0"],
        merge_stderr=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        cwd=os.getcwd(),
    )
    lines = _Lines(process)
    try:
        running = lines.wait_for("running: ")
        assert "slo-checks, notifications, stream-apps, connectors" in running
        health_url = lines.wait_for("readiness: ").rsplit(" ", 1)[1].strip()
        assert httpx.get(health_url.replace("/readyz", "/healthz")).json() == {"status": "ok"}
        ready = httpx.get(health_url, timeout=LINE_WITHIN_S)
        assert ready.status_code == 200, ready.text
        assert {"store", "log", "worker:notifier", "worker:slo-checker"} <= set(
            ready.json()["checks"]
        )

        service.declare_incident(TRADES, message="lagging", actor="ada")  # another process
        wait_for(lambda: len(receiver.received) == 1, timeout=LINE_WITHIN_S)
        assert receiver.received[0].json()["type"] == "incident.declared"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=LINE_WITHIN_S) == 0, lines.seen
        lines.wait_for("streammesh worker stopped.")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        lines.close()
        mesh.close()


def test_an_api_only_server_runs_no_worker(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    app = create_app(ServerSettings(mesh=home, run_workers=False))
    with TestClient(app) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = set(ready.json()["checks"])
    assert {"store", "log"} <= checks
    assert not [name for name in checks if name.startswith("worker:")]
