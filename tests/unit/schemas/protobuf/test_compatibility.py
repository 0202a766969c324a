"""Protobuf compatibility by the wire rules, as a table of writer/reader pairs."""

from __future__ import annotations

import pytest

from streammesh.schemas.protobuf import ProtobufFormat, Rule, differences

FMT = ProtobufFormat()

BASE = """
syntax = "proto3";
package acme;
message Trade {
  double price = 1;
  int32 quantity = 2;
  string symbol = 3;
  Side side = 4;
  Leg leg = 5;
  repeated int64 fills = 6;
  oneof venue { string exchange = 7; string dark_pool = 8; }
  map<string, int32> tags = 9;
  reserved 15, 16;
  message Leg { int32 size = 1; }
}
enum Side { BUY = 0; SELL = 1; }
message Audit { string who = 1; }
"""


def edit(*pairs: tuple[str, str]) -> str:
    text = BASE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


# BASE with a second oneof, for merging oneofs and moving members between them.
ROUTED = edit(("  map<", "  oneof route { string broker = 11; string direct = 12; }\n  map<"))

# (id, writer, reader, expected incompatible rule ids, a compatible difference expected)
CASES = [
    ("identical", BASE, BASE, [], None),
    ("field-added", BASE, edit(("  map<", "  bool urgent = 10;\n  map<")), [], Rule.FIELD_ADDED),
    ("field-removed", BASE, edit(("  int32 quantity = 2;\n", "")), [], Rule.FIELD_REMOVED),
    ("field-renamed", BASE, edit(("quantity = 2", "qty = 2")), [], Rule.FIELD_NAME_CHANGED),
    ("int32-to-int64", BASE, edit(("int32 quantity", "int64 quantity")), [], None),
    ("int32-to-bool", BASE, edit(("int32 quantity", "bool quantity")), [], None),
    ("enum-to-int32", BASE, edit(("Side side", "int32 side")), [], None),
    ("string-to-bytes", BASE, edit(("string symbol", "bytes symbol")), [], None),
    (
        "int32-to-sint32",
        BASE,
        edit(("int32 quantity", "sint32 quantity")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        None,
    ),
    (
        "double-to-string",
        BASE,
        edit(("double price", "string price")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        None,
    ),
    (
        "double-to-float",
        BASE,
        edit(("double price", "float price")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        None,
    ),
    (
        "fixed32-to-sfixed32",
        edit(("int32 quantity", "fixed32 quantity")),
        edit(("int32 quantity", "sfixed32 quantity")),
        [],
        None,
    ),
    (
        "fixed64-to-fixed32",
        edit(("int32 quantity", "fixed64 quantity")),
        edit(("int32 quantity", "fixed32 quantity")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        None,
    ),
    (
        "scalar-to-message",
        BASE,
        edit(("int32 quantity = 2", "Leg quantity = 2")),
        [Rule.FIELD_KIND_CHANGED],
        None,
    ),
    (
        "map-to-scalar",
        BASE,
        edit(("map<string, int32> tags = 9", "string tags = 9")),
        [Rule.FIELD_KIND_CHANGED],
        None,
    ),
    (
        "map-value-type",
        BASE,
        edit(("map<string, int32>", "map<string, string>")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        None,
    ),
    (
        "named-type-changed",
        BASE,
        edit(("  Leg leg = 5;", "  Audit leg = 5;")),
        [Rule.FIELD_NAMED_TYPE_CHANGED],
        None,
    ),
    (
        "nested-field-type",
        BASE,
        edit(("int32 size = 1", "string size = 1")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        None,
    ),
    (
        "number-reused-with-other-type",
        BASE,
        edit(("  int32 quantity = 2;", "  string note = 2;")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        Rule.FIELD_NAME_CHANGED,
    ),
    (
        "reserved-number-reused",
        BASE,
        edit(("  map<", "  string note = 15;\n  map<"), ("reserved 15, 16;", "reserved 16;")),
        [Rule.RESERVED_FIELD_REUSED],
        None,
    ),
    (
        "removed-and-reserved",
        BASE,
        edit(("  int32 quantity = 2;\n", ""), ("reserved 15, 16;", "reserved 2, 15, 16;")),
        [],
        Rule.FIELD_REMOVED,
    ),
    (
        "numeric-singular-to-repeated",
        BASE,
        edit(("int32 quantity", "repeated int32 quantity")),
        [Rule.FIELD_NUMERIC_LABEL_CHANGED],
        None,
    ),
    (
        "string-singular-to-repeated",
        BASE,
        edit(("string symbol", "repeated string symbol")),
        [],
        Rule.FIELD_STRING_OR_BYTES_LABEL_CHANGED,
    ),
    # Confluent: "Detect compatible field label change for message" (no difference at all);
    # protobuf: singular and repeated are compatible for strings, bytes and messages.
    ("message-singular-to-repeated", BASE, edit(("  Leg leg", "  repeated Leg leg")), [], None),
    ("message-repeated-to-singular", edit(("  Leg leg", "  repeated Leg leg")), BASE, [], None),
    (
        "message-optional-to-repeated",
        edit(("  Leg leg", "  optional Leg leg")),
        edit(("  Leg leg", "  repeated Leg leg")),
        [],
        None,
    ),
    (
        "bytes-optional-to-repeated",
        edit(("string symbol", "optional bytes symbol")),
        edit(("string symbol", "repeated bytes symbol")),
        [],
        Rule.FIELD_STRING_OR_BYTES_LABEL_CHANGED,
    ),
    (
        "numeric-optional-to-repeated",
        edit(("int32 quantity", "optional int32 quantity")),
        edit(("int32 quantity", "repeated int32 quantity")),
        [Rule.FIELD_NUMERIC_LABEL_CHANGED],
        None,
    ),
    (
        "enum-singular-to-repeated",
        BASE,
        edit(("Side side", "repeated Side side")),
        [Rule.FIELD_NUMERIC_LABEL_CHANGED],
        None,
    ),
    ("optional-added", BASE, edit(("int32 quantity", "optional int32 quantity")), [], None),
    (
        "package-changed",
        BASE,
        edit(("package acme;", "package acme.v2;")),
        [],
        Rule.PACKAGE_CHANGED,
    ),
    (
        "record-message-renamed",
        BASE,
        edit(("message Trade {", "message Deal {")),
        [Rule.MESSAGE_REMOVED],
        Rule.MESSAGE_ADDED,
    ),
    ("message-added", BASE, BASE + "message Extra { int32 x = 1; }\n", [], Rule.MESSAGE_ADDED),
    (
        "message-moved",
        BASE,
        edit(("message Audit { string who = 1; }\n", "")).replace(
            'syntax = "proto3";\npackage acme;\n',
            'syntax = "proto3";\npackage acme;\nmessage Audit { string who = 1; }\n',
        ),
        [],
        Rule.MESSAGE_MOVED,
    ),
    (
        "oneof-added",
        BASE,
        edit(("  map<", "  oneof extra { int32 a = 11; }\n  map<")),
        [],
        Rule.ONEOF_ADDED,
    ),
    (
        "oneof-removed",
        BASE,
        edit(("oneof venue { string exchange = 7; string dark_pool = 8; }", "")),
        [],
        Rule.ONEOF_REMOVED,
    ),
    (
        "oneof-field-added",
        BASE,
        edit(("string dark_pool = 8; }", "string dark_pool = 8; string otc = 11; }")),
        [],
        Rule.ONEOF_FIELD_ADDED,
    ),
    (
        "oneof-field-removed",
        BASE,
        edit((" string dark_pool = 8; }", " }")),
        [Rule.ONEOF_FIELD_REMOVED],
        None,
    ),
    (
        "oneof-field-moved-out",
        BASE,
        edit((" string dark_pool = 8; }", " }\n  string dark_pool = 8;")),
        [],
        None,
    ),
    (
        "one-field-moved-into-new-oneof",
        BASE,
        edit(("  string symbol = 3;", "  oneof ident { string symbol = 3; }")),
        [],
        Rule.ONEOF_ADDED,
    ),
    (
        "multiple-fields-moved-to-oneof",
        BASE,
        edit(
            ("  double price = 1;\n  int32 quantity = 2;\n", ""),
            (
                "  string symbol",
                "  oneof amount { double price = 1; int32 quantity = 2; }\n  string symbol",
            ),
        ),
        [Rule.MULTIPLE_FIELDS_MOVED_TO_ONEOF],
        None,
    ),
    (
        "field-moved-to-existing-oneof",
        BASE,
        edit(
            ("  string symbol = 3;\n", ""),
            ("string dark_pool = 8; }", "string dark_pool = 8; string symbol = 3; }"),
        ),
        [Rule.FIELD_MOVED_TO_EXISTING_ONEOF],
        None,
    ),
    (
        "field-and-new-field-moved-to-new-oneof",
        BASE,
        edit(("  string symbol = 3;", "  oneof ident { string symbol = 3; int32 isin = 12; }")),
        [],
        Rule.ONEOF_ADDED,
    ),
    (
        "multiple-fields-moved-to-existing-oneof",
        BASE,
        edit(
            ("  double price = 1;\n  int32 quantity = 2;\n", ""),
            (
                "string dark_pool = 8; }",
                "string dark_pool = 8; double price = 1; int32 quantity = 2; }",
            ),
        ),
        [Rule.MULTIPLE_FIELDS_MOVED_TO_ONEOF],
        None,
    ),
    (
        "field-moved-to-renamed-oneof",
        BASE,
        edit(
            ("  string symbol = 3;\n", ""),
            (
                "oneof venue { string exchange = 7; string dark_pool = 8; }",
                "oneof place { string exchange = 7; string dark_pool = 8; string symbol = 3; }",
            ),
        ),
        [Rule.FIELD_MOVED_TO_EXISTING_ONEOF],
        Rule.ONEOF_REMOVED,
    ),
    (
        "oneofs-merged",
        ROUTED,
        edit(
            (
                "string dark_pool = 8; }",
                "string dark_pool = 8; string broker = 11; string direct = 12; }",
            )
        ),
        [Rule.FIELD_MOVED_TO_EXISTING_ONEOF],
        Rule.ONEOF_REMOVED,
    ),
    (
        "field-moved-between-oneofs",
        ROUTED,
        edit(
            (" string dark_pool = 8; }", " }"),
            (
                "  map<",
                "  oneof route { string broker = 11; string direct = 12; string dark_pool = 8; }"
                "\n  map<",
            ),
        ),
        [Rule.FIELD_MOVED_TO_EXISTING_ONEOF],
        None,
    ),
    (
        "oneof-split",
        BASE,
        edit((" string dark_pool = 8; }", " }\n  oneof pool { string dark_pool = 8; }")),
        [],
        Rule.ONEOF_ADDED,
    ),
    (
        "oneof-renamed",
        BASE,
        edit(("oneof venue", "oneof place")),
        [],
        Rule.ONEOF_REMOVED,
    ),
    (
        "oneof-renamed-member-type-changed",
        BASE,
        edit(("oneof venue", "oneof place"), ("string dark_pool", "int64 dark_pool")),
        [Rule.FIELD_SCALAR_KIND_CHANGED],
        Rule.ONEOF_ADDED,
    ),
    (
        "oneof-renamed-member-dropped",
        BASE,
        edit(("oneof venue", "oneof place"), (" string dark_pool = 8; }", " }")),
        [],
        Rule.ONEOF_ADDED,
    ),
    (
        "oneof-removed-members-kept",
        BASE,
        edit(
            (
                "oneof venue { string exchange = 7; string dark_pool = 8; }",
                "string exchange = 7;\n  string dark_pool = 8;",
            )
        ),
        [],
        Rule.ONEOF_REMOVED,
    ),
    (
        "enum-const-added",
        BASE,
        edit(("SELL = 1;", "SELL = 1; SHORT = 2;")),
        [],
        Rule.ENUM_CONST_ADDED,
    ),
    ("enum-added", BASE, BASE + "enum Color { RED = 0; }\n", [], Rule.ENUM_ADDED),
    (
        "unused-enum-removed",
        edit(("enum Side", "enum Color { RED = 0; }\nenum Side")),
        BASE,
        [],
        Rule.ENUM_REMOVED,
    ),
    ("enum-const-removed", BASE, edit((" SELL = 1;", "")), [], Rule.ENUM_CONST_REMOVED),
    ("enum-const-renamed", BASE, edit(("SELL = 1", "OFFER = 1")), [], Rule.ENUM_CONST_CHANGED),
    (
        "several-problems-all-listed",
        BASE,
        edit(("double price", "string price"), ("  Leg leg = 5;", "  Audit leg = 5;")),
        [Rule.FIELD_NAMED_TYPE_CHANGED, Rule.FIELD_SCALAR_KIND_CHANGED],
        None,
    ),
]

PROTO2 = """
syntax = "proto2";
message Order {
  required string id = 1;
  optional int32 size = 2;
  optional Kind kind = 3;
  enum Kind { LIMIT = 0; MARKET = 1; }
}
"""

CASES += [
    (
        "required-field-added",
        PROTO2,
        PROTO2.replace("  enum Kind", "  required int32 lot = 4;\n  enum Kind"),
        [Rule.REQUIRED_FIELD_ADDED],
        None,
    ),
    (
        "required-field-removed",
        PROTO2,
        PROTO2.replace("  required string id = 1;\n", ""),
        [Rule.REQUIRED_FIELD_REMOVED],
        None,
    ),
    (
        "optional-became-required",
        PROTO2,
        PROTO2.replace("optional int32 size", "required int32 size"),
        [Rule.FIELD_LABEL_CHANGED],
        None,
    ),
    (
        "closed-enum-const-removed",
        PROTO2,
        PROTO2.replace(" MARKET = 1;", ""),
        [Rule.ENUM_CONST_REMOVED],
        None,
    ),
    (
        "syntax-changed",
        PROTO2,
        'syntax = "proto3";\nmessage Order {\n  string id = 1;\n  optional int32 size = 2;\n'
        "  optional Kind kind = 3;\n  enum Kind { LIMIT = 0; MARKET = 1; }\n}\n",
        [Rule.SYNTAX_VERSION_CHANGED],
        None,
    ),
]


@pytest.mark.parametrize(
    ("writer", "reader", "expected", "noted"),
    [pytest.param(w, r, e, n, id=case_id) for case_id, w, r, e, n in CASES],
)
def test_compatibility_table(
    writer: str, reader: str, expected: list[Rule], noted: Rule | None
) -> None:
    old, new = FMT.parse(writer), FMT.parse(reader)
    problems = FMT.check_compatibility(reader=new, writer=old)
    assert sorted(p.rule for p in problems) == sorted(rule.value for rule in expected)
    assert all(p.path and p.reason for p in problems)
    if noted is not None:
        found = {d.rule for d in differences(new, old) if d.compatible}
        assert noted in found


def test_paths_name_the_message_and_field() -> None:
    old = FMT.parse(BASE)
    new = FMT.parse(edit(("double price", "string price"), ("int32 size", "string size")))
    paths = sorted(p.path for p in FMT.check_compatibility(reader=new, writer=old))
    assert paths == ["Trade.Leg.size", "Trade.price"]


def test_imported_message_changes_are_found_through_fields() -> None:
    common_v1 = FMT.parse('syntax = "proto3"; package common; message Money { int64 units = 1; }')
    common_v2 = FMT.parse('syntax = "proto3"; package common; message Money { string units = 1; }')
    text = 'syntax = "proto3"; import "common.proto"; message Pay { common.Money amount = 1; }'
    old = FMT.parse(text, {"common.proto": common_v1})
    new = FMT.parse(text, {"common.proto": common_v2})
    problems = FMT.check_compatibility(reader=new, writer=old)
    assert [(p.path, p.rule) for p in problems] == [("Money.units", "FIELD_SCALAR_KIND_CHANGED")]


def test_every_incompatible_rule_is_covered_by_the_table() -> None:
    covered = {rule for case in CASES for rule in case[3]}
    noted = {case[4] for case in CASES if case[4] is not None}
    untested = set(Rule) - covered - noted
    assert untested == set()


def _read(writer: str, reader: str, event: dict[str, object]) -> dict[str, object]:
    old, new = FMT.parse(writer), FMT.parse(reader)
    return FMT.deserialize(old, FMT.serialize(old, event), reader=new)


def test_message_field_label_changes_really_read() -> None:
    """What the table calls compatible for message fields holds on the wire."""
    repeated = edit(("  Leg leg", "  repeated Leg leg"))
    as_list = _read(BASE, repeated, {"leg": {"size": 3}})
    assert as_list["leg"] == [{"size": 3}]
    merged = _read(repeated, BASE, {"leg": [{"size": 3}, {"size": 5}]})
    assert merged["leg"] == {"size": 5}  # a singular reader merges the writer's messages


def test_merged_oneofs_really_lose_a_field() -> None:
    """Why merging oneofs is refused: the writer sets both, the reader keeps one."""
    merged = edit(
        (
            "string dark_pool = 8; }",
            "string dark_pool = 8; string broker = 11; string direct = 12; }",
        )
    )
    read = _read(ROUTED, merged, {"exchange": "XNYS", "broker": "B1"})
    assert FMT.check_compatibility(reader=FMT.parse(merged), writer=FMT.parse(ROUTED))
    assert _read(ROUTED, ROUTED, {"exchange": "XNYS", "broker": "B1"})["exchange"] == "XNYS"
    assert read["broker"] == "B1" and "exchange" not in read
