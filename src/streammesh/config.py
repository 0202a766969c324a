"""``MeshConfig``: where a mesh keeps its data and metadata, and its configurable rules.

A mesh is a directory (``$STREAMMESH_HOME``, else ``./.streammesh``). By default it holds the
embedded event log (``<home>/log``) and the SQLite metadata store (``<home>/meta.db``), so it
needs no services. A ``mesh.yaml`` in the directory can point it at Kafka and PostgreSQL and
set the lifecycle rules::

    log: kafka://broker-1:9092
    store: postgresql+psycopg://mesh@db/mesh
    lifecycle:
      min_published_before_deprecate: 0d
      min_deprecated_before_retire: 30d
    consumers:
      active_window: 7d
    server:
      metrics: loopback   # /metrics without a token: loopback | token | open
      request_limits: {registry: 1MiB, api: 1MiB, events: 16MiB}   # bodies (docs/rest-api.md)
    kafka:
      acls: true      # grants become ACL bindings on the cluster (docs/access.md)
    connect:
      allowed_paths: [/srv/lake]   # folders server-hosted connectors may use (docs/connectors.md)
    privacy:
      kms: {type: local, key_env: STREAMMESH_MASTER_KEY}   # who wraps data keys (docs/privacy.md)

Explicit arguments (command-line options) win over the environment (``$STREAMMESH_LOG``,
``$STREAMMESH_STORE``), which wins over ``mesh.yaml``, which wins over the defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    PlainValidator,
    Tag,
    ValidationError,
    model_validator,
)

from streammesh.bounded_yaml import load_yaml
from streammesh.durations import parse_ms
from streammesh.errors import ConfigError
from streammesh.products import DEFAULT_POLICY, Duration, LifecyclePolicy

HOME_ENV = "STREAMMESH_HOME"
LOG_ENV = "STREAMMESH_LOG"
STORE_ENV = "STREAMMESH_STORE"
DEFAULT_HOME = ".streammesh"
CONFIG_FILE = "mesh.yaml"


def _minimum_time(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} has no unit; write a duration such as '0d', '12h' or '30d'")
    return timedelta(milliseconds=parse_ms(value))


MinimumTime = Annotated[timedelta, PlainValidator(_minimum_time)]
"""A minimum time between lifecycle stages; unlike descriptor durations, it may be zero."""


class _Lifecycle(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    min_published_before_deprecate: MinimumTime = DEFAULT_POLICY.min_published_before_deprecate
    min_deprecated_before_retire: MinimumTime = DEFAULT_POLICY.min_deprecated_before_retire


class _Consumers(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    active_window: Duration = timedelta(days=7)


class _Kafka(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    acls: bool = False


class _Connect(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    allowed_paths: list[Path] = []
    """Folders connectors hosted by the server may use besides the mesh directory."""


class _KmsModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalKeySource(_KmsModel):
    """Where a local master key is read from: a file or an environment variable, not both.

    A file holds 32 raw bytes or their base64 text; a variable holds the base64 text
    (``openssl rand -base64 32``). A relative file is inside the mesh directory.
    """

    key_file: Path | None = None
    key_env: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> LocalKeySource:
        if self.key_file is not None and self.key_env is not None:
            raise ValueError("give key_file or key_env, not both")
        return self


class LocalKmsSettings(LocalKeySource):
    """``privacy.kms`` with ``type: local``: a master key shared by every replica (the default:
    ``key_file: privacy/master.key``), and earlier keys that still unwrap during a rotation."""

    type: Literal["local"] = "local"
    previous: list[LocalKeySource] = []


class AwsKmsSettings(_KmsModel):
    """``privacy.kms`` with ``type: aws``: an AWS KMS key (id, ARN or ``alias/...``); the
    credentials are boto3's usual ones (environment, profile, instance role)."""

    type: Literal["aws"]
    key_id: str
    region: str | None = None
    endpoint_url: str | None = None
    """Another endpoint than AWS's (a VPC endpoint, or a stand-in in tests)."""


class PluginKmsSettings(_KmsModel):
    """``privacy.kms`` naming a key service installed in the ``streammesh.kms`` entry point
    group, with its own ``options``."""

    type: str
    options: dict[str, Any] = {}


def _kms_kind(value: Any) -> str:
    kind = value.get("type", "local") if isinstance(value, dict) else getattr(value, "type", "")
    return kind if kind in ("local", "aws") else "plugin"


_KMS_TAGS = ("local", "aws", "plugin")

KmsSettings = Annotated[
    Annotated[LocalKmsSettings, Tag("local")]
    | Annotated[AwsKmsSettings, Tag("aws")]
    | Annotated[PluginKmsSettings, Tag("plugin")],
    Discriminator(_kms_kind),
]
"""``privacy.kms`` in ``mesh.yaml``: which service wraps the data keys (docs/privacy.md)."""


class _Privacy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kms: KmsSettings = LocalKmsSettings()


