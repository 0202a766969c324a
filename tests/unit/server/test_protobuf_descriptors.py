"""Confluent's serialized Protobuf form (base64 FileDescriptorProto) <-> ``.proto`` text."""

from __future__ import annotations

from base64 import b64encode

import pytest

from streammesh.registry.errors import InvalidSchemaSubmission
from streammesh.schemas.base import SchemaType
from streammesh.schemas.formats import format_for
from streammesh.schemas.protobuf.schema import ProtobufSchema
from streammesh.server.registry.protobuf_descriptors import (
    is_serialized_descriptor,
    proto_text_from_serialized,
)

PROTOBUF = format_for(SchemaType.PROTOBUF)

RICH = """
syntax = "proto3";
package acme.execution;
import "google/protobuf/timestamp.proto";
enum Side { BUY = 0; SELL = 1; reserved 5 to 9; reserved "HOLD"; }
message Trade {
  message Leg { int64 quantity = 1; }
  string symbol = 1;
  double price = 2;
  repeated int32 lots = 3;
  map<string, Leg> legs_by_venue = 4;
  optional string note = 5;
  oneof venue { string exchange = 6; int64 pool = 7; }
  Side side = 8;
  google.protobuf.Timestamp at = 9;
  bytes raw = 10 [deprecated = true];
  reserved 20 to 25, 30;
  reserved "old_price";
}
"""

PROTO2 = """
syntax = "proto2";
message Quote {
  required string symbol = 1;
  optional double bid = 2 [default = 1.5];
  optional string venue = 3 [default = "XNYS"];
  repeated int32 sizes = 4 [packed = true];
}
"""


def _serialized(text: str) -> str:
    schema = PROTOBUF.parse(text)
    assert isinstance(schema, ProtobufSchema)
    return b64encode(schema.file.SerializeToString()).decode("ascii")


@pytest.mark.parametrize("text", [RICH, PROTO2], ids=["proto3", "proto2"])
def test_a_descriptor_becomes_text_describing_the_same_schema(text: str) -> None:
    original = PROTOBUF.parse(text)
    printed = PROTOBUF.parse(proto_text_from_serialized(_serialized(text)))
    assert isinstance(original, ProtobufSchema) and isinstance(printed, ProtobufSchema)
    # Same wire format in both directions, and the same descriptor apart from the file name.
    assert PROTOBUF.check_compatibility(original, printed) == []
    assert PROTOBUF.check_compatibility(printed, original) == []
    assert printed.file.message_type == original.file.message_type
    assert printed.file.enum_type == original.file.enum_type
    assert list(printed.file.dependency) == list(original.file.dependency)


def test_text_and_descriptors_are_told_apart() -> None:
    assert is_serialized_descriptor(_serialized(RICH))
    assert not is_serialized_descriptor(RICH)
    assert not is_serialized_descriptor("")
    with pytest.raises(InvalidSchemaSubmission, match="FileDescriptorProto"):
        proto_text_from_serialized("not base64 at all")
