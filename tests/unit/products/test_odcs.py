"""ODCS v3 export and import of a descriptor, without a mesh: what lands where, and what is
reported when a contract holds more than a descriptor can say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from streammesh.products.descriptor import Descriptor
from streammesh.products.odcs import (
    ContractInvalid,
    contract_yaml,
    export_contract,
    import_contract,
    parse_contract,
    write_imported,
)

SCHEMA = {
    "type": "record",
    "name": "Trade",
    "namespace": "execution.v1",
    "fields": [
        {"name": "trade_id", "type": "string", "doc": "The key."},
        {"name": "email", "type": ["null", "string"], "default": None},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}
DESCRIPTOR = {
    "name": "execution.trades",
    "owner": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "team": "execution-team",
    "description": "Every trade.",
    "tags": ["trading", "fills"],
    "alignment": "source",
    "kind": "delta",
    "key": {"field": "trade_id", "type": "string"},
    "schema": "trades.avsc",
    "version": 2,
    "partitions": "m",
    "retention": "recent:7d",
    "sla": {
        "tier": 2,
        "freshness": "5m",
        "availability": 99.9,
        "support_hours": "extended-hours",
    },
    "quality": "curated",
    "classifications": {"email": ["pii"]},
    "regions": ["eu"],
    "status": "published",
}


def _contract() -> OpenDataContractStandard:
    descriptor = Descriptor.model_validate(DESCRIPTOR)
    return export_contract(
        descriptor, json.dumps(SCHEMA), status="published", server="localhost:9092"
    )


def test_export_fills_the_odcs_fields() -> None:
    document = yaml.safe_load(contract_yaml(_contract()))
    assert document["apiVersion"].startswith("v3.")
    assert document["kind"] == "DataContract"
    assert document["id"] == "execution.trades.v2"
    assert document["version"] == "2.0.0"
    assert document["status"] == "published"
    assert document["domain"] == "execution"
    assert document["dataProduct"] == "execution.trades"
    assert document["tags"] == ["trading", "fills"]
    assert document["team"]["name"] == "execution-team"
    assert document["team"]["members"][0]["role"] == "owner"
    assert document["servers"][0]["type"] == "kafka"
    properties = {p["name"]: p for p in document["schema"][0]["properties"]}
    assert properties["trade_id"]["primaryKey"] is True
    assert properties["trade_id"]["required"] is True
    assert properties["email"]["required"] is False
    assert properties["email"]["classification"] == "pii"
    assert properties["at"]["logicalType"] == "timestamp"
    sla = {item["property"]: item for item in document["slaProperties"]}
    assert sla["freshness"]["value"] == "5m"
    assert sla["availability"] == {"property": "availability", "value": 99.9, "unit": "percent"}
    assert sla["supportHours"]["value"] == "extended-hours"
    assert sla["tier"]["value"] == 2
    # It validates against the ODCS JSON Schema's model when read back.
    assert parse_contract(contract_yaml(_contract()), source="x").id == "execution.trades.v2"


def test_import_gives_back_the_descriptor_and_the_schema() -> None:
    imported = import_contract(parse_contract(contract_yaml(_contract()), source="x"))
    assert imported.warnings == ()
    back = Descriptor.model_validate(imported.descriptor)
    original = Descriptor.model_validate(DESCRIPTOR)
    assert back == original
    schema = json.loads(imported.schema_text)
    assert [f["type"] for f in schema["fields"]] == [f["type"] for f in SCHEMA["fields"]]


def test_import_as_json_schema() -> None:
    contract = parse_contract(contract_yaml(_contract()), source="x")
    imported = import_contract(contract, schema_format="json")
    assert imported.schema_file == "trades.json"
    schema = json.loads(imported.schema_text)
    assert schema["required"] == ["trade_id", "at"]
    assert schema["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert schema["properties"]["trade_id"] == {"type": "string", "description": "The key."}
    assert imported.descriptor["schema"] == "trades.json"


def test_what_a_descriptor_cannot_hold_is_reported() -> None:
    document = yaml.safe_load(contract_yaml(_contract()))
    document["schema"].append({"name": "other", "logicalType": "object"})
    document["slaProperties"].append({"property": "retention", "value": 3})
    document["roles"] = [{"role": "reader", "access": "read"}]
    document["team"]["members"].append({"username": "bob@example.com", "role": "dev"})
    imported = import_contract(parse_contract(yaml.safe_dump(document), source="x"))
    paths = {warning.path for warning in imported.warnings}
    assert paths == {"schema[1]", "slaProperties[4]", "roles", "team.members[1]"}


def test_an_invalid_contract_is_refused_with_each_path(tmp_path: Path) -> None:
    document = yaml.safe_load(contract_yaml(_contract()))
    document["schema"][0]["properties"][0]["required"] = "perhaps"
    document["slaProperties"][1] = "fast"
    source = tmp_path / "bad.odcs.yaml"
    source.write_text(yaml.safe_dump(document), encoding="utf-8")
    into = tmp_path / "out"
    with pytest.raises(ContractInvalid) as raised:
        write_imported(source, into)
    paths = {path for path, _ in raised.value.problems}
    assert "slaProperties.1" in paths
    assert "schema.0.properties.0.required" in paths
    assert not into.exists()


def test_a_protobuf_schema_travels_whole() -> None:
    proto = 'syntax = "proto3";\npackage execution.v2;\nmessage Trade {\n  string trade_id = 1;\n}'
    descriptor = Descriptor.model_validate({**DESCRIPTOR, "schema": "trades.proto"})
    contract = export_contract(descriptor, proto, status="published", server="localhost:9092")
    read = parse_contract(contract_yaml(contract), source="x")
    imported = import_contract(read)
    assert (imported.schema_file, imported.schema_text) == ("trades.proto", proto)
    assert Descriptor.model_validate(imported.descriptor) == descriptor
    as_json = import_contract(read, schema_format="json")
    assert as_json.schema_file == "trades.proto"
    assert [w.path for w in as_json.warnings] == ["customProperties.streammesh.schema"]


def test_a_json_contract_whose_property_is_not_json_schema_is_refused_naming_it() -> None:
    text = contract_yaml(_contract()).replace(
        "value: avro", "value: json"
    )  # the contract now claims its physical types are JSON Schema
    assert "streammesh.schemaFormat\n  value: json" in text
    contract = parse_contract(text, source="x")
    with pytest.raises(ContractInvalid) as raised:
        import_contract(contract, schema_format="json")
    assert raised.value.problems[0][0] == "schema[0].properties[0].physicalType"
    assert "'string' is not a JSON Schema object" in str(raised.value)
