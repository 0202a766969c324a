"""How to open an event log: its URL and the settings that are not part of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from streammesh.errors import ConfigError
from streammesh.log.base import DEFAULT_MAX_RECORD_BYTES


class SecurityProtocol(StrEnum):
    """Kafka's ``security.protocol`` values."""

    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    """Credentials and TLS settings for a Kafka cluster (never part of the URL)."""

    protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None


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
