"""confluent-kafka's own Schema Registry client and serializers, unchanged, against a real
``streammesh up`` process: the proof that ``/registry`` speaks Confluent's API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

from tests.support.streammesh_server import StreammeshServer


def _avro(name: str, fields: list[dict[str, Any]]) -> str:
    return json.dumps(
        {"type": "record", "name": name, "namespace": "acme.execution", "fields": fields}
    )


TRADE_V1 = _avro(
    "Trade", [{"name": "symbol", "type": "string"}, {"name": "price", "type": "double"}]
)
TRADE_V2 = _avro(
    "Trade",
    [
        {"name": "symbol", "type": "string"},
        {"name": "price", "type": "double"},
        {"name": "venue", "type": "string", "default": "XNYS"},
    ],
)
TRADE_BROKEN = _avro(
    "Trade", [{"name": "symbol", "type": "long"}, {"name": "price", "type": "double"}]
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("mesh")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: StreammeshServer) -> Iterator[SchemaRegistryClient]:
    assert server.admin_token is not None, "the first start must print the admin token"
    with SchemaRegistryClient(
        {"url": server.registry_url, "basic.auth.user.info": f"admin:{server.admin_token}"}
    ) as registry_client:
        yield registry_client


def _refusal(call: Any, *args: Any) -> SchemaRegistryError:
    with pytest.raises(SchemaRegistryError) as refused:
        call(*args)
    return refused.value


def test_register_evolve_and_refuse_an_incompatible_change(client: SchemaRegistryClient) -> None:
    subject = "execution.trades.v1-value"
    first = client.register_schema(subject, Schema(TRADE_V1, "AVRO"))
    again = client.register_schema_full_response(subject, Schema(TRADE_V1, "AVRO"))
    assert again.schema_id == first  # idempotent
    second = client.register_schema(subject, Schema(TRADE_V2, "AVRO"))
    assert second != first

    refused = _refusal(client.register_schema, subject, Schema(TRADE_BROKEN, "AVRO"))
    assert (refused.http_status_code, refused.error_code) == (409, 409)
    assert "symbol" in refused.error_message
    assert client.get_versions(subject) == [1, 2]  # nothing was written

    assert not client.test_compatibility(subject, Schema(TRADE_BROKEN, "AVRO"))
    assert client.test_compatibility(subject, Schema(TRADE_V2, "AVRO"), version=1)
    assert client.test_compatibility_all_versions(subject, Schema(TRADE_V2, "AVRO"))


def test_reads_by_id_subject_and_version(client: SchemaRegistryClient) -> None:
    subject = "execution.quotes.v1-value"
    schema_id = client.register_schema(subject, Schema(TRADE_V1, "AVRO"))
    client.register_schema(subject, Schema(TRADE_V2, "AVRO"))

    by_id = client.get_schema(schema_id)
    assert json.loads(by_id.schema_str or "") == json.loads(TRADE_V1)
    assert by_id.schema_type == "AVRO"
    assert subject in client.get_subjects()
    assert client.get_subjects(subject_prefix="execution.quotes") == [subject]
    assert client.get_schema_types() == ["AVRO", "JSON", "PROTOBUF"]
    assert subject in client.get_subjects_by_schema_id(schema_id)
    # TRADE_V1 may be registered under other subjects by other tests: the same schema, one id.
    assert (subject, 1) in [(v.subject, v.version) for v in client.get_schema_versions(schema_id)]

    latest = client.get_latest_version(subject)
    assert (latest.subject, latest.version) == (subject, 2)
    assert client.get_version(subject, 1).schema_id == schema_id

    found = client.lookup_schema(subject, Schema(TRADE_V1, "AVRO"))
    assert (found.version, found.schema_id) == (1, schema_id)

    missing = _refusal(client.get_version, subject, 9)
    assert (missing.http_status_code, missing.error_code) == (404, 40402)
    unknown = _refusal(client.get_versions, "no.such.subject-value")
    assert (unknown.http_status_code, unknown.error_code) == (404, 40401)
    no_schema = _refusal(client.get_schema, 999_999)
    assert (no_schema.http_status_code, no_schema.error_code) == (404, 40403)


def test_soft_and_permanent_deletes(client: SchemaRegistryClient) -> None:
    subject = "execution.orders.v1-value"
    client.register_schema(subject, Schema(TRADE_V1, "AVRO"))
    client.register_schema(subject, Schema(TRADE_V2, "AVRO"))

    assert client.delete_version(subject, 2) == 2
    assert client.get_versions(subject) == [1]
    assert client.get_versions(subject, deleted=True) == [1, 2]

    assert client.delete_subject(subject) == [1]
    assert subject not in client.get_subjects()
    assert subject in client.get_subjects(deleted=True)
    client.delete_subject(subject, permanent=True)
    assert subject not in client.get_subjects(deleted=True)


def test_compatibility_config_per_subject_and_global(client: SchemaRegistryClient) -> None:
    subject = "execution.fills.v1-value"
    client.register_schema(subject, Schema(TRADE_V1, "AVRO"))
    assert client.get_config().compatibility_level is not None
    assert str(client.get_config().compatibility_level) == "FULL_TRANSITIVE"

    not_configured = _refusal(client.get_compatibility, subject)
    assert (not_configured.http_status_code, not_configured.error_code) == (404, 40408)

    # The client is annotated to return a str but hands back the JSON body, as Confluent's
    # registry answers PUT /config/{subject} with {"compatibility": ...}.
    answered: Any = client.set_compatibility(subject, "NONE")
    assert answered == {"compatibility": "NONE"}
    assert client.get_compatibility(subject) == "NONE"
    # Under NONE the change that FULL_TRANSITIVE refused is accepted.
    client.register_schema(subject, Schema(TRADE_BROKEN, "AVRO"))
    assert client.get_versions(subject) == [1, 2]

    deleted = client.delete_config(subject)
    assert str(deleted.compatibility_level) == "NONE"
    invalid = _refusal(client.set_compatibility, subject, "SOMETIMES")
    assert (invalid.http_status_code, invalid.error_code) == (422, 42203)


def test_mode(client: SchemaRegistryClient) -> None:
    subject = "execution.halts.v1-value"
    client.register_schema(subject, Schema(TRADE_V1, "AVRO"))
    assert client.get_global_mode() == "READWRITE"
    assert client.update_mode(subject, "READONLY") == "READONLY"
    assert client.get_mode(subject) == "READONLY"
    refused = _refusal(client.register_schema, subject, Schema(TRADE_V2, "AVRO"))
    assert (refused.http_status_code, refused.error_code) == (422, 42205)
    assert client.delete_mode(subject) == "READONLY"
    client.register_schema(subject, Schema(TRADE_V2, "AVRO"))


def test_references(client: SchemaRegistryClient) -> None:
    money = _avro(
        "Money", [{"name": "units", "type": "long"}, {"name": "currency", "type": "string"}]
    )
    money_id = client.register_schema("acme.money-value", Schema(money, "AVRO"))
    payment = _avro(
        "Payment",
        [{"name": "id", "type": "string"}, {"name": "amount", "type": "acme.execution.Money"}],
    )
    reference = SchemaReference("acme.execution.Money", "acme.money-value", 1)
    payment_id = client.register_schema(
        "acme.payments.v1-value", Schema(payment, "AVRO", [reference])
    )
    assert payment_id != money_id

    stored = client.get_schema(payment_id)
    assert [(r.name, r.subject, r.version) for r in stored.references or []] == [
        ("acme.execution.Money", "acme.money-value", 1)
    ]
    assert client.get_referenced_by("acme.money-value", 1) == [payment_id]
    in_use = _refusal(client.delete_version, "acme.money-value", 1)
    assert (in_use.http_status_code, in_use.error_code) == (422, 42206)

    # Events with the referenced record serialize and come back through the reference.
    context = SerializationContext("acme.payments.v1", MessageField.VALUE)
    serializer = AvroSerializer(
        client,
        Schema(payment, "AVRO", [reference]),
        conf={"auto.register.schemas": False, "use.latest.version": True},
    )
    event = {"id": "p-1", "amount": {"units": 1250, "currency": "EUR"}}
    data = serializer(event, context)
    assert int.from_bytes(data[1:5], "big") == payment_id
    assert AvroDeserializer(client)(data, context) == event


def test_avro_events_round_trip(client: SchemaRegistryClient) -> None:
    context = SerializationContext("execution.avro-trades.v1", MessageField.VALUE)
    event = {"symbol": "ACME", "price": 101.25}
    data = AvroSerializer(client, TRADE_V1)(event, context)
    assert data is not None and data[0] == 0
    registered = client.get_latest_version("execution.avro-trades.v1-value")
    assert int.from_bytes(data[1:5], "big") == registered.schema_id
    assert AvroDeserializer(client)(data, context) == event


JSON_TRADE = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Trade",
        "type": "object",
        "properties": {"symbol": {"type": "string"}, "price": {"type": "number"}},
        "required": ["symbol", "price"],
        "additionalProperties": False,
    }
)


def test_json_events_round_trip(client: SchemaRegistryClient) -> None:
    context = SerializationContext("execution.json-trades.v1", MessageField.VALUE)
    event = {"symbol": "ACME", "price": 101.25}
    data = JSONSerializer(JSON_TRADE, client)(event, context)
    assert data is not None and data[0] == 0
    registered = client.get_latest_version("execution.json-trades.v1-value")
    assert registered.schema.schema_type == "JSON"
    assert int.from_bytes(data[1:5], "big") == registered.schema_id
    assert JSONDeserializer(None, schema_registry_client=client)(data, context) == event


@pytest.mark.parametrize(
    ("subject_topic", "field", "schema", "value"),
    [
        pytest.param(
            "execution.json-keys.v1",
            MessageField.KEY,
            {"type": "string", "pattern": "^[A-Z]+$"},
            "ACME",
            id="string-key",
        ),
        pytest.param(
            "execution.json-prices.v1",
            MessageField.VALUE,
            {"type": "array", "items": {"type": "number"}, "minItems": 1},
            [101.25, 99.5],
            id="array-value",
        ),
        pytest.param(
            "execution.json-either.v1",
            MessageField.VALUE,
            {"oneOf": [{"type": "integer"}, {"type": "null"}]},
            7,
            id="combined-root",
        ),
    ],
)
def test_json_schema_with_a_non_object_root_registers_and_serializes(
    client: SchemaRegistryClient,
    subject_topic: str,
    field: str,
    schema: dict[str, Any],
    value: Any,
) -> None:
    """Keys, references and other tools' subjects have any root, as Confluent allows."""
    context = SerializationContext(subject_topic, field)
    data = JSONSerializer(json.dumps(schema), client)(value, context)
    assert data is not None and data[0] == 0
    suffix = "key" if field == MessageField.KEY else "value"
    registered = client.get_latest_version(f"{subject_topic}-{suffix}")
    assert registered.schema.schema_type == "JSON"
    assert json.loads(registered.schema.schema_str) == schema
    assert int.from_bytes(data[1:5], "big") == registered.schema_id
    assert JSONDeserializer(None, schema_registry_client=client)(data, context) == value


