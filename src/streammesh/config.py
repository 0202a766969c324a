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
      security:       # SASL and TLS of every Kafka client (docs/operations.md)
        sasl_mechanism: SCRAM-SHA-512
        sasl_username: mesh
        sasl_password: ${KAFKA_PASSWORD}   # from the environment, never in the file
        ssl_ca_location: /etc/kafka/ca.pem
    connect:
      allowed_paths: [/srv/lake]   # folders server-hosted connectors may use (docs/connectors.md)
    streams:
      hosting_interval: 2s   # the server's reads of deployed applications (docs/streams.md)
    privacy:
      kms: {type: local, key_env: STREAMMESH_MASTER_KEY}   # who wraps data keys (docs/privacy.md)

Explicit arguments (command-line options) win over the environment (``$STREAMMESH_LOG``,
``$STREAMMESH_STORE``, ``$STREAMMESH_KAFKA_<SETTING>`` for each ``kafka.security`` setting),
which wins over ``mesh.yaml``, which wins over the defaults.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
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
    SecretStr,
    Tag,
    ValidationError,
    model_validator,
)

from streammesh.bounded_yaml import load_yaml
from streammesh.durations import parse_ms
from streammesh.errors import ConfigError
from streammesh.log import KafkaSecurity, SaslMechanism, SecurityProtocol
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
    security: dict[str, Any] | None = None
    """SASL and TLS settings, validated by :func:`kafka_security` with the environment's."""


