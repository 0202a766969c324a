"""Parsing .proto text: located errors, imports, record message, fields and message indexes."""

from __future__ import annotations

import pytest

from streammesh.schemas import InvalidSchema, SchemaField, UnresolvedReference
from streammesh.schemas.protobuf import ProtobufFormat

FMT = ProtobufFormat()

TRADE = """
syntax = "proto3";
package acme.trades;
import "google/protobuf/timestamp.proto";

// One executed trade.
message Trade {
  // Price per share.
  double price = 1;
  repeated Leg legs = 2; // The legs of the trade.
  /* When it
   * happened. */
  google.protobuf.Timestamp at = 3;
  map<string, Leg> by_venue = 4;
  Side side = 5;
  message Leg {
    // Shares in this leg.
    int64 size = 1;
  }
}
enum Side { BUY = 0; SELL = 1; }
message Ack { message Detail { string text = 1; } Detail detail = 1; }
"""


def test_first_message_is_the_record_and_fields_carry_docs() -> None:
    schema = FMT.parse(TRADE)
    assert schema.name == "acme.trades.Trade"
    assert schema.fields() == (
        SchemaField("price", "double", "Price per share."),
        SchemaField("legs", "repeated acme.trades.Trade.Leg", "The legs of the trade."),
        SchemaField("legs[].size", "int64", "Shares in this leg."),
        SchemaField("at", "google.protobuf.Timestamp", "When it\nhappened."),
        SchemaField("at.seconds", "int64", None),
        SchemaField("at.nanos", "int32", None),
        SchemaField("by_venue", "map<string, acme.trades.Trade.Leg>", None),
        SchemaField("by_venue{}.size", "int64", "Shares in this leg."),
        SchemaField("side", "acme.trades.Side", None),
    )


def test_message_indexes_follow_confluent() -> None:
    schema = FMT.parse(TRADE)
    assert schema.message_indexes() == [0]
    assert schema.message_indexes("acme.trades.Trade.Leg") == [0, 0]
    assert schema.message_indexes("acme.trades.Ack.Detail") == [1, 0]
    assert schema.message_for_indexes([1, 0]) == "acme.trades.Ack.Detail"
    assert schema.message_for_indexes([]) == "acme.trades.Trade"
    ack = schema.for_message("acme.trades.Ack")
    assert ack.name == "acme.trades.Ack"
    assert ack.message_indexes() == [1]
    assert ack.fingerprint == schema.fingerprint
    assert FMT.deserialize(ack, FMT.serialize(ack, {"detail": {"text": "ok"}})) == {
        "detail": {"text": "ok"}
    }
    with pytest.raises(InvalidSchema, match="declares no such message"):
        schema.for_message("acme.trades.Nope")


def test_references_are_imports_by_path() -> None:
    money = FMT.parse('syntax = "proto3"; package common; message Money { int64 units = 1; }')
    text = 'syntax = "proto3"; import "common/money.proto"; message Pay { common.Money amt = 1; }'
    pay = FMT.parse(text, {"common/money.proto": money})
    assert pay.references == {"common/money.proto": money}
    assert FMT.deserialize(pay, FMT.serialize(pay, {"amt": {"units": 5}})) == {"amt": {"units": 5}}
    with pytest.raises(UnresolvedReference) as caught:
        FMT.parse(text)
    assert caught.value.name == "common/money.proto"


def test_fingerprint_covers_references() -> None:
    text = 'syntax = "proto3"; import "m.proto"; message Pay { common.Money amt = 1; }'
    v1 = FMT.parse('syntax = "proto3"; package common; message Money { int64 units = 1; }')
    v2 = FMT.parse('syntax = "proto3"; package common; message Money { sint64 units = 1; }')
    assert (
        FMT.parse(text, {"m.proto": v1}).fingerprint != FMT.parse(text, {"m.proto": v2}).fingerprint
    )


HEAD = 'syntax = "proto3";\n'

