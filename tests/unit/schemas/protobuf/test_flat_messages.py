"""Flat messages (singular scalars only, most event records) take a shorter path than the
walk; what is written and what is refused stay exactly the walk's."""

from __future__ import annotations

import pytest

from streammesh.schemas import InvalidEvent, SchemaType
from streammesh.schemas.formats import format_for
from streammesh.schemas.protobuf.schema import ProtobufSchema

FLAT = """syntax = "proto3";
package bench.v1;

message Trade {
  string account = 1;
  double price = 2;
  int64 quantity = 3;
  uint32 lot = 4;
  bool settled = 5;
  bytes memo = 6;
}
"""
PROTOBUF = format_for(SchemaType.PROTOBUF)


@pytest.fixture(scope="module")
def schema() -> ProtobufSchema:
    parsed = PROTOBUF.parse(FLAT)
    assert isinstance(parsed, ProtobufSchema)
    return parsed


@pytest.mark.parametrize(
    "event",
    [
        {"account": "a-1", "price": 12.5, "quantity": 7, "lot": 1, "settled": True, "memo": b"x"},
        {"account": "ÄCME €", "price": 3, "quantity": -(2**63), "lot": 2**32 - 1},
        {"account": None, "price": None, "settled": False},
        {"memo": bytearray(b"\x00\xff"), "quantity": 2},
        {},
    ],
)
def test_flat_events_are_written_as_protobuf_writes_them(
    schema: ProtobufSchema, event: dict[str, object]
) -> None:
    given = {key: value for key, value in event.items() if value is not None}
    if "price" in given:
        given["price"] = float(given["price"])  # type: ignore[arg-type]
    if "memo" in given:
        given["memo"] = bytes(given["memo"])  # type: ignore[arg-type]
    expected = schema.message_class(**given).SerializeToString()
    assert PROTOBUF.serialize(schema, event) == expected
    assert PROTOBUF.deserialize(schema, expected) == PROTOBUF.deserialize(
        schema, PROTOBUF.serialize(schema, event)
    )


@pytest.mark.parametrize(
    ("event", "path", "rule"),
    [
        ({"account": "a", "quantity": True}, "quantity", "type"),
        ({"account": "a", "quantity": 1.0}, "quantity", "type"),
        ({"lot": -1}, "lot", "range"),
        ({"quantity": 2**63}, "quantity", "range"),
        ({"price": "12.5"}, "price", "type"),
        ({"settled": 1}, "settled", "type"),
        ({"memo": "text"}, "memo", "type"),
        ({"account": "a", "venue": "XNYS"}, "venue", "unknown-field"),
        ({"account": "\ud800"}, "account", "utf-8"),
    ],
)
def test_flat_events_are_refused_naming_the_field_and_rule(
    schema: ProtobufSchema, event: dict[str, object], path: str, rule: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        PROTOBUF.serialize(schema, event)
    assert (refused.value.path, refused.value.rule) == (path, rule)


def test_flat_events_read_back_with_every_field_and_proto3_defaults(
    schema: ProtobufSchema,
) -> None:
    written = PROTOBUF.serialize(schema, {"account": "a-1", "quantity": 7})
    assert PROTOBUF.deserialize(schema, written) == {
        "account": "a-1",
        "price": 0.0,
        "quantity": 7,
        "lot": 0,
        "settled": False,
        "memo": b"",
    }


def test_fields_with_presence_still_appear_only_when_set() -> None:
    parsed = PROTOBUF.parse(FLAT.replace("bool settled = 5;", "optional bool settled = 5;"))
    assert isinstance(parsed, ProtobufSchema)
    unset = PROTOBUF.deserialize(parsed, PROTOBUF.serialize(parsed, {"account": "a"}))
    assert "settled" not in unset
    both = PROTOBUF.serialize(parsed, {"account": "a", "settled": False})
    assert PROTOBUF.deserialize(parsed, both)["settled"] is False