class _Connect(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    allowed_paths: list[Path] = []
    """Folders connectors hosted by the server may use besides the mesh directory."""


class _Streams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    hosting_interval: Duration = timedelta(seconds=2)
    """How often a hosting server reads the deployed applications, and how often each
    hosted application heartbeats (docs/streams.md, "Hosted by the server")."""


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
    streams: _Streams = _Streams()
    privacy: _Privacy = _Privacy()
    notifications: dict[str, Any] | None = None
    """SMTP and delivery settings, validated by ``streammesh.notify`` (``load_notify_settings``)."""


KAFKA_ENV_PREFIX = "STREAMMESH_KAFKA_"
"""Each ``kafka.security`` setting is also ``$STREAMMESH_KAFKA_<SETTING>`` (upper case)."""

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class KafkaSecuritySettings(BaseModel):
    """``kafka.security``: how every Kafka client of the mesh authenticates and encrypts.

    Each setting is also ``$STREAMMESH_KAFKA_<SETTING>`` and (but the secrets)
    ``--kafka-<setting>`` on the command line. ``protocol`` defaults from the rest:
    ``SASL_SSL`` with SASL settings, ``SSL`` with TLS settings only, else ``PLAINTEXT``;
    ``SASL_PLAINTEXT`` (passwords in clear on the network) is only used when asked for.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    protocol: SecurityProtocol | None = None
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    oauthbearer_token_endpoint_url: str | None = None
    oauthbearer_client_id: str | None = None
    oauthbearer_client_secret: SecretStr | None = None
    oauthbearer_scope: str | None = None
    oauthbearer_extensions: str | None = None
    oauthbearer_config: str | None = None
    ssl_ca_location: Path | None = None
    ssl_certificate_location: Path | None = None
    ssl_key_location: Path | None = None
    ssl_key_password: SecretStr | None = None
    ssl_verify_hostname: bool = True


KAFKA_SECURITY_SETTINGS = tuple(KafkaSecuritySettings.model_fields)
"""The names of the ``kafka.security`` settings."""
KAFKA_SECRET_SETTINGS = ("sasl_password", "oauthbearer_client_secret", "ssl_key_password")
"""Settings taken from ``mesh.yaml`` or the environment only, never from a command line
(where other users of the machine see it)."""
_SASL_SETTINGS = ("sasl_username", "sasl_password")
_OAUTHBEARER_SETTINGS = tuple(
    name for name in KAFKA_SECURITY_SETTINGS if name.startswith("oauthbearer_")
)
_TLS_FILES = ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location")
_TLS_SETTINGS = (*_TLS_FILES, "ssl_key_password")


def resolve_kafka_security(
    file_section: Mapping[str, Any] | None,
    home: Path,
    environ: Mapping[str, str],
    options: Mapping[str, str],
) -> KafkaSecurity:
    """The Kafka security settings from ``mesh.yaml``'s ``kafka.security`` (``${VAR}``
    references replaced from ``environ``; relative files inside ``home``), then
    ``$STREAMMESH_KAFKA_*`` in ``environ``, then ``options`` (command line), each winning over
    the one before it.

    Raises:
        ConfigError: a setting is unknown or invalid, a ``${VAR}`` is not set, a file is
            missing, or the settings do not go together (naming the settings, never a value).
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, value in (file_section or {}).items():
        source = f"kafka.security.{name} in {CONFIG_FILE}"
        values[name] = _expand(value, environ, source)
        sources[name] = source
        if name in _TLS_FILES and isinstance(values[name], str):
            values[name] = (home / Path(values[name]).expanduser()).as_posix()
    for name in KAFKA_SECURITY_SETTINGS:
        variable = f"{KAFKA_ENV_PREFIX}{name.upper()}"
        if environ.get(variable):
            values[name] = environ[variable]
            sources[name] = f"${variable}"
    for name, value in options.items():
        values[name] = value
        sources[name] = f"--kafka-{name.replace('_', '-')}"
    try:
        settings = KafkaSecuritySettings.model_validate(values)
    except ValidationError as exc:
        invalid = "; ".join(
            f"{_security_source(error['loc'], sources)}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise ConfigError(f"Kafka security settings are invalid: {invalid}") from None
    problems = _security_problems(settings)
    if problems:
        raise ConfigError(f"Kafka security settings do not go together: {'; '.join(problems)}")
    return _to_log_security(settings)


def _expand(value: Any, environ: Mapping[str, str], source: str) -> Any:
    """``value`` with each ``${VAR}`` replaced by the variable's value."""
    if not isinstance(value, str):
        return value

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ConfigError(f"{source} refers to ${{{name}}}, which is not set")
        return environ[name]

    return _ENV_REFERENCE.sub(variable, value)


def _security_source(location: tuple[int | str, ...], sources: Mapping[str, str]) -> str:
    name = str(location[0]) if location else ""
    return sources.get(name, f"kafka.security.{name}" if name else "kafka.security")


def _security_problems(settings: KafkaSecuritySettings) -> list[str]:
    """What does not go together, by setting name (values are never shown)."""
    given = {name for name in KAFKA_SECURITY_SETTINGS if getattr(settings, name) is not None}
    protocol = _protocol(settings, given)
    problems: list[str] = []
    sasl_given = sorted(given & {"sasl_mechanism", *_SASL_SETTINGS, *_OAUTHBEARER_SETTINGS})
    tls_given = sorted(given & set(_TLS_SETTINGS))
    if not protocol.uses_sasl and sasl_given:
        problems.append(f"{', '.join(sasl_given)} given but protocol {protocol} uses no SASL")
    if not protocol.uses_tls and tls_given:
        problems.append(f"{', '.join(tls_given)} given but protocol {protocol} uses no TLS")
    mechanism = settings.sasl_mechanism
    if protocol.uses_sasl and mechanism is None:
        problems.append(
            f"protocol {protocol} needs sasl_mechanism "
            f"({', '.join(member.value for member in SaslMechanism)})"
        )
    elif mechanism is SaslMechanism.OAUTHBEARER:
        problems += _oauthbearer_problems(given)
    elif mechanism is not None:
        missing = [name for name in _SASL_SETTINGS if name not in given]
        if missing:
            problems.append(f"sasl_mechanism {mechanism} needs {' and '.join(missing)}")
        extra = sorted(given & set(_OAUTHBEARER_SETTINGS))
        if extra:
            problems.append(f"{', '.join(extra)} given but sasl_mechanism is {mechanism}")
    if ("ssl_certificate_location" in given) != ("ssl_key_location" in given):
        problems.append("ssl_certificate_location and ssl_key_location go together")
    if "ssl_key_password" in given and "ssl_key_location" not in given:
        problems.append("ssl_key_password given without ssl_key_location")
    for name in _TLS_FILES:
        path = getattr(settings, name)
        if path is not None and not path.is_file():
            problems.append(f"{name}: no file at {path}")
    return problems


def _oauthbearer_problems(given: set[str]) -> list[str]:
    problems: list[str] = []
    extra = sorted(given & set(_SASL_SETTINGS))
    if extra:
        problems.append(f"{', '.join(extra)} given but sasl_mechanism is OAUTHBEARER")
    if "oauthbearer_token_endpoint_url" in given:
        for name in ("oauthbearer_client_id", "oauthbearer_client_secret"):
            if name not in given:
                problems.append(f"oauthbearer_token_endpoint_url needs {name}")
        if "oauthbearer_config" in given:
            problems.append(
                "oauthbearer_config (an unsecured token) given with oauthbearer_token_endpoint_url"
            )
    elif "oauthbearer_config" not in given:
        problems.append(
            "sasl_mechanism OAUTHBEARER needs oauthbearer_token_endpoint_url (with "
            "oauthbearer_client_id and oauthbearer_client_secret), or oauthbearer_config "
            "for an unsecured development token"
        )
    return problems


def _protocol(settings: KafkaSecuritySettings, given: set[str]) -> SecurityProtocol:
    if settings.protocol is not None:
        return settings.protocol
    sasl = bool(given & {"sasl_mechanism", *_SASL_SETTINGS, *_OAUTHBEARER_SETTINGS})
    tls = bool(given & set(_TLS_SETTINGS))
    if sasl:
        return SecurityProtocol.SASL_SSL
    return SecurityProtocol.SSL if tls else SecurityProtocol.PLAINTEXT


def _to_log_security(settings: KafkaSecuritySettings) -> KafkaSecurity:
    given = {name for name in KAFKA_SECURITY_SETTINGS if getattr(settings, name) is not None}

    def path(value: Path | None) -> str | None:
        return None if value is None else value.expanduser().resolve().as_posix()

    return KafkaSecurity(
        protocol=_protocol(settings, given),
        sasl_mechanism=settings.sasl_mechanism,
        sasl_username=settings.sasl_username,
        sasl_password=settings.sasl_password,
        oauthbearer_token_endpoint_url=settings.oauthbearer_token_endpoint_url,
        oauthbearer_client_id=settings.oauthbearer_client_id,
        oauthbearer_client_secret=settings.oauthbearer_client_secret,
        oauthbearer_scope=settings.oauthbearer_scope,
        oauthbearer_extensions=settings.oauthbearer_extensions,
        oauthbearer_config=settings.oauthbearer_config,
        ssl_ca_location=path(settings.ssl_ca_location),
        ssl_certificate_location=path(settings.ssl_certificate_location),
        ssl_key_location=path(settings.ssl_key_location),
        ssl_key_password=settings.ssl_key_password,
        ssl_verify_hostname=settings.ssl_verify_hostname,
    )


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
        streams_hosting_interval: The time between a hosting server's reads of the deployed
            stream applications, and between a hosted application's heartbeats
            (``streams.hosting_interval``, 2 s by default).
        kms: The key service wrapping data keys (``privacy.kms``; the local master key file
            ``privacy/master.key`` by default).
        kafka_security: SASL and TLS settings of every client of a Kafka log
            (``kafka.security``, ``$STREAMMESH_KAFKA_*``, command-line options).
    """

    home: Path
    log_url: str
    store_url: str
    lifecycle: LifecyclePolicy = field(default_factory=lambda: DEFAULT_POLICY)
    consumer_active_window: timedelta = timedelta(days=7)
    metrics_access: MetricsAccess = MetricsAccess.LOOPBACK
    kafka_acls: bool = False
    connect_paths: tuple[Path, ...] = ()
    streams_hosting_interval: timedelta = timedelta(seconds=2)
    kms: KmsSettings = field(default_factory=LocalKmsSettings)
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)

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
        kafka_options: Mapping[str, str] | None = None,
        kafka_security: KafkaSecurity | None = None,
    ) -> MeshConfig:
        """The configuration of the mesh at ``home`` (see the module docstring for precedence).

        ``kafka_options`` are ``kafka.security`` settings given on the command line (by
        setting name); they win over the environment and ``mesh.yaml``. ``kafka_security``
        (the SDK's) replaces all of those: neither is read then.

        Raises:
            ConfigError: ``mesh.yaml`` is not valid YAML or has unknown or invalid settings,
                or the Kafka security settings are invalid or do not go together.
        """
        directory = mesh_home(home)
        file = _read(directory / CONFIG_FILE)
        log = log_url or os.environ.get(LOG_ENV) or file.log
        store = store_url or os.environ.get(STORE_ENV) or file.store
        log = log or f"embedded://{(directory / 'log').as_posix()}"
        # The environment's Kafka settings count for a Kafka log only: a variable exported
        # for another mesh must not stop an embedded one from opening. The file's and the
        # options' are still checked: they were written for this mesh.
        environ = os.environ if log.startswith("kafka:") else {}
        return cls(
            home=directory,
            log_url=log,
            store_url=store or f"sqlite:///{(directory / 'meta.db').as_posix()}",
            lifecycle=LifecyclePolicy(
                file.lifecycle.min_published_before_deprecate,
                file.lifecycle.min_deprecated_before_retire,
            ),
            consumer_active_window=file.consumers.active_window,
            metrics_access=file.server.metrics,
            kafka_acls=file.kafka.acls,
            connect_paths=tuple(directory / path for path in file.connect.allowed_paths),
            streams_hosting_interval=file.streams.hosting_interval,
            kms=file.privacy.kms,
            kafka_security=kafka_security
            or resolve_kafka_security(file.kafka.security, directory, environ, kafka_options or {}),
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
