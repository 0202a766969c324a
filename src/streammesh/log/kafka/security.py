"""Refusals of a client's credentials or TLS settings, noticed as librdkafka reports them.

librdkafka keeps retrying a cluster that refused its SASL credentials or TLS handshake and
only reports it to the client's ``error_cb``; a request meanwhile waits for its whole timeout
and then fails like a cluster that is down. :class:`SecurityRefusals` is that callback: it
keeps the refusal, and the waiting request raises :class:`KafkaSecurityRefused` naming the
settings to check as soon as it looks.
"""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from streammesh.errors import ConfigError
from streammesh.log.config import KafkaSecurity, SaslMechanism
from streammesh.log.errors import KafkaSecurityRefused
from streammesh.log.kafka.translate import describe_error

_SASL_REFUSED = frozenset({KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED})
_TLS_REFUSED = frozenset({KafkaError._SSL})

_OAUTHBEARER_SETTINGS = (
    "oauthbearer_token_endpoint_url",
    "oauthbearer_client_id",
    "oauthbearer_client_secret",
)
_PASSWORD_SETTINGS = ("sasl_mechanism", "sasl_username", "sasl_password")
_TLS_SETTINGS = ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location")
_PROPERTY_SETTINGS = {
    "ssl.ca.location": "ssl_ca_location",
    "ssl.certificate.location": "ssl_certificate_location",
    "ssl.key.location": "ssl_key_location",
    "ssl.key.password": "ssl_key_password",
    "sasl.mechanism": "sasl_mechanism",
    "sasl.oauthbearer": "oauthbearer_token_endpoint_url",
}


def client_settings_refused(url: str, exc: KafkaException) -> ConfigError:
    """The error for librdkafka refusing to create a client with the settings given (a CA
    file that holds no certificate, a key its password does not open, ...), naming the
    ``kafka.security`` settings its message mentions."""
    error = exc.args[0] if exc.args else None
    reason = describe_error(error) if isinstance(error, KafkaError) else str(exc)
    named = [setting for prop, setting in _PROPERTY_SETTINGS.items() if prop in reason]
    hint = f"; check {', '.join(f'kafka.security.{name}' for name in named)}" if named else ""
    return ConfigError(f"Kafka log '{url}': a client cannot be created: {reason}{hint}")


class SecurityRefusals:
    """A client's ``error_cb``: remembers the first refusal of its credentials or TLS."""

    def __init__(self, url: str, security: KafkaSecurity) -> None:
        self._url = url
        self._security = security
        self._lock = threading.Lock()
        self._refused: KafkaSecurityRefused | None = None

    def record(self, error: Any) -> None:
        """``error_cb``: keep ``error`` if it is a refusal of this client's security."""
        code = error.code()
        if code in _SASL_REFUSED:
            settings = self._sasl_settings()
        elif code in _TLS_REFUSED:
            settings = _TLS_SETTINGS
        else:
            return
        with self._lock:
            if self._refused is None:
                self._refused = KafkaSecurityRefused(self._url, describe_error(error), settings)

    def raise_if_any(self) -> None:
        """Raise the refusal recorded, if any.

        Raises:
            KafkaSecurityRefused: the cluster refused the credentials or the TLS handshake.
        """
        with self._lock:
            refused = self._refused
        if refused is not None:
            raise refused

    def _sasl_settings(self) -> tuple[str, ...]:
        if self._security.sasl_mechanism is SaslMechanism.OAUTHBEARER:
            return ("sasl_mechanism", *_OAUTHBEARER_SETTINGS)
        if not self._security.protocol.uses_sasl:
            return ("protocol", *_PASSWORD_SETTINGS)
        return _PASSWORD_SETTINGS