class MetricsAccess(StrEnum):
    """Who may read the server's ``/metrics`` (``server.metrics`` in ``mesh.yaml``)."""

    LOOPBACK = "loopback"
    """Clients on the server's own machine without a token, others with one (the default)."""
    TOKEN = "token"
    """Only with a token, whoever asks."""
    OPEN = "open"
    """Anyone, without a token."""


class _Server(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    metrics: MetricsAccess = MetricsAccess.LOOPBACK
    request_limits: dict[str, Any] | None = None
    """Request body limits, validated by ``streammesh.server`` (``RequestLimits``)."""


class _ConfigFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    log: str | None = None
    store: str | None = None
    lifecycle: _Lifecycle = _Lifecycle()
    consumers: _Consumers = _Consumers()
    server: _Server = _Server()
    kafka: _Kafka = _Kafka()
    connect: _Connect = _Connect()
    privacy: _Privacy = _Privacy()
    notifications: dict[str, Any] | None = None
    """SMTP and delivery settings, validated by ``streammesh.notify`` (``load_notify_settings``)."""


def mesh_home(home: Path | None = None) -> Path:
    """``home``, else ``$STREAMMESH_HOME``, else ``./.streammesh``; made absolute."""
    chosen = home if home is not None else Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)
    return chosen.expanduser().resolve()


@dataclass(frozen=True, slots=True)
class MeshConfig:
    """The resolved configuration of one mesh.

    Attributes:
        home: The mesh directory.
        log_url: The event log (``embedded:///<home>/log`` by default).
        store_url: The metadata store (``sqlite:///<home>/meta.db`` by default).
        lifecycle: Minimum times between lifecycle stages.
        consumer_active_window: How recently a consumer must have been seen to be active.
        metrics_access: Who may read the server's ``/metrics`` without a token.
        kafka_acls: Whether grants are kept as ACL bindings on the Kafka cluster
            (``kafka.acls``; a Kafka log only).
        connect_paths: Folders connectors hosted by the server may use besides ``home``
            (``connect.allowed_paths``; relative ones are inside ``home``).
        kms: The key service wrapping data keys (``privacy.kms``; the local master key file
            ``privacy/master.key`` by default).
    """

    home: Path
    log_url: str
    store_url: str
    lifecycle: LifecyclePolicy = field(default_factory=lambda: DEFAULT_POLICY)
    consumer_active_window: timedelta = timedelta(days=7)
    metrics_access: MetricsAccess = MetricsAccess.LOOPBACK
    kafka_acls: bool = False
    connect_paths: tuple[Path, ...] = ()
    kms: KmsSettings = field(default_factory=LocalKmsSettings)

    @property
    def connector_folders(self) -> tuple[Path, ...]:
        """The folders connectors hosted by the server may use: the mesh directory, then
        ``connect.allowed_paths``."""
        return (self.home, *self.connect_paths)

    @property
    def embedded(self) -> bool:
        """Whether the event log is the embedded one (remote clients then go through REST)."""
        return self.log_url.startswith("embedded:")

    @classmethod
    def load(
        cls,
        home: Path | None = None,
        *,
        log_url: str | None = None,
        store_url: str | None = None,
    ) -> MeshConfig:
        """The configuration of the mesh at ``home`` (see the module docstring for precedence).

        Raises:
            ConfigError: ``mesh.yaml`` is not valid YAML or has unknown or invalid settings.
        """
        directory = mesh_home(home)
        file = _read(directory / CONFIG_FILE)
        log = log_url or os.environ.get(LOG_ENV) or file.log
        store = store_url or os.environ.get(STORE_ENV) or file.store
        return cls(
            home=directory,
            log_url=log or f"embedded://{(directory / 'log').as_posix()}",
            store_url=store or f"sqlite:///{(directory / 'meta.db').as_posix()}",
            lifecycle=LifecyclePolicy(
                file.lifecycle.min_published_before_deprecate,
                file.lifecycle.min_deprecated_before_retire,
            ),
            consumer_active_window=file.consumers.active_window,
            metrics_access=file.server.metrics,
            kafka_acls=file.kafka.acls,
            connect_paths=tuple(directory / path for path in file.connect.allowed_paths),
            kms=file.privacy.kms,
        )


def _read(path: Path) -> _ConfigFile:
    if not path.is_file():
        return _ConfigFile()
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read as YAML: {exc}") from None
    try:
        return _ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_setting(error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise ConfigError(f"{path}: {problems}") from None


def _setting(location: tuple[int | str, ...]) -> str:
    """``privacy.kms.key_id`` for pydantic's ``('privacy', 'kms', 'aws', 'key_id')``: the
    tag that chose the kind of ``privacy.kms`` is no setting."""
    parts = [str(part) for part in location]
    if parts[:2] == ["privacy", "kms"] and len(parts) > 2 and parts[2] in _KMS_TAGS:
        del parts[2]
    return ".".join(parts)
