"""One example data contract per schema format, for the format conformance suite.

Each example is the same stock-trade record written in one format, with: a reformatted copy
(same schema, other layout/order/comments), a compatible evolution (an optional field added),
an incompatible one (``price`` changes type), a broken schema text, a valid event and an
event whose ``price`` is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from streammesh.schemas import SchemaType


@dataclass(frozen=True)
class Example:
    schema_type: SchemaType
    schema: str
    reformatted: str
    compatible_evolution: str
    incompatible_evolution: str
    broken: str
    event: dict[str, Any]
    bad_event: dict[str, Any]
    name: str
    closed_content_model: bool = False


_AVRO = {
    "type": "record",
    "name": "StockTrade",
    "namespace": "execution",
    "doc": "One executed trade.",
    "fields": [
        {
            "name": "side",
            "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]},
            "doc": "Buy or sell.",
        },
        {"name": "quantity", "type": "int", "doc": "Shares traded."},
        {"name": "symbol", "type": "string", "doc": "Ticker symbol."},
        {"name": "price", "type": "double", "doc": "Price per share."},
        {"name": "account", "type": "string", "doc": "Trading account."},
    ],
}
_AVRO_ADDED = {
    **_AVRO,
    "fields": [
        *_AVRO["fields"],
        {"name": "venue", "type": ["null", "string"], "default": None, "doc": "Execution venue."},
    ],
}
_AVRO_BROKEN_PRICE = {
    **_AVRO,
    "fields": [
        *(f for f in _AVRO["fields"] if f["name"] != "price"),
        {"name": "price", "type": "string", "doc": "Price per share."},
    ],
}

_JSON = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "StockTrade",
    "type": "object",
    "description": "One executed trade.",
    "properties": {
        "side": {"type": "string", "enum": ["BUY", "SELL"], "description": "Buy or sell."},
        "quantity": {"type": "integer", "description": "Shares traded."},
        "symbol": {"type": "string", "description": "Ticker symbol."},
        "price": {"type": "number", "description": "Price per share."},
        "account": {"type": "string", "description": "Trading account."},
    },
    "required": ["side", "quantity", "symbol", "price", "account"],
    "additionalProperties": False,
}
_JSON_ADDED = {
    **_JSON,
    "properties": {**_JSON["properties"], "venue": {"type": "string", "description": "Venue."}},
}
_JSON_BROKEN_PRICE = {**_JSON, "properties": {**_JSON["properties"], "price": {"type": "string"}}}

_PROTO = """syntax = "proto3";
package execution;

// One executed trade.
message StockTrade {
  // Buy or sell.
  Side side = 1;
  // Shares traded.
  int32 quantity = 2;
  // Ticker symbol.
  string symbol = 3;
  // Price per share.
  double price = 4;
  // Trading account.
  string account = 5;
}

enum Side {
  BUY = 0;
  SELL = 1;
}
"""
_PROTO_REFORMATTED = (
    'syntax="proto3"; package execution; /* a different comment */ message StockTrade '
    "{ Side side=1; int32 quantity=2; string symbol=3; double price=4; string account=5; } "
    "enum Side { BUY=0; SELL=1; }"
)
_PROTO_ADDED = _PROTO.replace(
    "  string account = 5;\n", "  string account = 5;\n  // Execution venue.\n  string venue = 6;\n"
)
_PROTO_BROKEN_PRICE = _PROTO.replace("double price = 4;", "string price = 4;")

_EVENT = {"side": "BUY", "quantity": 100, "symbol": "ZTEST", "price": 12.5, "account": "ACC-1"}

EXAMPLES = [
    Example(
        SchemaType.AVRO,
        json.dumps(_AVRO),
        json.dumps(_AVRO, indent=4, sort_keys=True),
        json.dumps(_AVRO_ADDED),
        json.dumps(_AVRO_BROKEN_PRICE),
        '{"type": "record", "name": "StockTrade", "fields": [{"name": "price", "type": "dubble"}]}',
        _EVENT,
        {**_EVENT, "price": "twelve"},
        "execution.StockTrade",
    ),
    Example(
        SchemaType.JSON,
        json.dumps(_JSON),
        json.dumps(_JSON, indent=2, sort_keys=True),
        json.dumps(_JSON_ADDED),
        json.dumps(_JSON_BROKEN_PRICE),
        '{"type": "object", "properties": {"price": {"type": "dubble"}}}',
        _EVENT,
        {**_EVENT, "price": "twelve"},
        "StockTrade",
        closed_content_model=True,
    ),
    Example(
        SchemaType.PROTOBUF,
        _PROTO,
        _PROTO_REFORMATTED,
        _PROTO_ADDED,
        _PROTO_BROKEN_PRICE,
        'syntax = "proto3";\nmessage StockTrade {\n  dubble price = 1;\n}\n',
        _EVENT,
        {**_EVENT, "price": "twelve"},
        "execution.StockTrade",
    ),
]


@pytest.fixture(params=EXAMPLES, ids=[e.schema_type.value.lower() for e in EXAMPLES])
def example(request: pytest.FixtureRequest) -> Example:
    chosen: Example = request.param
    return chosen
