"""AVRO, JSON_SR and PROTOBUF over a real registry (SQLite store), and columns from registered
schemas. AVRO bytes are compared with confluent-kafka's own ``AvroSerializer`` (through
``tests.support.confluent_registry.InProcessRegistryClient`` on the same registry)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from streammesh.registry.base import SchemaSubmission
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.schemas import SchemaType
from streammesh.schemas.avro import AvroFormat
from streammesh.schemas.json_schema import JsonSchemaFormat
from streammesh.serde import RegistryResolver, UnregisteredSchema
from streammesh.store import open_store
from streammesh.streams.formats import (
    Column,
    DeserializationFailed,
    FormatName,
    FormatOptions,
    SerializationFailed,
    UnmappableSchema,
    UnsupportedFormat,
    avro_schema,
    columns_of,
    protobuf_schema,
    serde_for,
)
from streammesh.streams.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    array,
    decimal,
    map_of,
    struct,
)
from tests.support.confluent_registry import InProcessRegistryClient

TOPIC = "analytics.trending.v1"
SUBJECT = f"{TOPIC}-value"
COLUMNS = [
    Column("SYMBOL", STRING),
    Column("TOTAL", BIGINT),
    Column("PRICE", decimal(6, 2)),
    Column("DAY", DATE),
    Column("AT", TIME),
    Column("TS", TIMESTAMP),
    Column("RAW", BYTES),
    Column("TAGS", array(STRING)),
    Column("COUNTS", map_of(STRING, INTEGER)),
    Column("ADDRESS", struct(("CITY", STRING), ("ZIP", INTEGER))),
]
ROW = (
    "ACME",
    42,
    Decimal("1234.50"),
    datetime.date(2024, 1, 2),
    datetime.time(9, 30, 0, 250000),
    datetime.datetime(2024, 1, 2, 9, 30, tzinfo=datetime.UTC),
    b"\x01\x02",
    ["a", None],
    {"x": 1},
    {"CITY": "Oslo", "ZIP": None},
)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[SqlSchemaRegistry]:
    store = open_store(f"sqlite:///{tmp_path}/meta.db")
    yield SqlSchemaRegistry(store)
    store.close()


def test_avro_schema_is_named_as_ksqldb_names_it() -> None:
    schema = json.loads(avro_schema([Column("F0", INTEGER), Column("A", struct(("B", STRING)))]))
    assert (schema["name"], schema["namespace"]) == (
        "KsqlDataSourceSchema",
        "io.confluent.ksql.avro_schemas",
    )
    assert schema["fields"][0] == {"name": "F0", "type": ["null", "int"], "default": None}
    assert schema["fields"][1]["type"][1]["name"] == "KsqlDataSourceSchema_A"
    custom = json.loads(avro_schema([Column("F0", INTEGER)], full_name="com.acme.Trade"))
    assert (custom["name"], custom["namespace"]) == ("Trade", "com.acme")


def test_avro_round_trip_registers_and_matches_confluent_bytes(
    registry: SqlSchemaRegistry,
) -> None:
    serde = serde_for(
        FormatName.AVRO, COLUMNS, resolver=RegistryResolver(registry), subject=SUBJECT
    )
    data = serde.serialize(ROW)
    assert data is not None
    assert serde.deserialize(data) == ROW
    version = registry.version(SUBJECT, "latest")
    assert int.from_bytes(data[1:5], "big") == version.id
    assert json.loads(version.schema)["name"] == "KsqlDataSourceSchema"
    # confluent-kafka's AvroSerializer, given the same schema and the same datum, writes the
    # same bytes (it finds the schema already registered: same id).
    confluent = AvroSerializer(
        InProcessRegistryClient(registry), version.schema, conf={"auto.register.schemas": False}
    )
    datum = {column.name: value for column, value in zip(COLUMNS, ROW, strict=True)}
    context = SerializationContext(TOPIC, MessageField.VALUE)
    assert confluent(datum, context) == data


def test_avro_reads_records_written_by_another_producer_with_any_case(
    registry: SqlSchemaRegistry,
) -> None:
    # ksqlDB's documented example: a producer's own record, lower-case fields.
    text = json.dumps(
        {
            "type": "record",
            "namespace": "com.acme",
            "name": "UserDetails",
            "fields": [
                {"name": "id", "type": "long"},
                {"name": "name", "type": "string"},
                {"name": "age", "type": "int"},
            ],
        }
    )
    client = InProcessRegistryClient(registry)
    data = AvroSerializer(client, text)(
        {"id": 120, "name": "bob", "age": 49}, SerializationContext("users", MessageField.VALUE)
    )
    columns = [Column("ID", BIGINT), Column("NAME", STRING), Column("AGE", INTEGER)]
    serde = serde_for(
        FormatName.AVRO, columns, resolver=RegistryResolver(registry), subject="users-value"
    )
    assert serde.deserialize(data) == (120, "bob", 49)


def test_avro_unwrapped_single_value_and_bad_bytes(registry: SqlSchemaRegistry) -> None:
    serde = serde_for(
        FormatName.AVRO,
        [Column("ID", BIGINT)],
        options=FormatOptions(wrap_single_value=False),
        resolver=RegistryResolver(registry),
        subject=SUBJECT,
    )
    data = serde.serialize((10,))
    assert serde.deserialize(data) == (10,)
    assert json.loads(registry.version(SUBJECT, "latest").schema) == ["null", "long"]
    with pytest.raises(DeserializationFailed, match=r"cannot deserialize a AVRO record: .*magic"):
        serde.deserialize(b"\x07garbage")


def test_avro_writes_with_a_given_registered_schema_and_its_required_fields(
    registry: SqlSchemaRegistry,
) -> None:
    # A data product's schema: its own record name, the key field required, lower case.
    text = json.dumps(
        {
            "type": "record",
            "name": "BigTrades",
            "namespace": "analytics",
            "fields": [
                {"name": "symbol", "type": "string"},
                {"name": "price", "type": ["null", "int"], "default": None},
            ],
        }
    )
    columns = [Column("SYMBOL", STRING), Column("PRICE", INTEGER)]
    options = FormatOptions(schema=text)
    resolver = RegistryResolver(registry)
    unregistered = serde_for(
        FormatName.AVRO, columns, options=options, resolver=resolver, subject=SUBJECT
    )
    with pytest.raises(UnregisteredSchema):
        unregistered.serialize(("ACME", 1))
    assert registry.subjects() == []  # never registered from here
    registered = registry.register(SUBJECT, SchemaSubmission(text)).id
    serde = serde_for(FormatName.AVRO, columns, options=options, resolver=resolver, subject=SUBJECT)
    data = serde.serialize(("ACME", 600))
    assert data is not None and int.from_bytes(data[1:5], "big") == registered
    confluent = AvroSerializer(
        InProcessRegistryClient(registry), text, conf={"auto.register.schemas": False}
    )
    context = SerializationContext(TOPIC, MessageField.VALUE)
    assert data == confluent({"symbol": "ACME", "price": 600}, context)
    assert serde.deserialize(data) == ("ACME", 600)
    with pytest.raises(SerializationFailed, match=r"column 'symbol'"):
        serde.serialize((None, 600))
    with pytest.raises(UnsupportedFormat, match="has no field QUANTITY"):
        serde_for(
            FormatName.AVRO,
            [*columns, Column("QUANTITY", INTEGER)],
            options=options,
            resolver=resolver,
            subject=SUBJECT,
        )
    assert registry.versions(SUBJECT) == [1]


def test_json_sr_round_trip_and_plain_json_reads_it(registry: SqlSchemaRegistry) -> None:
    resolver = RegistryResolver(registry)
    serde = serde_for(FormatName.JSON_SR, COLUMNS, resolver=resolver, subject=SUBJECT)
    data = serde.serialize(ROW)
    assert data is not None and data[0] == 0
    assert serde.deserialize(data) == ROW
    assert serde_for(FormatName.JSON, COLUMNS).deserialize(data) == ROW
    version = registry.version(SUBJECT, "latest")
    assert version.schema_type is SchemaType.JSON
    assert int.from_bytes(data[1:5], "big") == version.id
    assert columns_of(JsonSchemaFormat().parse(version.schema))[:2] == (
        Column("SYMBOL", STRING),
        Column("TOTAL", BIGINT),
    )


def test_columns_of_an_avro_product_schema() -> None:
    schema = AvroFormat().parse(
        json.dumps(
            {
                "type": "record",
                "name": "Trade",
                "namespace": "execution",
                "fields": [
                    {"name": "symbol", "type": "string"},
                    {"name": "price", "type": ["null", "double"], "default": None},
                    {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["B"]}},
                    {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                    {
                        "name": "amount",
                        "type": {
                            "type": "bytes",
                            "logicalType": "decimal",
                            "precision": 8,
                            "scale": 2,
                        },
                    },
                    {
                        "name": "legs",
                        "type": {
                            "type": "array",
                            "items": {
                                "type": "record",
                                "name": "Leg",
                                "fields": [{"name": "qty", "type": "int"}],
                            },
                        },
                    },
                    {"name": "other", "type": ["null", "Leg"], "default": None},
                    {"name": "attrs", "type": {"type": "map", "values": "string"}},
                ],
            }
        )
    )
    assert columns_of(schema) == (
        Column("symbol", STRING),
        Column("price", DOUBLE),
        Column("side", STRING),
        Column("ts", TIMESTAMP),
        Column("amount", decimal(8, 2)),
        Column("legs", array(struct(("qty", INTEGER)))),
        Column("other", struct(("qty", INTEGER))),
        Column("attrs", map_of(STRING, STRING)),
    )
    assert columns_of(AvroFormat().parse('"long"'), "key") == (Column("ROWKEY", BIGINT),)


def test_columns_of_refuses_a_union_naming_the_path() -> None:
    schema = AvroFormat().parse(
        '{"type": "record", "name": "R", "fields": [{"name": "u", "type": ["int", "string"]}]}'
    )
    with pytest.raises(UnmappableSchema, match=r"schema 'R' .* at '/u': a union of 2 types"):
        columns_of(schema)


def test_columns_of_a_protobuf_product_schema(registry: SqlSchemaRegistry) -> None:
    text = """syntax = "proto3"; package execution;
