"""Canonical form: layout, comments, quoting and option order do not change the fingerprint."""

from __future__ import annotations

from streammesh.schemas.protobuf import ProtobufFormat

FMT = ProtobufFormat()

PRETTY = """
// A header comment.
syntax = "proto3";

package acme.trades;

import "google/protobuf/timestamp.proto";
option java_package = "com.acme";
option go_package = "acme/trades";

/* The trade. */
message Trade {
  option deprecated = false;
  double price = 1 [deprecated = true, json_name = "p"];  // trailing
  repeated string tags = 2;
  map<string, int64> counts = 3;
  oneof kind {
    string a = 4;
    int32 b = 5;
  }
  reserved 7, 9 to 11;
  reserved "old", "older";
  google.protobuf.Timestamp at = 12;
}
"""

MINIFIED = (
    "syntax='proto3';package acme . trades;import 'google/protobuf/timestamp.proto';"
    "option go_package='acme/trades';option java_package='com.acme';"
    "message Trade{option deprecated=false;double price=1[json_name='p',deprecated=true];"
    "repeated string tags=2;map<string,int64>counts=3;oneof kind{string a=4;int32 b=5;}"
    "reserved 7,9  to  11;reserved 'old','older';google.protobuf.Timestamp at=12;;}"
)


def test_pretty_and_minified_share_canonical_form_and_fingerprint() -> None:
    pretty, minified = FMT.parse(PRETTY), FMT.parse(MINIFIED)
    assert pretty.canonical == minified.canonical
    assert pretty.fingerprint == minified.fingerprint
    assert "//" not in pretty.canonical and "/*" not in pretty.canonical
    assert pretty.text == PRETTY  # the text as given is kept


def test_canonical_form_keeps_declaration_order_and_reads_as_proto() -> None:
    canonical = FMT.parse(PRETTY).canonical
    assert canonical.index("double price") < canonical.index("repeated string tags")
    assert 'option go_package = "acme/trades";\noption java_package' in canonical
    assert '[deprecated = true, json_name = "p"]' in canonical
    assert FMT.parse(canonical).canonical == canonical  # a fixed point


def test_semantic_changes_change_the_fingerprint() -> None:
    base = FMT.parse(PRETTY).fingerprint
    for old, new in [
        ("price = 1", "price = 13"),
        ("double price", "float price"),
        ("reserved 7,", "reserved 8,"),
        ("int32 b = 5;\n  }", "int32 b = 5;\n  }\n  int32 c = 6;"),
        ('"com.acme"', '"com.acme2"'),
    ]:
        assert FMT.parse(PRETTY.replace(old, new)).fingerprint != base, old


def test_quoting_styles_agree() -> None:
    single = FMT.parse("syntax='proto3'; option java_package='it\\'s'; message A { int32 x = 1; }")
    double = FMT.parse('syntax="proto3"; option java_package="it\'s"; message A { int32 x = 1; }')
    assert single.fingerprint == double.fingerprint
