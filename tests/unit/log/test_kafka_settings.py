"""How streammesh settings become librdkafka configuration and Kafka topic configs."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from streammesh.log import (
    CleanupPolicy,
    ConsumerOptions,
    ConsumerStateError,
    KafkaSecurity,
    LogConfig,
    OffsetReset,
    ProducerOptions,
    SaslMechanism,
    SecurityProtocol,
    TopicSpec,
)
from streammesh.log.kafka.settings import (
    DEFAULT_MESSAGE_MAX_BYTES,
    admin_config,
    consumer_config,
    producer_config,
)
from streammesh.log.kafka.topic_configs import spec_from_configs, spec_to_configs

BOOTSTRAP = "broker-1:9092,broker-2:9092"


def test_plaintext_sends_no_credentials() -> None:
    config = admin_config(BOOTSTRAP, LogConfig())

    assert config["bootstrap.servers"] == BOOTSTRAP
    assert config["security.protocol"] == "PLAINTEXT"
    assert not [name for name in config if name.startswith(("sasl.", "ssl."))]


def test_sasl_ssl_maps_mechanism_credentials_and_certificate_paths() -> None:
    security = KafkaSecurity(
        protocol=SecurityProtocol.SASL_SSL,
        sasl_mechanism=SaslMechanism.SCRAM_SHA_512,
        sasl_username="svc-trades",
        sasl_password=SecretStr("s3cret"),
        ssl_ca_location="/etc/kafka/ca.pem",
        ssl_certificate_location="/etc/kafka/client.pem",
        ssl_key_location="/etc/kafka/client.key",
    )

    config = admin_config(BOOTSTRAP, LogConfig(security=security))

    assert {name: config[name] for name in config if name.startswith(("sasl.", "ssl.", "sec"))} == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "svc-trades",
        "sasl.password": "s3cret",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "ssl.certificate.location": "/etc/kafka/client.pem",
        "ssl.key.location": "/etc/kafka/client.key",
        "ssl.endpoint.identification.algorithm": "https",
    }


def test_sasl_plaintext_defaults_to_plain_and_ignores_ssl_paths() -> None:
    security = KafkaSecurity(
        protocol=SecurityProtocol.SASL_PLAINTEXT,
        sasl_username="u",
        sasl_password=SecretStr("p"),
        ssl_ca_location="/unused/ca.pem",
    )

    config = admin_config(BOOTSTRAP, LogConfig(security=security))

    assert config["sasl.mechanism"] == "PLAIN"
    assert "ssl.ca.location" not in config


def test_ssl_without_sasl_sets_only_certificate_paths() -> None:
    security = KafkaSecurity(protocol=SecurityProtocol.SSL, ssl_ca_location="/ca.pem")

    config = admin_config(BOOTSTRAP, LogConfig(security=security))

    assert config["ssl.ca.location"] == "/ca.pem"
    assert not [name for name in config if name.startswith("sasl.")]


def test_overrides_win_over_what_streammesh_sets() -> None:
    overrides = {"acks": "1", "linger.ms": "50", "security.protocol": "SSL"}
    config = LogConfig(kafka_overrides=overrides)

    produced = producer_config(BOOTSTRAP, config, ProducerOptions())

    assert (produced["acks"], produced["linger.ms"], produced["security.protocol"]) == (
        "1",
        "50",
        "SSL",
    )


def test_producer_is_idempotent_acks_all_and_java_partitioned() -> None:
    config = producer_config(BOOTSTRAP, LogConfig(), ProducerOptions(linger_ms=12.5))

    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["partitioner"] == "murmur2_random"
    assert config["sticky.partitioning.linger.ms"] == 0
    assert config["linger.ms"] == 12.5
    assert config["allow.auto.create.topics"] is False


@pytest.mark.parametrize("max_record_bytes", [1_024, 1_048_576, 8 * 1_048_576])
def test_request_limit_admits_the_largest_accepted_record(max_record_bytes: int) -> None:
    config = LogConfig(max_record_bytes=max_record_bytes)

    produced = producer_config(BOOTSTRAP, config, ProducerOptions())
    consumed = consumer_config(BOOTSTRAP, config, ConsumerOptions(), "g")

    message_max = produced["message.max.bytes"]
    assert isinstance(message_max, int)
    assert message_max > max_record_bytes
    # a small record limit must not shrink batches below librdkafka's default request size
    assert message_max >= DEFAULT_MESSAGE_MAX_BYTES
    assert consumed["fetch.max.bytes"] >= message_max  # type: ignore[operator]
    assert consumed["receive.message.max.bytes"] > consumed["fetch.max.bytes"]  # type: ignore[operator]


def test_consumer_maps_group_options_and_stores_offsets_itself() -> None:
    options = ConsumerOptions(
        group="billing",
        auto_offset_reset=OffsetReset.LATEST,
        auto_commit_interval_ms=2_000,
        session_timeout_ms=6_000,
        heartbeat_interval_ms=500,
    )

    config = consumer_config(BOOTSTRAP, LogConfig(), options, "billing")

    assert config["group.id"] == "billing"
    assert config["auto.offset.reset"] == "latest"
    assert config["enable.auto.commit"] is True
    assert config["auto.commit.interval.ms"] == 2_000
    assert (config["session.timeout.ms"], config["heartbeat.interval.ms"]) == (6_000, 500)
    assert config["enable.auto.offset.store"] is False


def test_a_static_member_sets_group_instance_id_and_a_dynamic_one_does_not() -> None:
    static = ConsumerOptions(group="billing", group_instance_id="billing-3f2a")
    assert consumer_config(BOOTSTRAP, LogConfig(), static, "billing")["group.instance.id"] == (
        "billing-3f2a"
    )
    dynamic = consumer_config(BOOTSTRAP, LogConfig(), ConsumerOptions(group="billing"), "g")
    assert "group.instance.id" not in dynamic
    with pytest.raises(ConsumerStateError, match="group_instance_id needs a group"):
        ConsumerOptions(group_instance_id="orphan")


def test_consumer_prefetches_again_before_a_poll_loop_drains_the_queue() -> None:
    # librdkafka pauses prefetching at 100,000 queued records and by default looks again only
    # after 1 s; a Python poll loop (~1M records/s) drains them in ~0.1 s and then waited
    # ~0.9 s for more (1M records took 3-6 s to read instead of ~1 s).
    config = consumer_config(BOOTSTRAP, LogConfig(), ConsumerOptions(), "g")

    assert config["fetch.queue.backoff.ms"] < 100  # type: ignore[operator]


def test_consumer_fetch_wait_bounds_latency_without_spinning_when_idle() -> None:
    config = consumer_config(BOOTSTRAP, LogConfig(), ConsumerOptions(), "g")

    # librdkafka's 500 ms let a broker that holds fetches for the whole wait (tansu) delay
    # records by up to 500 ms; a few ms would send hundreds of empty fetches a second.
    assert 50 <= config["fetch.wait.max.ms"] <= 100  # type: ignore[operator]


def test_overrides_win_over_the_consumers_fetch_settings() -> None:
    overrides = {"fetch.wait.max.ms": "5", "fetch.queue.backoff.ms": "1000"}

    config = consumer_config(
        BOOTSTRAP, LogConfig(kafka_overrides=overrides), ConsumerOptions(), "g"
    )

    assert (config["fetch.wait.max.ms"], config["fetch.queue.backoff.ms"]) == ("5", "1000")


def test_group_less_consumer_never_auto_commits() -> None:
    config = consumer_config(BOOTSTRAP, LogConfig(), ConsumerOptions(), "private-id")

    assert config["enable.auto.commit"] is False


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            TopicSpec("t"),
            {
                "cleanup.policy": "delete",
                "retention.ms": "604800000",
                "retention.bytes": "-1",
                "min.compaction.lag.ms": "0",
                "delete.retention.ms": "86400000",
            },
            id="defaults",
        ),
        pytest.param(
            TopicSpec(
                "t",
                cleanup_policy=CleanupPolicy.COMPACT,
                retention_ms=None,
                retention_bytes=5_000,
                min_compaction_lag_ms=1_500,
                delete_retention_ms=60_000,
            ),
            {
                "cleanup.policy": "compact",
                "retention.ms": "-1",
                "retention.bytes": "5000",
                "min.compaction.lag.ms": "1500",
                "delete.retention.ms": "60000",
            },
            id="compact-unlimited",
        ),
    ],
)
def test_topic_spec_round_trips_through_kafka_configs(
    spec: TopicSpec, expected: dict[str, str]
) -> None:
    configs = spec_to_configs(spec)

    assert configs == expected
    assert spec_from_configs("t", 1, dict(configs)) == spec


def test_configs_a_cluster_does_not_report_take_kafkas_defaults() -> None:
    assert spec_from_configs("t", 3, {}) == TopicSpec("t", partitions=3)


def test_compact_and_delete_policy_reads_as_compacted() -> None:
    spec = spec_from_configs("t", 1, {"cleanup.policy": "compact,delete"})

    assert spec.cleanup_policy is CleanupPolicy.COMPACT