message Trade { string symbol = 1; int64 quantity = 2; int32 side = 3; double price = 4;
  repeated string tags = 5; map<string, int64> counts = 6; Leg leg = 7; }
message Leg { bytes raw = 1; bool open = 2; }"""
    registry.register(SUBJECT, SchemaSubmission(text, SchemaType.PROTOBUF))
    _, schema = RegistryResolver(registry).latest(SUBJECT)
    assert columns_of(schema) == (
        Column("symbol", STRING),
        Column("quantity", BIGINT),
        Column("side", INTEGER),
        Column("price", DOUBLE),
        Column("tags", array(STRING)),
        Column("counts", map_of(STRING, BIGINT)),
        Column("leg", struct(("raw", BYTES), ("open", BOOLEAN))),
    )


PROTOBUF_COLUMNS = [
    Column("SYMBOL", STRING),
    Column("TOTAL", BIGINT),
    Column("QTY", INTEGER),
    Column("PRICE", DOUBLE),
    Column("TS", TIMESTAMP),
    Column("RAW", BYTES),
    Column("TAGS", array(STRING)),
    Column("COUNTS", map_of(STRING, INTEGER)),
    Column("ADDRESS", struct(("CITY", STRING), ("ZIP", INTEGER))),
]
PROTOBUF_ROW = (
    "ACME",
    42,
    7,
    1.5,
    datetime.datetime(2024, 1, 2, 9, 30, 0, 250000, tzinfo=datetime.UTC),
    b"\x01",
    ["a", "b"],
    {"x": 1},
    {"CITY": "Oslo", "ZIP": 150},
)


def test_protobuf_schema_is_ksqldbs_connect_default_message() -> None:
    assert protobuf_schema(PROTOBUF_COLUMNS[:2] + PROTOBUF_COLUMNS[4:5] + PROTOBUF_COLUMNS[8:]) == (
        'syntax = "proto3";\n\nimport "google/protobuf/timestamp.proto";\n\n'
        "message ConnectDefault1 {\n"
        "  string SYMBOL = 1;\n"
        "  int64 TOTAL = 2;\n"
        "  google.protobuf.Timestamp TS = 3;\n"
        "  ConnectDefault2 ADDRESS = 4;\n"
        "  message ConnectDefault2 {\n"
        "    string CITY = 1;\n"
        "    int32 ZIP = 2;\n"
        "  }\n"
        "}\n"
    )


def test_protobuf_round_trip_registers_the_message(registry: SqlSchemaRegistry) -> None:
    resolver = RegistryResolver(registry)
    serde = serde_for(FormatName.PROTOBUF, PROTOBUF_COLUMNS, resolver=resolver, subject=SUBJECT)
    data = serde.serialize(PROTOBUF_ROW)
    assert data is not None
    assert serde.deserialize(data) == PROTOBUF_ROW
    version = registry.version(SUBJECT, "latest")
    assert version.schema_type is SchemaType.PROTOBUF
    assert int.from_bytes(data[1:5], "big") == version.id
    # Protobuf has no NULL: a NULL number reads back as 0, a NULL struct as NULL.
    nulls = serde.deserialize(serde.serialize((None,) * len(PROTOBUF_COLUMNS)))
    assert nulls is not None and (nulls[1], nulls[8]) == (0, None)


def test_protobuf_refuses_types_it_cannot_hold_naming_the_column(
    registry: SqlSchemaRegistry,
) -> None:
    with pytest.raises(UnsupportedFormat, match=r"column 'PRICE': .*DECIMAL\(6, 2\)"):
        serde_for(
            FormatName.PROTOBUF,
            [Column("PRICE", decimal(6, 2))],
            resolver=RegistryResolver(registry),
            subject=SUBJECT,
        )
