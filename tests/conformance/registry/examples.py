"""One stock-trade contract per schema format, with the versions the registry suite needs.

``evolved`` adds an optional ``venue`` and is compatible under every level (so FULL_TRANSITIVE,
the mesh's default, accepts it); ``breaking`` changes ``price`` from a number to a string,
which every level but NONE refuses with the rule in ``breaking_rule``. ``money`` is a schema
another one can reference under ``money_reference_name``, and ``uses_money`` references it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from streammesh.schemas import SchemaType


@dataclass(frozen=True)
class Contract:
    schema_type: SchemaType
    original: str
    reformatted: str
    evolved: str
    breaking: str
    breaking_rule: str
    broken: str
    broken_location: str
    money: str
    money_reference_name: str
    uses_money: str


_AVRO = {
    "type": "record",
    "name": "StockTrade",
    "namespace": "execution",
    "fields": [
        {"name": "symbol", "type": "string"},
        {"name": "price", "type": "double"},
    ],
}
_AVRO_EVOLVED = {
    **_AVRO,
    "fields": [*_AVRO["fields"], {"name": "venue", "type": ["null", "string"], "default": None}],
}
_AVRO_BREAKING = {**_AVRO, "fields": [_AVRO["fields"][0], {"name": "price", "type": "string"}]}
_AVRO_MONEY = {
    "type": "record",
    "name": "Money",
    "namespace": "common",
    "fields": [{"name": "cents", "type": "long"}],
}
_AVRO_USES_MONEY = {
    "type": "record",
    "name": "Payment",
    "namespace": "execution",
    "fields": [{"name": "amount", "type": "common.Money"}],
}

# JSON Schema: an open content model whose extra properties must be strings, so adding an
# optional string property is compatible both ways (FULL).
_JSON: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "StockTrade",
    "type": "object",
    "properties": {"symbol": {"type": "string"}, "price": {"type": "number"}},
    "required": ["symbol", "price"],
    "additionalProperties": {"type": "string"},
}
_JSON_EVOLVED = {**_JSON, "properties": {**_JSON["properties"], "venue": {"type": "string"}}}
_JSON_BREAKING = {**_JSON, "properties": {**_JSON["properties"], "price": {"type": "string"}}}
_JSON_MONEY = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"cents": {"type": "integer"}},
    "required": ["cents"],
}
_JSON_USES_MONEY = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Payment",
    "type": "object",
    "properties": {"amount": {"$ref": "money.json"}},
}

_PROTO = """syntax = "proto3";
package execution;

message StockTrade {
  string symbol = 1;
  double price = 2;
}
"""

CONTRACTS = [
    Contract(
        schema_type=SchemaType.AVRO,
        original=json.dumps(_AVRO),
        reformatted=json.dumps(_AVRO, indent=4, sort_keys=True),
        evolved=json.dumps(_AVRO_EVOLVED),
        breaking=json.dumps(_AVRO_BREAKING),
        breaking_rule="TYPE_MISMATCH",
        broken='{"type": "record", "name": "T", "fields": [{"name": "p", "type": "dubble"}]}',
        broken_location="/fields/0/type",
        money=json.dumps(_AVRO_MONEY),
        money_reference_name="common.Money",
        uses_money=json.dumps(_AVRO_USES_MONEY),
    ),
    Contract(
        schema_type=SchemaType.JSON,
        original=json.dumps(_JSON),
        reformatted=json.dumps(_JSON, indent=2, sort_keys=True),
        evolved=json.dumps(_JSON_EVOLVED),
        breaking=json.dumps(_JSON_BREAKING),
        breaking_rule="TYPE_CHANGED",
        broken='{"type": "object", "properties": {"price": {"type": "dubble"}}}',
        broken_location="/properties/price/type",
        money=json.dumps(_JSON_MONEY),
        money_reference_name="money.json",
        uses_money=json.dumps(_JSON_USES_MONEY),
    ),
    Contract(
        schema_type=SchemaType.PROTOBUF,
        original=_PROTO,
        reformatted='syntax="proto3"; package execution; '
        "message StockTrade { string symbol=1; double price=2; }",
        evolved=_PROTO.replace(
            "  double price = 2;\n", "  double price = 2;\n  string venue = 3;\n"
        ),
        breaking=_PROTO.replace("double price = 2;", "string price = 2;"),
        breaking_rule="FIELD_SCALAR_KIND_CHANGED",
        broken='syntax = "proto3";\nmessage StockTrade {\n  dubble price = 1;\n}\n',
        broken_location="message StockTrade, field price",
        money='syntax = "proto3";\npackage common;\nmessage Money {\n  int64 cents = 1;\n}\n',
        money_reference_name="common/money.proto",
        uses_money='syntax = "proto3";\npackage execution;\nimport "common/money.proto";\n'
        "message Payment {\n  common.Money amount = 1;\n}\n",
    ),
]