INVALID = [
    ("syntax-error", HEAD + "message A {\n  int32 x = ;\n}\n", "line 3, column 13", "INT_LITERAL"),
    ("unclosed", HEAD + "message A {\n  int32 x = 1;\n", "line 4, column 1", "fix"),
    ("no-syntax", "message A { int32 x = 1; }", "line 1, column 1", 'syntax = "proto3"'),
    ("proto4", 'syntax = "proto4"; message A {}', "syntax declaration", "proto4"),
    ("edition", 'edition = "2023"; message A {}', "edition declaration", "editions"),
    ("unknown-type", HEAD + "message A { dubble x = 1; }", "message A, field x", "dubble"),
    (
        "duplicate-number",
        HEAD + "message A { int32 x = 1; int32 y = 1; }",
        "message A, field y",
        "already used by field 'x'",
    ),
    (
        "duplicate-name",
        HEAD + "message A { int32 x = 1; int32 x = 2; }",
        "message A, field x",
        "two fields",
    ),
    ("number-zero", HEAD + "message A { int32 x = 0; }", "message A, field x", "outside"),
    (
        "number-protobuf-reserved",
        HEAD + "message A { int32 x = 19500; }",
        "message A, field x",
        "19000..19999",
    ),
    (
        "reserved-number",
        HEAD + "message A { reserved 2 to 4; int32 x = 3; }",
        "message A, field x",
        "reserved",
    ),
    (
        "reserved-name",
        HEAD + 'message A { reserved "x"; int32 x = 3; }',
        "message A, field x",
        "reserved",
    ),
    (
        "required-in-proto3",
        HEAD + "message A { required int32 x = 1; }",
        "message A, field x",
        "required",
    ),
    (
        "enum-first-not-zero",
        HEAD + "enum E { A = 1; } message M { E e = 1; }",
        "enum E, value A",
        "must be 0",
    ),
    (
        "enum-duplicate-number",
        HEAD + "enum E { A = 0; B = 0; } message M { E e = 1; }",
        "enum E, value B",
        "allow_alias",
    ),
    (
        "map-float-key",
        HEAD + "message A { map<double, int32> m = 1; }",
        "line 2, column 17",
        "'double'",
    ),
    ("no-message", HEAD + "enum E { A = 0; }", "file", "no message"),
    (
        "group",
        'syntax = "proto2"; message A { optional group G = 1 { optional int32 x = 2; } }',
        "message A, group G",
        "groups",
    ),
    (
        "proto2-missing-label",
        'syntax = "proto2"; message A { int32 x = 1; }',
        "message A, field x",
        "label",
    ),
    (
        "default-in-proto3",
        HEAD + "message A { int32 x = 1 [default = 3]; }",
        "message A, field x",
        "default",
    ),
    (
        "nested-scope",
        HEAD + "package p; message A { message B {} } message C { B b = 1; }",
        "message p.C, field b",
        "unknown type 'B'",
    ),
    (
        "duplicate-symbol",
        HEAD + "message A { int32 x = 1; } message A { int32 y = 1; }",
        "file",
        "A",
    ),
]


@pytest.mark.parametrize(
    ("text", "location", "reason"),
    [pytest.param(t, loc, r, id=case_id) for case_id, t, loc, r in INVALID],
)
def test_invalid_schemas_say_where_and_why(text: str, location: str, reason: str) -> None:
    with pytest.raises(InvalidSchema) as caught:
        FMT.parse(text)
    assert caught.value.location.startswith(location)
    assert reason in caught.value.reason


def test_proto2_schema_with_required_fields_and_defaults() -> None:
    schema = FMT.parse(
        'syntax = "proto2"; message A { required string id = 1; optional int32 n = 2 '
        "[default = 7]; }"
    )
    assert FMT.deserialize(schema, FMT.serialize(schema, {"id": "x"})) == {"id": "x"}
    assert schema.message_class.FromString(FMT.serialize(schema, {"id": "x"})).n == 7


def test_relative_names_resolve_innermost_first() -> None:
    schema = FMT.parse(
        HEAD + "package p; message Leg { string outer = 1; } "
        "message T { message Leg { int32 inner = 1; } Leg a = 1; .p.Leg b = 2; T.Leg c = 3; }",
    ).for_message("p.T")
    types = {f.path: f.type for f in schema.fields()}
    assert types["a"] == "p.T.Leg"
    assert types["b"] == "p.Leg"
    assert types["c"] == "p.T.Leg"
