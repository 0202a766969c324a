"""Protobuf schemas (proto3, and proto2 without groups or extensions) for the registry.

``ProtobufFormat`` implements ``SchemaFormat``; ``ProtobufSchema`` is its parsed schema,
which also offers Confluent's message indexes for the wire format. ``differences`` lists
every change between two schemas, compatible ones included (for human diffs).
"""

from __future__ import annotations

from streammesh.schemas.protobuf.compatibility import Difference, Rule, differences
from streammesh.schemas.protobuf.format import ProtobufFormat
from streammesh.schemas.protobuf.schema import ProtobufSchema

__all__ = ["Difference", "ProtobufFormat", "ProtobufSchema", "Rule", "differences"]