def _runtime_message_class() -> type[Message]:
    """A generated-style message class built at runtime from a FileDescriptorProto, as
    protoc's output would register it (no generated module needed in the test tree)."""
    file = descriptor_pb2.FileDescriptorProto(
        name="acme/execution/trade.proto", package="acme.execution", syntax="proto3"
    )
    trade = file.message_type.add(name="Trade")
    field = descriptor_pb2.FieldDescriptorProto
    trade.field.add(name="symbol", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
    trade.field.add(name="price", number=2, type=field.TYPE_DOUBLE, label=field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.execution.Trade"))


def test_protobuf_events_round_trip(client: SchemaRegistryClient) -> None:
    trade_class = _runtime_message_class()
    context = SerializationContext("execution.proto-trades.v1", MessageField.VALUE)
    serializer = ProtobufSerializer(trade_class, client, {"use.deprecated.format": False})
    deserializer = ProtobufDeserializer(trade_class, {"use.deprecated.format": False}, client)

    event = trade_class(symbol="ACME", price=101.25)
    data = serializer(event, context)
    assert data is not None and data[0] == 0
    registered = client.get_latest_version("execution.proto-trades.v1-value")
    assert registered.schema.schema_type == "PROTOBUF"
    assert int.from_bytes(data[1:5], "big") == registered.schema_id
    # Stored as .proto text, so streammesh's own tools read it like any other schema.
    assert "message Trade" in (registered.schema.schema_str or "")
    decoded = deserializer(data, context)
    assert (decoded.symbol, decoded.price) == ("ACME", 101.25)
    # The same message registered again is the same schema.
    assert serializer(event, context) == data


def test_first_start_prints_the_admin_token_once_and_ctrl_c_stops_cleanly(
    tmp_path: Path,
) -> None:
    first = StreammeshServer(tmp_path / "mesh")
    with first:
        assert first.admin_token is not None
        assert first.url.startswith("http://127.0.0.1:")
    assert first.stop() == 0
    assert "streammesh stopped." in "".join(first.output)

    with StreammeshServer(tmp_path / "mesh") as again:
        assert again.admin_token is None
        # The token printed on the first start still works after a restart.
        with SchemaRegistryClient(
            {"url": again.registry_url, "basic.auth.user.info": f"admin:{first.admin_token}"}
        ) as restarted:
            assert restarted.get_subjects() == []
    assert "Created the admin token" not in "".join(again.output)


def test_the_registry_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    with StreammeshServer(tmp_path / "mesh", "--store", postgres_url) as server:
        assert server.admin_token is not None
        with SchemaRegistryClient(
            {"url": server.registry_url, "basic.auth.user.info": f"admin:{server.admin_token}"}
        ) as client:
            subject = "execution.trades.v1-value"
            first = client.register_schema(subject, Schema(TRADE_V1, "AVRO"))
            client.register_schema(subject, Schema(TRADE_V2, "AVRO"))
            refused = _refusal(client.register_schema, subject, Schema(TRADE_BROKEN, "AVRO"))
            assert refused.error_code == 409
            assert client.get_version(subject, 1).schema_id == first
            assert client.get_versions(subject) == [1, 2]
    # Nothing went to the mesh directory's SQLite file: the store is PostgreSQL.
    assert not (tmp_path / "mesh" / "meta.db").exists()
