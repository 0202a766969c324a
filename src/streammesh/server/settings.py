"""``ServerSettings``: where the mesh is, where to listen, which log and metadata store to use,
and how large a request may be (``RequestLimits``, ``server.request_limits`` in ``mesh.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ByteSize, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from streammesh.config import MeshConfig
    from streammesh.log import LogConfig
    from streammesh.store import StoreTimeouts

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEPENDENCY_TIMEOUT_S = 5.0
"""How long the server waits for the Kafka cluster before the request answers 503."""
LIMITS_SECTION = "request_limits"
"""The key under ``server`` in ``mesh.yaml`` that sets :class:`RequestLimits`."""

_MIB = 1024 * 1024


class RequestLimits(BaseModel):
    """The largest request body per route family, and the deepest JSON body.

    Sizes are bytes, or a size such as ``2MiB`` in ``mesh.yaml``::

        server:
          request_limits:
            registry: 1MiB      # /registry (Confluent-compatible schema registry)
            api: 1MiB           # /api/v1, but producing events
            events: 16MiB       # POST /api/v1/products/{reference}/events
            ui: 1MiB            # the web UI's forms, and every other path
            json_depth: 64      # nesting of a JSON body, any route

    Attributes:
        registry: Bodies under ``/registry``.
        api: Bodies under ``/api/v1`` other than event batches.
        events: Event batches produced through ``POST /api/v1/products/{reference}/events``.
        ui: Every other body (the web UI's forms).
        json_depth: Levels of nested arrays and objects in a JSON body.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    registry: ByteSize = Field(default=ByteSize(_MIB), gt=0)
    api: ByteSize = Field(default=ByteSize(_MIB), gt=0)
    events: ByteSize = Field(default=ByteSize(16 * _MIB), gt=0)
    ui: ByteSize = Field(default=ByteSize(_MIB), gt=0)
    json_depth: int = Field(default=64, ge=2, le=512)


class ServerSettings(BaseModel):
    """Settings of one server process.

    Attributes:
        mesh: the mesh directory (``$STREAMMESH_HOME`` or ``./.streammesh`` when started by
            ``streammesh up``); created if missing.
        host: the address to listen on; loopback unless told otherwise.
        port: the TCP port (0 picks a free one).
        log_url: the event log's URL; ``None`` means what the mesh's configuration says
            (``$STREAMMESH_LOG``, ``mesh.yaml``, else the embedded log ``<mesh>/log``).
        store_url: the metadata store's SQLAlchemy URL; ``None`` means what the mesh's
            configuration says (``$STREAMMESH_STORE``, ``mesh.yaml``, else ``<mesh>/meta.db``).
        limits: request size limits; ``None`` means ``server.request_limits`` in
            ``mesh.yaml``, else the defaults of :class:`RequestLimits`.
        host_streams: whether this process hosts the stream applications deployed with
            placement ``server`` (``streammesh up --no-streams`` leaves them to another
            process).
        run_workers: whether this process runs the background work at all (notifications,
            SLO checks, hosting); ``streammesh up --no-workers`` serves the API only and
            ``streammesh worker`` runs the work elsewhere.
        dependency_timeout_s: how long a request to the Kafka cluster may take, and a
            produced record may wait for its acknowledgement, before the request that needs
            it answers 503 (a load balancer then sends the client elsewhere); a statement on
            PostgreSQL may run as long (see :meth:`store_timeouts`).
        kafka_options: ``kafka.security`` settings given on the command line (``--kafka-*``),
            winning over ``$STREAMMESH_KAFKA_*`` and ``mesh.yaml``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mesh: Path
    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    log_url: str | None = None
    store_url: str | None = None
    limits: RequestLimits | None = None
    host_streams: bool = True
    run_workers: bool = True
    dependency_timeout_s: float = Field(default=DEPENDENCY_TIMEOUT_S, gt=0)
    kafka_options: dict[str, str] = {}

    def request_limits(self) -> RequestLimits:
        """:attr:`limits` if given, else ``server.request_limits`` in the mesh's
        ``mesh.yaml``, else the defaults.

        Raises:
            ConfigError: ``mesh.yaml`` cannot be read, or the section is invalid.
        """
        if self.limits is not None:
            return self.limits
        from streammesh.bounded_yaml import load_yaml
        from streammesh.config import CONFIG_FILE
        from streammesh.errors import ConfigError

        path = self.mesh / CONFIG_FILE
        try:
            raw = load_yaml(path.read_text(encoding="utf-8")) if path.is_file() else None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot be read as YAML: {exc}") from None
        server = raw.get("server") if isinstance(raw, dict) else None
        section = server.get(LIMITS_SECTION) if isinstance(server, dict) else None
        try:
            return RequestLimits.model_validate(section or {})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors(include_url=False)
            )
            raise ConfigError(
                f"'server.{LIMITS_SECTION}' in {path} is invalid ({problems})"
            ) from None

    def mesh_config(self) -> MeshConfig:
        """The mesh's configuration, these settings' URLs winning over the environment and
        ``mesh.yaml``.

        Raises:
            ConfigError: the mesh's ``mesh.yaml`` cannot be used.
        """
        # Imported here so that settings can be built (and validated) without reading
        # configuration files, e.g. by ``--help``.
        from streammesh.config import MeshConfig

        return MeshConfig.load(
            self.mesh,
            log_url=self.log_url,
            store_url=self.store_url,
            kafka_options=self.kafka_options,
        )

    def log_config(self) -> LogConfig:
        """How the server's log clients are bounded in time (:attr:`dependency_timeout_s`)."""
        from streammesh.log import LogConfig

        timeout = self.dependency_timeout_s
        return LogConfig(request_timeout_s=timeout, delivery_timeout_s=timeout)

    def store_timeouts(self) -> StoreTimeouts:
        """How the server's PostgreSQL waits are bounded (:attr:`dependency_timeout_s`): a
        request needing a database that does not answer answers 503 within it plus 3 s."""
        from streammesh.store import StoreTimeouts

        return StoreTimeouts.for_requests(self.dependency_timeout_s)

    @property
    def resolved_store_url(self) -> str:
        """The metadata store the server uses (see :attr:`store_url`)."""
        return self.mesh_config().store_url

    @property
    def url(self) -> str:
        """The base URL clients use (IPv6 literals bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
