"""How to open an event log: its URL and the settings that are not part of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from streammesh.errors import ConfigError
from streammesh.log.base import DEFAULT_MAX_RECORD_BYTES


class SecurityProtocol(StrEnum):
    """Kafka's ``security.protocol`` values."""

    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"

    @property
    def uses_sasl(self) -> bool:
        """Whether clients authenticate with SASL on this protocol."""
        return self in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)

    @property
    def uses_tls(self) -> bool:
        """Whether connections are encrypted with TLS on this protocol."""
        return self in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)


class SaslMechanism(StrEnum):
    """The SASL mechanisms streammesh configures (Kafka's ``sasl.mechanism``)."""

    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"
    OAUTHBEARER = "OAUTHBEARER"


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    """Credentials and TLS settings for a Kafka cluster (never part of the URL).

    Built from ``kafka.security`` in ``mesh.yaml``, the ``STREAMMESH_KAFKA_*`` environment
    and the command line by :mod:`streammesh.config`, which checks that the settings go
    together; :func:`streammesh.log.kafka.settings.security_config` turns them into the
    librdkafka properties every client of the mesh gets. Secrets are ``SecretStr``: they
    print as ``**********``.

    Attributes:
        protocol: ``security.protocol``.
        sasl_mechanism: ``sasl.mechanism`` (with a SASL protocol).
        sasl_username: The user of PLAIN and SCRAM.
        sasl_password: Its password.
        oauthbearer_token_endpoint_url: OAUTHBEARER through OIDC: the identity provider's
            token endpoint, asked with the client credentials below.
        oauthbearer_client_id: The OIDC client id.
        oauthbearer_client_secret: The OIDC client secret.
        oauthbearer_scope: The scope asked for, if the provider needs one.
        oauthbearer_extensions: SASL extensions (``key=value,...``), e.g. a logical cluster.
        oauthbearer_config: OAUTHBEARER without an identity provider: librdkafka's unsecured
            JWT (``principal=<name>``), for development clusters only.
        ssl_ca_location: The CA certificate(s) (PEM) that signed the brokers' certificates;
            ``None`` trusts the system's CAs.
        ssl_certificate_location: The client certificate (PEM), for clusters asking for one.
        ssl_key_location: Its private key (PEM).
        ssl_key_password: The password of that key, if it is encrypted.
        ssl_verify_hostname: Whether a broker's certificate must name the host connected to.
    """

    protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    oauthbearer_token_endpoint_url: str | None = None
    oauthbearer_client_id: str | None = None
    oauthbearer_client_secret: SecretStr | None = None
    oauthbearer_scope: str | None = None
    oauthbearer_extensions: str | None = None
    oauthbearer_config: str | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None
    ssl_key_password: SecretStr | None = None
    ssl_verify_hostname: bool = True


@dataclass(frozen=True, slots=True)
class LogConfig:
    """Settings of an event log besides its URL.

    ``kafka_overrides`` passes librdkafka properties through unchanged, for the rare setting
    streammesh does not model; it wins over what streammesh sets.

    ``request_timeout_s`` bounds each request to the cluster; ``delivery_timeout_s`` bounds
    how long a producer keeps trying to deliver a record before its flush fails (``None``:
    librdkafka's five minutes). The server sets both to a few seconds, so that a request
    needing a cluster that does not answer fails with 503 instead of hanging.
    """

    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    request_timeout_s: float = 30.0
    delivery_timeout_s: float | None = None
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    kafka_overrides: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LogLocation:
    """A parsed log URL: ``embedded:///dir`` (a directory) or ``kafka://host:port,...``."""

    scheme: str
    target: str

    @property
    def directory(self) -> Path:
        return Path(self.target)


def parse_log_url(url: str) -> LogLocation:
    """Split a log URL into backend and target, or raise ``ConfigError`` saying what is wrong."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(
            f"event log URL {url!r} is not a URL; use 'embedded:///path/to/dir' "
            "or 'kafka://host:port'"
        )
    parts = urlsplit(url)
    if parts.scheme == "embedded":
        path = parts.netloc + parts.path
        if not path:
            raise ConfigError(f"event log URL '{url}' names no directory")
        return LogLocation("embedded", path)
    if parts.scheme == "kafka":
        if not parts.netloc:
            raise ConfigError(f"event log URL '{url}' names no bootstrap server (host:port)")
        for server in parts.netloc.split(","):
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(
                    f"event log URL '{url}': bootstrap server '{server}' is not host:port"
                )
        return LogLocation("kafka", parts.netloc)
    raise ConfigError(
        f"event log URL '{url}' has unknown scheme '{parts.scheme}'; use 'embedded' or 'kafka'"
    )
