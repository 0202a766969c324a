"""librdkafka configuration built from streammesh settings (``LogConfig`` and option objects).

Every client starts from :func:`client_config` (bootstrap servers, security, timeouts); the
producer and consumer add what their options say. ``LogConfig.kafka_overrides`` is applied
last, so a deliberate override always wins over what streammesh chose.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import SecretStr

from streammesh.log.base import ConsumerOptions, IsolationLevel, ProducerOptions
from streammesh.log.config import KafkaSecurity, LogConfig, SaslMechanism

ClientConfig = dict[str, str | int | float | bool]
"""A librdkafka configuration as confluent-kafka takes it."""

LIBRDKAFKA_LOGGER = logging.getLogger("streammesh.log.kafka.librdkafka")
"""librdkafka's own log lines (connection refused, ...) go here instead of stderr: pass it
as every client's ``logger`` keyword."""
# A library's logger: silent unless the application configures logging (the server does);
# without a handler, Python's last resort would print each of librdkafka's retries on stderr
# beside the one error the CLI reports.
LIBRDKAFKA_LOGGER.addHandler(logging.NullHandler())

DEFAULT_MESSAGE_MAX_BYTES = 1_000_000
"""librdkafka's default ``message.max.bytes``, the size of one produce request."""

_FRAMING_BYTES = 64 * 1024
"""Room for record and batch framing above ``max_record_bytes`` in one request."""

_DEFAULT_FETCH_MAX_BYTES = 52_428_800
_DEFAULT_RECEIVE_MAX_BYTES = 100_000_000

_MAX_QUEUED_MESSAGES = 10_000_000
"""High enough that the producer's buffer is bounded by bytes (``buffer_max_bytes``) only."""

FETCH_WAIT_MAX_MS = 100
"""How long the broker may hold a consumer's fetch while it has no new record to return.

A Kafka broker answers a waiting fetch as soon as ``fetch.min.bytes`` (1 byte) is there, so
this wait only bounds the latency of brokers that hold a fetch for its whole wait (tansu does:
librdkafka's 500 ms default gave ~130 ms p50 / ~260 ms p99 produce-to-consume there). Its cost
is one empty fetch per broker every wait while a consumer is idle: at 100 ms, ten small
requests a second, which no broker notices, where 5 ms would be two hundred. It also bounds
how long a ``seek`` waits behind the fetch already in flight (one per broker connection)."""

FETCH_QUEUE_BACKOFF_MS = 20
"""How long librdkafka postpones the next fetch once its prefetch queue is over threshold.

librdkafka stops prefetching when the records fetched but not yet polled reach
``queued.min.messages`` (100,000, counted over the whole consumer, since every partition's
queue feeds the one that ``poll`` reads) or ``queued.max.messages.kbytes``, and then waits
``fetch.queue.backoff.ms`` (default 1 s) before it looks again. A Python consumer turns ~1M
records/s into ``Record`` tuples, so it drains 100,000 in ~0.1 s and then sat idle for the
other ~0.9 s: reading 1M records from tansu took 3-6 s instead of ~1 s. At 20 ms the fetcher
looks again well before the queue runs dry; a look that finds it still full sends nothing."""


def security_config(security: KafkaSecurity) -> ClientConfig:
    """librdkafka's ``security.protocol``, SASL and SSL properties for ``security``.

    The one place where security settings become client properties: every admin, producer,
    consumer and offset probe starts from :func:`client_config`, which includes these.
    Settings that the protocol does not use are left out (``streammesh.config`` refuses such
    combinations before they get here).
    """
    config: ClientConfig = {"security.protocol": security.protocol.value}
    if security.protocol.uses_sasl:
        mechanism = security.sasl_mechanism or SaslMechanism.PLAIN
        config["sasl.mechanism"] = mechanism.value
        if mechanism is SaslMechanism.OAUTHBEARER:
            config.update(_oauthbearer_config(security))
        else:
            _put(config, "sasl.username", security.sasl_username)
            _put(config, "sasl.password", security.sasl_password)
    if security.protocol.uses_tls:
        _put(config, "ssl.ca.location", security.ssl_ca_location)
        _put(config, "ssl.certificate.location", security.ssl_certificate_location)
        _put(config, "ssl.key.location", security.ssl_key_location)
        _put(config, "ssl.key.password", security.ssl_key_password)
        config["ssl.endpoint.identification.algorithm"] = (
            "https" if security.ssl_verify_hostname else "none"
        )
    return config


def _oauthbearer_config(security: KafkaSecurity) -> ClientConfig:
    """OIDC client credentials when a token endpoint is given, else librdkafka's unsecured
    JWT (development clusters)."""
    config: ClientConfig = {}
    if security.oauthbearer_token_endpoint_url is None:
        config["enable.sasl.oauthbearer.unsecure.jwt"] = True
        _put(config, "sasl.oauthbearer.config", security.oauthbearer_config)
        return config
    config["sasl.oauthbearer.method"] = "oidc"
    _put(config, "sasl.oauthbearer.token.endpoint.url", security.oauthbearer_token_endpoint_url)
    _put(config, "sasl.oauthbearer.client.id", security.oauthbearer_client_id)
    _put(config, "sasl.oauthbearer.client.secret", security.oauthbearer_client_secret)
    _put(config, "sasl.oauthbearer.scope", security.oauthbearer_scope)
    _put(config, "sasl.oauthbearer.extensions", security.oauthbearer_extensions)
    return config


