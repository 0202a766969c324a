"""``streammesh worker``: the mesh's background work without the API.

It runs what ``streammesh up`` runs beside the API (see :mod:`streammesh.workers`):
notification delivery and the event relay's catch-up, the SLO checks, and the stream
applications and connectors placed on the server. Start API replicas with
``up --no-workers`` and one or more workers; several workers share the work as consumer
groups. Ctrl-C or SIGTERM (what systemd and Kubernetes send) stops it cleanly: each part
finishes its round, commits and leaves its groups. A worker that stops progressing is
reported on stderr (and again when it recovers). With ``--health-port`` the process answers
``/healthz`` (liveness) and ``/readyz`` (the store, the log, the key service and its workers'
heartbeats, as a replica's ``/readyz``) over plain HTTP, for a supervisor's probes.
"""

from __future__ import annotations

import json
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from streammesh.cli.errors import CannotListen
from streammesh.cli.interrupt import GracefulInterrupt
from streammesh.cli.kafka_options import (
    KafkaCaOption,
    KafkaCertificateOption,
    KafkaKeyOption,
    KafkaMechanismOption,
    KafkaProtocolOption,
    KafkaUsernameOption,
    kafka_options,
)
from streammesh.cli.options import LogOption, MeshOption, StoreOption
from streammesh.cli.settings import CliSettings
from streammesh.config import MeshConfig
from streammesh.server import DEFAULT_HOST

if TYPE_CHECKING:
    from streammesh.runtime import MeshRuntime
    from streammesh.workers import Workers

_CHECK_EVERY_S = 1.0
"""How often the command looks for a stop request and for stuck workers."""


class HealthServer:
    """``/healthz`` and ``/readyz`` of a worker process, on a plain HTTP server in a thread.

    ``/readyz`` runs the server's readiness probe (:class:`ReadinessProbe`) on the worker's
    runtime and heartbeats.

    Raises:
        CannotListen: The address cannot be bound.
    """

    def __init__(self, host: str, port: int, runtime: MeshRuntime, workers: Workers) -> None:
        # Here, not at the top: asyncio and http.server are only for ``--health-port``.
        import asyncio
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from streammesh.server import ReadinessProbe, dependency_checks

        probe = ReadinessProbe(lambda: dependency_checks(runtime), lambda: workers.heartbeats)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = 404, {"error": "not found: /healthz and /readyz only"}
                if self.path == "/healthz":
                    status, body = 200, {"status": "ok"}
                elif self.path == "/readyz":
                    readiness = asyncio.run(probe.readiness())
                    status = 200 if readiness.status == "ready" else 503
                    body = readiness.model_dump()
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # probes every few seconds would flood the output

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise CannotListen(
                host, port, exc.strerror or str(exc), option="--health-port"
            ) from exc
        self._server.daemon_threads = True
        bound = self._server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{bound}"
        threading.Thread(
            target=self._server.serve_forever, name="streammesh-worker-health", daemon=True
        ).start()

    def close(self) -> None:
        """Stop answering."""
        self._server.shutdown()
        self._server.server_close()


def worker(
    ctx: typer.Context,
    mesh: MeshOption = None,
    store: StoreOption = None,
    log: LogOption = None,
    kafka_security_protocol: KafkaProtocolOption = None,
    kafka_sasl_mechanism: KafkaMechanismOption = None,
    kafka_sasl_username: KafkaUsernameOption = None,
    kafka_ssl_ca_location: KafkaCaOption = None,
    kafka_ssl_certificate_location: KafkaCertificateOption = None,
    kafka_ssl_key_location: KafkaKeyOption = None,
    no_streams: Annotated[
        bool,
        typer.Option(
            "--no-streams",
            help="Do not host the stream applications and connectors placed on the server "
            "(another process does).",
        ),
    ] = False,
    health_port: Annotated[
        int | None,
        typer.Option(
            "--health-port",
            min=0,
            max=65535,
            metavar="N",
            help="Answer /healthz and /readyz on this port (0: a free one). Default: no HTTP.",
        ),
    ] = None,
    health_host: Annotated[
        str,
        typer.Option("--health-host", metavar="HOST", help="Address of --health-port."),
    ] = DEFAULT_HOST,
) -> None:
    """Run the mesh's background work without the API: notifications and the event relay,
    SLO checks, and the stream applications and connectors placed on the server."""
    # Imported here: every other command starts without the services.
    from streammesh.runtime import MeshRuntime
    from streammesh.workers import start_workers

    log = log or ctx.ensure_object(CliSettings).log_url
    security = kafka_options(
        ctx,
        protocol=kafka_security_protocol,
        sasl_mechanism=kafka_sasl_mechanism,
        sasl_username=kafka_sasl_username,
        ssl_ca_location=kafka_ssl_ca_location,
        ssl_certificate_location=kafka_ssl_certificate_location,
        ssl_key_location=kafka_ssl_key_location,
    )
    config = MeshConfig.load(mesh, log_url=log, store_url=store, kafka_options=security)
    config.home.mkdir(parents=True, exist_ok=True)
    with (
        GracefulInterrupt(signal.SIGINT, signal.SIGTERM) as interrupt,
        MeshRuntime.open(config) as runtime,
    ):
        workers = start_workers(runtime, hosting=not no_streams)
        health_server: HealthServer | None = None
        try:
            typer.echo(f"streammesh worker on {config.home} running: {', '.join(workers.names)}")
            if health_port is not None:
                health_server = HealthServer(health_host, health_port, runtime, workers)
                url = health_server.url
                typer.echo(f"Health: {url}/healthz, readiness: {url}/readyz")
            typer.echo("Press Ctrl-C to stop.")
            stuck: set[str] = set()
            while not interrupt.requested:
                threading.Event().wait(_CHECK_EVERY_S)
                for beat in workers.heartbeats:
                    health = beat.health()
                    if health.stuck and health.name not in stuck:
                        stuck.add(health.name)
                        typer.echo(
                            f"warning: {health.name} has made no progress for "
                            f"{health.idle_s:.0f} s (retrying; see the log above)",
                            err=True,
                        )
                    elif not health.stuck and health.name in stuck:
                        stuck.discard(health.name)
                        typer.echo(f"{health.name} is progressing again", err=True)
            typer.echo("Stopping: each part finishes its round...")
        finally:
            if health_server is not None:
                health_server.close()
            workers.stop()
    typer.echo("streammesh worker stopped.")
