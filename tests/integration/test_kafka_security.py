"""Kafka security settings reaching every client, against the test broker where it can.

What tansu 0.6 (the test broker) can and cannot show, found by trying:

- ``--authentication`` makes it require SASL/SCRAM (SCRAM-SHA-256 and -512; PLAIN gets
  "no shared mechanism"), but no user can ever log in: ``tansu user create`` is itself refused
  by an authenticating broker (NotAuthenticated), and a user created on a broker started
  without ``--authentication`` is gone with its memory storage. So these tests show the
  refusal path against it (a SCRAM exchange really happens: the broker answers
  "unknown-user"), and a successful SCRAM login is covered by the exact librdkafka
  configuration every client gets (``tests/unit/log/test_kafka_security_clients.py``).
- ``--cert`` cannot be given with ``--key`` ("cannot be used with"), and with either alone
  the listener still speaks plaintext. TLS is therefore tested through a TLS proxy in front
  of the broker (:class:`~tests.support.tls.TlsProxy`; the broker advertises the proxy, so
  every connection of every client goes through it): the CA, the client certificate and its
  encrypted key are checked for real by OpenSSL on both ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from streammesh.config import MeshConfig
from streammesh.log import (
    ConsumerOptions,
    KafkaSecurity,
    KafkaSecurityRefused,
    LogConfig,
    ProducerOptions,
    SaslMechanism,
    SecurityProtocol,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.sdk import Mesh
from streammesh.server import ServerSettings, create_app
from tests.support.processes import free_port
from tests.support.tansu import TansuBroker
from tests.support.tls import Certificates, TlsProxy, make_certificates
from tests.unit.cli.invoking import invoke_cli

pytestmark = pytest.mark.kafka

PASSWORD = "correct-horse-battery"
REFUSAL_BOUND_S = 5.0
"""A refused password or certificate must be reported within this (the request timeout of
the CLI is 30 s: waiting for it would be a hang to the person at the terminal)."""


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture(scope="module")
def tls_bootstrap(certificates: Certificates) -> Iterator[str]:
    """``host:port`` of the TLS proxy in front of a tansu broker that advertises it."""
    broker_port = free_port()
    proxy = TlsProxy(certificates, broker_port)
    with proxy, TansuBroker(broker_port, advertised_port=proxy.port):
        yield f"127.0.0.1:{proxy.port}"


@pytest.fixture(scope="module")
def authenticating_bootstrap() -> Iterator[str]:
    with TansuBroker(extra_args=["--authentication"]) as broker:
        yield broker.bootstrap


def _tls(certificates: Certificates, ca: Path | None = None) -> KafkaSecurity:
    return KafkaSecurity(
        protocol=SecurityProtocol.SSL,
        ssl_ca_location=str(ca or certificates.ca),
        ssl_certificate_location=str(certificates.client_certificate),
        ssl_key_location=str(certificates.client_key),
        ssl_key_password=SecretStr(certificates.client_key_password),
    )


def test_admin_producer_consumer_and_offset_probe_work_over_tls_with_a_client_certificate(
    tls_bootstrap: str, certificates: Certificates
) -> None:
    log = open_log(f"kafka://{tls_bootstrap}", LogConfig(security=_tls(certificates)))
    try:
        log.create_topic(TopicSpec("secured.events", partitions=1))
        with log.producer(ProducerOptions()) as producer:
            producer.send("secured.events", b"over tls", key=b"k")
            producer.flush()
        partition = TopicPartition("secured.events", 0)
        with log.consumer(ConsumerOptions()) as consumer:
            consumer.assign([partition])
            records = consumer.poll(timeout=10)
            ends = consumer.end_offsets([partition])
        assert [record.value for record in records] == [b"over tls"]
        assert ends == {partition: 1}
    finally:
        log.close()


def test_a_ca_that_did_not_sign_the_broker_is_refused_at_once_naming_the_setting(
    tls_bootstrap: str, certificates: Certificates
) -> None:
    security = _tls(certificates, ca=certificates.other_ca)
    log = open_log(f"kafka://{tls_bootstrap}", LogConfig(security=security))
    started = time.monotonic()
    try:
        with pytest.raises(KafkaSecurityRefused) as refused:
            log.list_topics()
    finally:
        log.close()

    assert time.monotonic() - started < REFUSAL_BOUND_S
    assert "kafka.security.ssl_ca_location" in str(refused.value)
    assert "certificate verify failed" in str(refused.value)


def test_mesh_yaml_tls_settings_reach_the_sdk_mesh(
    tls_bootstrap: str, certificates: Certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENT_KEY_PASSWORD", certificates.client_key_password)
    (tmp_path / "mesh.yaml").write_text(
        f"log: kafka://{tls_bootstrap}\n"
        "kafka:\n"
        "  security:\n"
        f"    ssl_ca_location: {certificates.ca}\n"
        f"    ssl_certificate_location: {certificates.client_certificate}\n"
        f"    ssl_key_location: {certificates.client_key}\n"
        "    ssl_key_password: ${CLIENT_KEY_PASSWORD}\n",
        encoding="utf-8",
    )

    with Mesh.open(tmp_path) as mesh:
        mesh.local.log.create_topic(TopicSpec("sdk.secured", partitions=1))
        names = [topic.name for topic in mesh.local.log.list_topics()]

    assert "sdk.secured" in names
    assert MeshConfig.load(tmp_path).kafka_security.protocol is SecurityProtocol.SSL


def test_cli_flags_and_environment_carry_tls_to_topics_produce_and_consume(
    tls_bootstrap: str,
    certificates: Certificates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path))
    monkeypatch.setenv("STREAMMESH_KAFKA_SSL_KEY_PASSWORD", certificates.client_key_password)
    options = [
        "--log",
        f"kafka://{tls_bootstrap}",
        "--kafka-ssl-ca-location",
        str(certificates.ca),
        "--kafka-ssl-certificate-location",
        str(certificates.client_certificate),
        "--kafka-ssl-key-location",
        str(certificates.client_key),
    ]

    created = invoke_cli(*options, "topics", "create", "cli.secured", "--partitions", "1")
    produced = invoke_cli(*options, "produce", "cli.secured", stdin=b"one\ntwo\n")
    consumed = invoke_cli(
        *options, "consume", "cli.secured", "--from-beginning", "--max", "2", "--timeout", "10"
    )

    assert (created.exit_code, produced.exit_code, consumed.exit_code) == (0, 0, 0), (
        created.stderr + produced.stderr + consumed.stderr
    )
    assert consumed.stdout.split() == ["one", "two"]


def test_a_refused_scram_login_is_one_clear_error_without_the_password(
    authenticating_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path))
    monkeypatch.setenv("STREAMMESH_KAFKA_SASL_PASSWORD", PASSWORD)
    # As in a terminal, where nothing configured logging (pytest's capture would hide
    # librdkafka's retry lines that Python's last resort prints there).
    monkeypatch.setattr(logging.root, "handlers", [])
    started = time.monotonic()

    result = invoke_cli(
        "--log",
        f"kafka://{authenticating_bootstrap}",
        "--kafka-security-protocol",
        "SASL_PLAINTEXT",
        "--kafka-sasl-mechanism",
        "SCRAM-SHA-512",
        "--kafka-sasl-username",
        "mesh",
        "topics",
        "list",
        "--json",
    )

    assert time.monotonic() - started < REFUSAL_BOUND_S
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "SASL" in lines[0] and "kafka.security.sasl_password" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout


def test_mesh_open_with_refused_credentials_fails_fast_with_the_settings_to_check(
    authenticating_bootstrap: str, tmp_path: Path
) -> None:
    security = KafkaSecurity(
        protocol=SecurityProtocol.SASL_PLAINTEXT,
        sasl_mechanism=SaslMechanism.SCRAM_SHA_256,
        sasl_username="mesh",
        sasl_password=SecretStr(PASSWORD),
    )
    started = time.monotonic()

    url = f"kafka://{authenticating_bootstrap}"
    with (
        Mesh.open(tmp_path, log_url=url, kafka_security=security) as mesh,
        pytest.raises(KafkaSecurityRefused) as refused,
    ):
        mesh.local.log.check()  # what /readyz asks

    assert time.monotonic() - started < REFUSAL_BOUND_S
    assert refused.value.settings == ("sasl_mechanism", "sasl_username", "sasl_password")
    assert PASSWORD not in str(refused.value)


def test_the_server_takes_kafka_options_and_is_ready_over_tls(
    tls_bootstrap: str,
    certificates: Certificates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STREAMMESH_KAFKA_SSL_KEY_PASSWORD", certificates.client_key_password)
    settings = ServerSettings(
        mesh=tmp_path,
        log_url=f"kafka://{tls_bootstrap}",
        run_workers=False,
        kafka_options={  # what `streammesh --kafka-ssl-... up` passes
            "ssl_ca_location": str(certificates.ca),
            "ssl_certificate_location": str(certificates.client_certificate),
            "ssl_key_location": str(certificates.client_key),
        },
    )

    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["log"] == "ok"


def test_a_server_whose_login_is_refused_is_not_ready_and_says_it_at_once(
    authenticating_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMMESH_KAFKA_SASL_PASSWORD", PASSWORD)
    (tmp_path / "mesh.yaml").write_text(
        "kafka:\n  security:\n    protocol: SASL_PLAINTEXT\n"
        "    sasl_mechanism: SCRAM-SHA-512\n    sasl_username: mesh\n",
        encoding="utf-8",
    )
    settings = ServerSettings(
        mesh=tmp_path, log_url=f"kafka://{authenticating_bootstrap}", run_workers=False
    )

    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        ready = client.get("/readyz")

    assert time.monotonic() - started < REFUSAL_BOUND_S
    assert ready.status_code == 503
    assert "log" in ready.json()["failed"]
    assert PASSWORD not in ready.text