def _put(config: ClientConfig, name: str, value: str | SecretStr | None) -> None:
    if isinstance(value, SecretStr):
        config[name] = value.get_secret_value()
    elif value is not None:
        config[name] = value


def client_config(bootstrap: str, config: LogConfig) -> ClientConfig:
    """What every client (admin, producer, consumer) is configured with, before overrides."""
    timeout_ms = max(int(config.request_timeout_s * 1000), 1)
    return {
        "bootstrap.servers": bootstrap,
        **security_config(config.security),
        "socket.timeout.ms": max(timeout_ms, 10),
        # A metadata request for a missing topic must not create it (brokers default to yes).
        "allow.auto.create.topics": False,
    }


def message_max_bytes(config: LogConfig) -> int:
    """librdkafka's request size limit: never below what ``max_record_bytes`` lets through."""
    return max(DEFAULT_MESSAGE_MAX_BYTES, config.max_record_bytes + _FRAMING_BYTES)


def admin_config(bootstrap: str, config: LogConfig) -> ClientConfig:
    """Configuration of the AdminClient behind topic operations."""
    return _with_overrides(client_config(bootstrap, config), config.kafka_overrides)


def producer_config(bootstrap: str, config: LogConfig, options: ProducerOptions) -> ClientConfig:
    """An idempotent, acks=all producer that partitions keys like Java Kafka's default;
    transactional when ``options`` has a ``transactional_id``."""
    transactional: ClientConfig = {}
    if options.transactional_id is not None:
        transactional = {
            "transactional.id": options.transactional_id,
            "transaction.timeout.ms": options.transaction_timeout_ms,
        }
    if config.delivery_timeout_s is not None:
        delivery_ms = max(int(config.delivery_timeout_s * 1000), 1)
        if options.transactional_id is not None:  # librdkafka refuses a longer one
            delivery_ms = min(delivery_ms, options.transaction_timeout_ms)
        transactional["message.timeout.ms"] = delivery_ms
    return _with_overrides(
        {
            **transactional,
            **client_config(bootstrap, config),
            "client.id": options.client_id,
            "enable.idempotence": True,
            "acks": "all",
            # Java's partitioner: murmur2 of the key, so a key keeps its partition across
            # backends (streammesh.log.partitioner); keyless records are spread.
            "partitioner": "murmur2_random",
            # The Producer Protocol spreads keyless records over the partitions; librdkafka's
            # sticky default would send a whole burst of them to one partition.
            "sticky.partitioning.linger.ms": 0,
            "linger.ms": options.linger_ms,
            "batch.size": options.batch_max_bytes,
            "queue.buffering.max.kbytes": max(options.buffer_max_bytes // 1024, 1),
            "queue.buffering.max.messages": _MAX_QUEUED_MESSAGES,
            "message.max.bytes": message_max_bytes(config),
            # Only failures call back: a callback per acknowledged record costs throughput.
            "delivery.report.only.error": True,
        },
        config.kafka_overrides,
    )


def consumer_config(
    bootstrap: str, config: LogConfig, options: ConsumerOptions, group_id: str
) -> ClientConfig:
    """A consumer in ``group_id`` that stores offsets only for records the caller has seen.

    ``enable.auto.offset.store`` is off: the consumer stores the offsets of a poll's records
    when the *next* poll starts, so librdkafka's background auto-commit only ever commits
    records the caller has finished with (Kafka's at-least-once contract).
    """
    fetch_max = max(_DEFAULT_FETCH_MAX_BYTES, message_max_bytes(config))
    static = {"group.instance.id": options.group_instance_id} if options.group_instance_id else {}
    return _with_overrides(
        {
            **client_config(bootstrap, config),
            **static,
            "client.id": options.client_id,
            "group.id": group_id,
            "session.timeout.ms": options.session_timeout_ms,
            "heartbeat.interval.ms": options.heartbeat_interval_ms,
            "auto.offset.reset": options.auto_offset_reset.value,
            "enable.auto.commit": options.auto_commit and options.group is not None,
            "auto.commit.interval.ms": options.auto_commit_interval_ms,
            "enable.auto.offset.store": False,
            "isolation.level": options.isolation_level.value,
            "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
            "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS,
            # librdkafka insists on message <= fetch < receive limits; keep its defaults
            # unless max_record_bytes needs more.
            "message.max.bytes": message_max_bytes(config),
            "fetch.max.bytes": fetch_max,
            "receive.message.max.bytes": max(_DEFAULT_RECEIVE_MAX_BYTES, fetch_max + 512),
        },
        config.kafka_overrides,
    )


def probe_config(
    bootstrap: str,
    config: LogConfig,
    group_id: str,
    isolation: IsolationLevel = IsolationLevel.READ_UNCOMMITTED,
) -> ClientConfig:
    """A consumer that only fetches to learn offsets: it reports the end of a partition (the
    last stable offset when ``read_committed``) and waits for no new data."""
    return _with_overrides(
        {
            "isolation.level": isolation.value,
            **client_config(bootstrap, config),
            "client.id": "streammesh-offset-probe",
            "group.id": group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 10,
        },
        config.kafka_overrides,
    )


def _with_overrides(config: ClientConfig, overrides: Mapping[str, str]) -> ClientConfig:
    return {**config, **overrides}
