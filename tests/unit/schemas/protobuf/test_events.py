"""Events against Protobuf schemas: refusals with path and rule, and lossless round trips."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.schemas import InvalidEvent, UndecodablePayload
from streammesh.schemas.protobuf import ProtobufFormat

FMT = ProtobufFormat()

ORDER = FMT.parse("""
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  int32 quantity = 2;
  uint32 lines = 3;
  int64 total_cents = 4;
  uint64 big = 5;
  sint64 delta = 6;
  fixed32 f32 = 7;
  sfixed64 sf64 = 8;
  float ratio = 9;
  double price = 10;
  bool paid = 11;
  bytes blob = 12;
  Status status = 13;
  repeated Leg legs = 14;
  map<string, Leg> by_sku = 15;
  map<int32, string> notes = 16;
  optional string coupon = 17;
  oneof payment { string card = 18; string iban = 19; }
  google.protobuf.Timestamp at = 20;
  message Leg { string sku = 1; int32 count = 2; repeated double prices = 3; }
  enum Status { NEW = 0; PAID = 1; SHIPPED = 2; }
}
""")

INVALID_EVENTS = [
    ("not-a-dict", ["x"], "", "type"),
    ("unknown-field", {"id": "a", "colour": "red"}, "colour", "unknown-field"),
    ("string-for-int", {"quantity": "3"}, "quantity", "type"),
    ("bool-for-int", {"quantity": True}, "quantity", "type"),
    ("float-for-int", {"quantity": 1.5}, "quantity", "type"),
    ("int32-overflow", {"quantity": 2**31}, "quantity", "range"),
    ("uint32-negative", {"lines": -1}, "lines", "range"),
    ("uint64-overflow", {"big": 2**64}, "big", "range"),
    ("int64-underflow", {"total_cents": -(2**63) - 1}, "total_cents", "range"),
    ("float-overflow", {"ratio": 1e39}, "ratio", "range"),
    ("string-for-double", {"price": "abc"}, "price", "type"),
    ("int-for-bool", {"paid": 1}, "paid", "type"),
    ("str-for-bytes", {"blob": "abc"}, "blob", "type"),
    ("bytes-for-string", {"id": b"abc"}, "id", "type"),
    ("lone-surrogate", {"id": "\ud800"}, "id", "utf-8"),
    ("unknown-enum-name", {"status": "LOST"}, "status", "enum"),
    ("enum-number-overflow", {"status": 2**40}, "status", "range"),
    ("list-expected", {"legs": {"sku": "a"}}, "legs", "type"),
    (
        "nested-unknown",
        {"legs": [{"sku": "a"}, {"sku": "b", "qty": 1}]},
        "legs[1].qty",
        "unknown-field",
    ),
    ("nested-type", {"legs": [{"prices": [1.0, "x"]}]}, "legs[0].prices[1]", "type"),
    ("map-value", {"by_sku": {"a": {"count": "many"}}}, "by_sku['a'].count", "type"),
    ("map-key", {"notes": {"one": "x"}}, "notes['one']", "map-key"),
    ("oneof-twice", {"card": "4111", "iban": "DE00"}, "iban", "oneof"),
    ("message-not-dict", {"at": 12}, "at", "type"),
    ("timestamp-field", {"at": {"seconds": "now"}}, "at.seconds", "type"),
]


@pytest.mark.parametrize(
    ("event", "path", "rule"),
    [pytest.param(e, p, r, id=case_id) for case_id, e, p, r in INVALID_EVENTS],
)
def test_invalid_events_name_the_path_and_rule(event: Any, path: str, rule: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        FMT.validate(ORDER, event)
    assert (caught.value.path, caught.value.rule) == (path, rule)
    assert caught.value.schema_name == "shop.Order"
    with pytest.raises(InvalidEvent):
        FMT.serialize(ORDER, event)


def test_first_error_in_event_order_is_reported() -> None:
    with pytest.raises(InvalidEvent) as caught:
        FMT.validate(ORDER, {"price": "x", "quantity": "y"})
    assert caught.value.path == "price"


def test_proto2_required_field_missing() -> None:
    schema = FMT.parse('syntax = "proto2"; message A { required string id = 1; }')
    with pytest.raises(InvalidEvent) as caught:
        FMT.validate(schema, {})
    assert (caught.value.path, caught.value.rule) == ("id", "required")


def test_decoded_event_shows_defaults_and_omits_unset_optional_fields() -> None:
    decoded = FMT.deserialize(ORDER, FMT.serialize(ORDER, {"id": "o-1", "coupon": None}))
    assert decoded["id"] == "o-1"
    assert decoded["quantity"] == 0
    assert decoded["status"] == "NEW"
    assert decoded["legs"] == [] and decoded["by_sku"] == {}
    assert "coupon" not in decoded and "card" not in decoded and "at" not in decoded


def test_reader_schema_reads_writer_bytes() -> None:
    writer = FMT.parse(
        'syntax = "proto3"; message A { int32 n = 1; string gone = 2; E e = 3; '
        "enum E { X = 0; Y = 1; Z = 2; } }"
    )
    reader = FMT.parse(
        'syntax = "proto3"; message A { int64 n = 1; bool added = 4; E e = 3; '
        "enum E { X = 0; Y = 1; } }"
    )
    payload = FMT.serialize(writer, {"n": -5, "gone": "bye", "e": "Z"})
    assert FMT.deserialize(writer, payload, reader=reader) == {"n": -5, "added": False, "e": 2}


def test_garbage_is_undecodable() -> None:
    with pytest.raises(UndecodablePayload):
        FMT.deserialize(ORDER, b"\x0a\xff\xff\xff\xff\x0f")


INT32 = st.integers(-(2**31), 2**31 - 1)
LEG = st.fixed_dictionaries(
    {
        "sku": st.text(),
        "count": INT32,
        "prices": st.lists(st.floats(allow_nan=False), max_size=3),
    }
)
ORDER_EVENTS = st.fixed_dictionaries(
    {
        "id": st.text(),
        "quantity": INT32,
        "lines": st.integers(0, 2**32 - 1),
        "total_cents": st.integers(-(2**63), 2**63 - 1),
        "big": st.integers(0, 2**64 - 1),
        "delta": st.integers(-(2**63), 2**63 - 1),
        "f32": st.integers(0, 2**32 - 1),
        "sf64": st.integers(-(2**63), 2**63 - 1),
        "ratio": st.floats(width=32, allow_nan=False),
        "price": st.floats(allow_nan=False),
        "paid": st.booleans(),
        "blob": st.binary(),
        "status": st.sampled_from(["NEW", "PAID", "SHIPPED"]),
        "legs": st.lists(LEG, max_size=3),
        "by_sku": st.dictionaries(st.text(max_size=5), LEG, max_size=3),
        "notes": st.dictionaries(INT32, st.text(), max_size=3),
    },
    optional={
        "coupon": st.text(),
        "at": st.fixed_dictionaries({"seconds": st.integers(-(2**63), 2**63 - 1), "nanos": INT32}),
    },
).flatmap(
    lambda event: st.one_of(
        st.just(event),
        st.builds(lambda card: {**event, "card": card}, st.text()),
        st.builds(lambda iban: {**event, "iban": iban}, st.text()),
    )
)


@settings(max_examples=150, deadline=None)
@given(ORDER_EVENTS)
def test_round_trip(event: dict[str, Any]) -> None:
    assert FMT.deserialize(ORDER, FMT.serialize(ORDER, event)) == event


TREE = FMT.parse(
    'syntax = "proto3"; message Node { string label = 1; repeated Node children = 2; '
    "optional sint32 weight = 3; }"
)
NODES = st.recursive(
    st.fixed_dictionaries({"label": st.text(max_size=3), "children": st.just([])}),
    lambda kids: st.fixed_dictionaries(
        {"label": st.text(max_size=3), "children": st.lists(kids, max_size=3)},
        optional={"weight": st.integers(-(2**31), 2**31 - 1)},
    ),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(NODES)
def test_recursive_message_round_trip(event: dict[str, Any]) -> None:
    assert FMT.deserialize(TREE, FMT.serialize(TREE, event)) == event
