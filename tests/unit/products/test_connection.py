"""The connection snippets of a product on a Kafka mesh: the deserializer matches the schema
format and the key type, the principal is filled in, the secret is read from the environment,
and the Python snippet's imports exist in confluent-kafka."""

from __future__ import annotations

import ast

import pytest
import yaml
from pydantic import SecretStr

from streammesh.log import KafkaSecurity, SaslMechanism, SecurityProtocol
from streammesh.products.connection import (
    MeshEndpoint,
    connection_details,
    endpoint_of,
)
from streammesh.products.descriptor import Descriptor
from tests.integration.api_v1_support import descriptor

KAFKA = MeshEndpoint("http://mesh.example.com:8080", "broker-1:9092,broker-2:9092")


def _descriptor(schema: str, key: str) -> Descriptor:
    text = (
        descriptor()
        .replace("schema: stocktrades.avsc", f"schema: {schema}")
        .replace("type: string}", f"type: {key}}}")
    )
    return Descriptor.model_validate(yaml.safe_load(text))


@pytest.mark.parametrize(
    ("schema", "key", "python", "java"),
    [
        ("trades.avsc", "string", "AvroDeserializer(registry)", "KafkaAvroDeserializer"),
        ("trades.json", "long", "JSONDeserializer(", "json.KafkaJsonSchemaDeserializer"),
        ("trades.proto", "uuid", "ProtobufDeserializer(", "protobuf.KafkaProtobufDeserializer"),
    ],
)
def test_kafka_snippets_use_the_deserializer_of_the_schema_format(
    schema: str, key: str, python: str, java: str
) -> None:
    details = connection_details(
        _descriptor(schema, key), schema_id=7, endpoint=KAFKA, principal="risk-app"
    )
    snippets = details.snippets()

    confluent = snippets["python_confluent_kafka"]
    assert confluent is not None
    assert python in confluent
    assert '"bootstrap.servers": "broker-1:9092,broker-2:9092"' in confluent
    assert '"url": "http://mesh.example.com:8080/registry"' in confluent
    assert '"basic.auth.user.info": "risk-app:" + os.environ["STREAMMESH_TOKEN"]' in confluent
    assert '"group.id": "risk-app-execution-stocktrades"' in confluent
    assert 'consumer.subscribe(["execution.stocktrades.v1"])' in confluent
    java_properties = snippets["java_properties"]
    assert java_properties is not None
    assert f"value.deserializer=io.confluent.kafka.serializers.{java}\n" in java_properties
    assert "basic.auth.user.info=risk-app:${STREAMMESH_TOKEN}\n" in java_properties
    kcat = snippets["kcat"]
    assert kcat is not None
    assert "-b broker-1:9092,broker-2:9092 -G risk-app-execution-stocktrades" in kcat
    assert ("-s value=avro" in kcat) == (schema == "trades.avsc")
    assert details.document()["bootstrap_servers"] == "broker-1:9092,broker-2:9092"


@pytest.mark.parametrize("schema", ["trades.avsc", "trades.json"])
def test_the_confluent_snippet_is_python_whose_imports_exist(schema: str) -> None:
    details = connection_details(
        _descriptor(schema, "string"), schema_id=1, endpoint=KAFKA, principal="risk-app"
    )
    source = details.snippets()["python_confluent_kafka"]
    assert source is not None
    tree = ast.parse(source)
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]

    exec(compile(ast.Module(body=imports, type_ignores=[]), "<snippet>", "exec"), {})


def test_java_key_deserializer_follows_the_key_type() -> None:
    details = connection_details(
        _descriptor("trades.avsc", "int"), schema_id=1, endpoint=KAFKA, principal="a"
    )
    java_properties = details.snippets()["java_properties"]

    assert java_properties is not None
    assert "key.deserializer=org.apache.kafka.common.serialization.IntegerDeserializer" in (
        java_properties
    )


def test_an_embedded_mesh_is_reached_over_rest_only() -> None:
    endpoint = endpoint_of("embedded:///var/mesh/log", "http://127.0.0.1:8080/")
    details = connection_details(
        _descriptor("trades.avsc", "string"), schema_id=1, endpoint=endpoint, principal="a"
    )

    document = details.document()
    assert document["rest_url"] == "http://127.0.0.1:8080"
    assert document["bootstrap_servers"] is None
    assert document["snippets"]["python_confluent_kafka"] is None
    assert document["snippets"]["kcat"] is None
    assert endpoint_of("kafka://b:9092", "http://h").bootstrap_servers == "b:9092"


def test_a_secured_clusters_snippets_carry_its_protocol_and_the_consumers_own_credentials() -> None:
    security = KafkaSecurity(
        protocol=SecurityProtocol.SASL_SSL,
        sasl_mechanism=SaslMechanism.SCRAM_SHA_512,
        sasl_username="svc-mesh",
        sasl_password=SecretStr("the-mesh-s-own-password"),
    )
    endpoint = endpoint_of("kafka://broker-1:9093", "https://mesh.example.com", security)
    details = connection_details(
        _descriptor("trades.avsc", "string"), schema_id=7, endpoint=endpoint, principal="risk-app"
    )
    snippets = details.snippets()
    everything = "".join(text or "" for text in snippets.values())

    confluent = snippets["python_confluent_kafka"]
    assert confluent is not None
    ast.parse(confluent)  # still Python
    assert '"security.protocol": "SASL_SSL",' in confluent
    assert '"sasl.mechanism": "SCRAM-SHA-512",' in confluent
    assert '"sasl.username": os.environ["KAFKA_SASL_USERNAME"],' in confluent
    assert '"sasl.password": os.environ["KAFKA_SASL_PASSWORD"],' in confluent
    assert '"ssl.ca.location": os.environ["KAFKA_SSL_CA_LOCATION"],' in confluent
    java = snippets["java_properties"]
    assert java is not None
    assert "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n" in java
    assert "sasl.password=${KAFKA_SASL_PASSWORD}\n" in java
    kcat = snippets["kcat"]
    assert kcat is not None
    assert (
        "-X security.protocol=SASL_SSL" in kcat and "-X sasl.password=$KAFKA_SASL_PASSWORD" in kcat
    )
    # The mesh's own credentials are never shown.
    assert "svc-mesh" not in everything and "the-mesh-s-own-password" not in everything


def test_a_plaintext_cluster_needs_no_security_settings() -> None:
    endpoint = endpoint_of("kafka://broker-1:9092", "http://mesh.example.com:8080")
    details = connection_details(
        _descriptor("trades.avsc", "string"), schema_id=7, endpoint=endpoint, principal="risk-app"
    )
    assert "security.protocol" not in "".join(text or "" for text in details.snippets().values())


def test_a_cluster_asking_for_client_certificates_has_consumers_present_their_own() -> None:
    security = KafkaSecurity(
        protocol=SecurityProtocol.SSL,
        ssl_ca_location="/etc/kafka/ca.pem",
        ssl_certificate_location="/etc/kafka/mesh.pem",
        ssl_key_location="/etc/kafka/mesh.key",
    )
    endpoint = endpoint_of("kafka://broker-1:9093", "https://mesh.example.com", security)
    details = connection_details(
        _descriptor("trades.avsc", "string"), schema_id=7, endpoint=endpoint, principal="risk-app"
    )
    java = details.snippets()["java_properties"]

    assert java is not None
    assert "ssl.certificate.location=${KAFKA_SSL_CERTIFICATE_LOCATION}\n" in java
    assert "ssl.key.location=${KAFKA_SSL_KEY_LOCATION}\n" in java
    assert "/etc/kafka" not in java
