"""The exact librdkafka security properties every client of a Kafka log gets.

The test broker cannot accept a SASL login (see ``tests/integration/test_kafka_security.py``),
so a successful PLAIN/SCRAM/OAUTHBEARER login is covered here: what each client is configured
with, and that librdkafka itself accepts those properties.
"""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, Producer
from pydantic import SecretStr

from streammesh.log import (
    ConsumerOptions,
    KafkaSecurity,
    LogConfig,
    ProducerOptions,
    SaslMechanism,
    SecurityProtocol,
)
from streammesh.log.kafka.settings import (
    admin_config,
    client_config,
    consumer_config,
    probe_config,
    producer_config,
)

BOOTSTRAP = "broker-1:9093"

SCRAM = KafkaSecurity(
    protocol=SecurityProtocol.SASL_SSL,
    sasl_mechanism=SaslMechanism.SCRAM_SHA_512,
    sasl_username="svc-trades",
    sasl_password=SecretStr("s3cret"),
    ssl_ca_location="/etc/kafka/ca.pem",
)
OIDC = KafkaSecurity(
    protocol=SecurityProtocol.SASL_SSL,
    sasl_mechanism=SaslMechanism.OAUTHBEARER,
    oauthbearer_token_endpoint_url="https://idp.example/token",
    oauthbearer_client_id="mesh",
    oauthbearer_client_secret=SecretStr("client-secret"),
    oauthbearer_scope="kafka",
    oauthbearer_extensions="logicalCluster=lkc-1",
)
MTLS = KafkaSecurity(
    protocol=SecurityProtocol.SSL,
    ssl_ca_location="/etc/kafka/ca.pem",
    ssl_certificate_location="/etc/kafka/client.pem",
    ssl_key_location="/etc/kafka/client.key",
    ssl_key_password=SecretStr("key-pass"),
    ssl_verify_hostname=False,
)

EXPECTED = {
    "scram": {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "svc-trades",
        "sasl.password": "s3cret",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "ssl.endpoint.identification.algorithm": "https",
    },
    "oidc": {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.token.endpoint.url": "https://idp.example/token",
        "sasl.oauthbearer.client.id": "mesh",
        "sasl.oauthbearer.client.secret": "client-secret",
        "sasl.oauthbearer.scope": "kafka",
        "sasl.oauthbearer.extensions": "logicalCluster=lkc-1",
        "ssl.endpoint.identification.algorithm": "https",
    },
    "mtls": {
        "security.protocol": "SSL",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "ssl.certificate.location": "/etc/kafka/client.pem",
        "ssl.key.location": "/etc/kafka/client.key",
        "ssl.key.password": "key-pass",
        "ssl.endpoint.identification.algorithm": "none",
    },
}
CASES = {"scram": SCRAM, "oidc": OIDC, "mtls": MTLS}


def _security_part(config: dict[str, object]) -> dict[str, object]:
    return {
        name: value
        for name, value in config.items()
        if name.startswith(("security.", "sasl.", "ssl.", "enable.sasl."))
    }


def _every_client(config: LogConfig) -> dict[str, dict[str, object]]:
    """The configuration of each kind of client a Kafka log creates (``admin`` also backs
    topic operations and ACLs; the bare client is the transactional producer's offsets
    consumer)."""
    return {
        "admin": dict(admin_config(BOOTSTRAP, config)),
        "producer": dict(producer_config(BOOTSTRAP, config, ProducerOptions())),
        "transactional producer": dict(
            producer_config(BOOTSTRAP, config, ProducerOptions(transactional_id="task-1"))
        ),
        "consumer": dict(consumer_config(BOOTSTRAP, config, ConsumerOptions(), "group-1")),
        "offset probe": dict(probe_config(BOOTSTRAP, config, "probe")),
        "offsets consumer": dict(client_config(BOOTSTRAP, config)),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_client_gets_exactly_the_security_properties(case: str) -> None:
    clients = _every_client(LogConfig(security=CASES[case]))

    assert {name: _security_part(config) for name, config in clients.items()} == {
        name: EXPECTED[case] for name in clients
    }


def test_unsecured_oauthbearer_token_for_development_clusters() -> None:
    security = KafkaSecurity(
        protocol=SecurityProtocol.SASL_PLAINTEXT,
        sasl_mechanism=SaslMechanism.OAUTHBEARER,
        oauthbearer_config="principal=mesh",
    )

    assert _security_part(dict(admin_config(BOOTSTRAP, LogConfig(security=security)))) == {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "OAUTHBEARER",
        "enable.sasl.oauthbearer.unsecure.jwt": True,
        "sasl.oauthbearer.config": "principal=mesh",
    }


@pytest.mark.parametrize("case", ["scram", "oidc"])
def test_librdkafka_accepts_the_properties(case: str) -> None:
    # No file is read for these (no CA): the clients start without contacting anyone.
    security = CASES[case]
    if case == "scram":
        security = KafkaSecurity(
            protocol=SecurityProtocol.SASL_SSL,
            sasl_mechanism=SaslMechanism.SCRAM_SHA_256,
            sasl_username="u",
            sasl_password=SecretStr("p"),
        )
    config = LogConfig(security=security)
    producer = Producer(producer_config(BOOTSTRAP, config, ProducerOptions()))
    consumer = Consumer(consumer_config(BOOTSTRAP, config, ConsumerOptions(), "group-1"))
    consumer.close()
    del producer


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    text = repr(SCRAM) + repr(OIDC) + repr(MTLS) + str(SCRAM)

    assert "s3cret" not in text and "client-secret" not in text and "key-pass" not in text
