"""Avro reader/writer compatibility: a table of cases covering every resolution rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streammesh.schemas.avro import AvroFormat
from tests.unit.schemas.avro.strategies import events

fmt = AvroFormat()


def record(*fields: dict[str, Any], name: str = "Trade", **extra: Any) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "execution",
        "fields": list(fields),
        **extra,
    }


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(*symbols: str, name: str = "Side", **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": list(symbols), **extra}


def fixed(size: int, name: str = "Id") -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size}


def decimal(precision: int, scale: int, **on: Any) -> dict[str, Any]:
    """A ``decimal`` on ``bytes``, or on what ``on`` says (a fixed's type, name and size)."""
    base = on or {"type": "bytes"}
    return {**base, "logicalType": "decimal", "precision": precision, "scale": scale}


AMOUNT = record(field("amount", "double"), name="Money")
LINKED = record(field("value", "int"), field("next", ["null", "Node"]), name="Node")

# (id, reader, writer, expected [(path, rule)])
CASES: list[tuple[str, Any, Any, list[tuple[str, str]]]] = [
    ("identical", record(field("price", "double")), record(field("price", "double")), []),
    *(
        (f"promote-{w}-to-{r}", record(field("x", r)), record(field("x", w)), [])
        for w, r in [
            ("int", "long"),
            ("int", "float"),
            ("int", "double"),
            ("long", "float"),
            ("long", "double"),
            ("float", "double"),
            ("string", "bytes"),
            ("bytes", "string"),
        ]
    ),
    *(
        (
            f"no-demotion-{w}-to-{r}",
            record(field("x", r)),
            record(field("x", w)),
            [("/fields/x/type", "TYPE_MISMATCH")],
        )
        for w, r in [("long", "int"), ("double", "float"), ("float", "long"), ("string", "int")]
    ),
    (
        "reader-field-with-default",
        record(field("price", "double"), field("venue", ["null", "string"], default=None)),
        record(field("price", "double")),
        [],
    ),
    (
        "reader-field-without-default",
        record(field("price", "double"), field("venue", "string")),
        record(field("price", "double")),
        [("/fields/venue", "READER_FIELD_MISSING_DEFAULT_VALUE")],
    ),
    (
        "writer-field-dropped-by-reader",
        record(field("price", "double")),
        record(field("price", "double"), field("venue", "string")),
        [],
    ),
    (
        "field-renamed-with-alias",
        record(field("unit_price", "double", aliases=["price"])),
        record(field("price", "double")),
        [],
    ),
    (
        "field-renamed-without-alias",
        record(field("unit_price", "double")),
        record(field("price", "double")),
        [("/fields/unit_price", "READER_FIELD_MISSING_DEFAULT_VALUE")],
    ),
    (
        "record-renamed-with-alias",
        record(field("price", "double"), name="Execution", aliases=["Trade"]),
        record(field("price", "double")),
        [],
    ),
    (
        "record-renamed-with-qualified-alias",
        record(field("price", "double"), name="Execution", aliases=["execution.Trade"]),
        record(field("price", "double")),
        [],
    ),
    (
        "record-renamed",
        record(field("price", "double"), name="Execution"),
        record(field("price", "double")),
        [("/name", "NAME_MISMATCH")],
    ),
    (
        "namespace-changed-only",
        {**record(field("price", "double")), "namespace": "trading"},
        record(field("price", "double")),
        [],
    ),
    (
        "nested-record-field-type",
        record(field("price", record(field("amount", "string"), name="Money"))),
        record(field("price", AMOUNT)),
        [("/fields/price/type/fields/amount/type", "TYPE_MISMATCH")],
    ),
    (
        "enum-symbol-added",
        record(field("side", enum("BUY", "SELL", "SHORT"))),
        record(field("side", enum("BUY", "SELL"))),
        [],
    ),
    (
        "enum-symbol-removed",
        record(field("side", enum("BUY"))),
        record(field("side", enum("BUY", "SELL"))),
        [("/fields/side/type/symbols", "MISSING_ENUM_SYMBOLS")],
    ),
    (
        "enum-symbol-removed-with-reader-default",
        record(field("side", enum("UNKNOWN", "BUY", default="UNKNOWN"))),
        record(field("side", enum("BUY", "SELL"))),
        [],
    ),
    (
        "enum-renamed",
        record(field("side", enum("BUY", "SELL", name="Direction"))),
        record(field("side", enum("BUY", "SELL"))),
        [("/fields/side/type/name", "NAME_MISMATCH")],
    ),
    ("fixed-same", record(field("id", fixed(16))), record(field("id", fixed(16))), []),
    (
        "fixed-resized",
        record(field("id", fixed(8))),
        record(field("id", fixed(16))),
        [("/fields/id/type/size", "FIXED_SIZE_MISMATCH")],
    ),
    (
        "fixed-renamed-and-resized",
        record(field("id", fixed(8, name="Key"))),
        record(field("id", fixed(16))),
        [
            ("/fields/id/type/name", "NAME_MISMATCH"),
            ("/fields/id/type/size", "FIXED_SIZE_MISMATCH"),
        ],
    ),
    ("value-into-optional", record(field("x", ["null", "int"])), record(field("x", "int")), []),
    (
        "value-promoted-into-union",
        record(field("x", ["null", "double"])),
        record(field("x", "int")),
        [],
    ),
    (
        "value-missing-from-reader-union",
        record(field("x", ["null", "int"])),
        record(field("x", "string")),
        [("/fields/x/type", "MISSING_UNION_BRANCH")],
    ),
    (
        "union-widened",
        record(field("x", ["null", "string", "int"])),
        record(field("x", ["null", "string"])),
        [],
    ),
    (
        "union-branch-removed",
        record(field("x", ["null", "int"])),
        record(field("x", ["null", "string", "int"])),
        [("/fields/x/type/1", "MISSING_UNION_BRANCH")],
    ),
    (
        "optional-into-required",
        record(field("x", "int")),
        record(field("x", ["null", "int"])),
        [("/fields/x/type/0", "TYPE_MISMATCH")],
    ),
    (
        "union-record-branch-changed",
        record(field("price", ["null", record(field("amount", "string"), name="Money")])),
        record(field("price", ["null", AMOUNT])),
        [("/fields/price/type/1", "MISSING_UNION_BRANCH")],
    ),
    (
        "array-items-promoted",
        {"type": "array", "items": "long"},
        {"type": "array", "items": "int"},
        [],
    ),
    (
        "array-items-changed",
        {"type": "array", "items": "int"},
        {"type": "array", "items": "string"},
        [("/items", "TYPE_MISMATCH")],
    ),
    (
        "map-values-changed",
        record(field("tags", {"type": "map", "values": "int"})),
        record(field("tags", {"type": "map", "values": "string"})),
        [("/fields/tags/type/values", "TYPE_MISMATCH")],
    ),
    (
        "array-became-map",
        record(field("tags", {"type": "map", "values": "int"})),
        record(field("tags", {"type": "array", "items": "int"})),
        [("/fields/tags/type", "TYPE_MISMATCH")],
    ),
    ("recursive-type", LINKED, LINKED, []),
    (
        "recursive-type-changed",
        record(field("value", "string"), field("next", ["null", "Node"]), name="Node"),
        LINKED,
        [("/fields/value/type", "TYPE_MISMATCH")],
    ),
    (
        "every-problem-listed",
        record(
            field("price", "int"),
            field("side", enum("BUY")),
            field("venue", "string"),
            field("id", fixed(4)),
        ),
        record(
            field("price", "double"), field("side", enum("BUY", "SELL")), field("id", fixed(16))
        ),
        [
            ("/fields/price/type", "TYPE_MISMATCH"),
            ("/fields/side/type/symbols", "MISSING_ENUM_SYMBOLS"),
            ("/fields/venue", "READER_FIELD_MISSING_DEFAULT_VALUE"),
            ("/fields/id/type/size", "FIXED_SIZE_MISMATCH"),
        ],
    ),
    ("decimal-same", record(field("x", decimal(9, 2))), record(field("x", decimal(9, 2))), []),
    (
        "decimal-precision-widened",
        record(field("x", decimal(12, 2))),
        record(field("x", decimal(9, 2))),
        [],
    ),
    (
        "decimal-precision-narrowed",
        record(field("x", decimal(7, 2))),
        record(field("x", decimal(9, 2))),
        [("/fields/x/type/precision", "DECIMAL_PRECISION_MISMATCH")],
    ),
    (
        "decimal-scale-changed",
        record(field("x", decimal(9, 3))),
        record(field("x", decimal(9, 2))),
        [("/fields/x/type/scale", "DECIMAL_SCALE_MISMATCH")],
    ),
    (
        "decimal-scale-and-precision-changed",
        record(field("x", decimal(6, 0))),
        record(field("x", decimal(9, 2))),
        [
            ("/fields/x/type/scale", "DECIMAL_SCALE_MISMATCH"),
            ("/fields/x/type/precision", "DECIMAL_PRECISION_MISMATCH"),
        ],
    ),
    (
        "decimal-on-fixed-scale-changed",
        record(field("x", decimal(9, 4, type="fixed", name="Amount", size=8))),
        record(field("x", decimal(9, 2, type="fixed", name="Amount", size=8))),
        [("/fields/x/type/scale", "DECIMAL_SCALE_MISMATCH")],
    ),
    (
        "decimal-in-reader-union-scale-changed",
        record(field("x", ["null", decimal(9, 3)])),
        record(field("x", decimal(9, 2))),
        [("/fields/x/type", "MISSING_UNION_BRANCH")],
    ),
    ("decimal-read-as-bytes", record(field("x", "bytes")), record(field("x", decimal(9, 2))), []),
    (
        "invalid-decimal-is-its-bytes",
        record(field("x", decimal(0, 2))),
        record(field("x", decimal(9, 2))),
        [],
    ),
    ("top-level-primitive-mismatch", "string", "int", [("/", "TYPE_MISMATCH")]),
]


@pytest.mark.parametrize(
    ("reader", "writer", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_compatibility_table(reader: Any, writer: Any, expected: list[tuple[str, str]]) -> None:
    found = fmt.check_compatibility(fmt.parse(json.dumps(reader)), fmt.parse(json.dumps(writer)))
    assert [(issue.path, issue.rule) for issue in found] == expected
    assert all(issue.reason for issue in found)


COMPATIBLE = [c for c in CASES if not c[3]]


@pytest.mark.parametrize(
    ("reader", "writer"), [c[1:3] for c in COMPATIBLE], ids=[c[0] for c in COMPATIBLE]
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compatible_pairs_really_read(reader: Any, writer: Any, data: st.DataObject) -> None:
    """What the checker calls compatible, fastavro's schema resolution does read."""
    reading, writing = fmt.parse(json.dumps(reader)), fmt.parse(json.dumps(writer))
    event = data.draw(events(writing, utf8_bytes=True))
    fmt.deserialize(writing, fmt.serialize(writing, event), reader=reading)


def test_reasons_name_the_types_and_what_to_do() -> None:
    reader = fmt.parse(json.dumps(record(field("side", enum("BUY")), field("venue", "string"))))
    writer = fmt.parse(json.dumps(record(field("side", enum("BUY", "SELL")))))
    symbols, missing_default = fmt.check_compatibility(reader, writer)
    assert "'execution.Side'" in symbols.reason and "['SELL']" in symbols.reason
    assert "default" in symbols.reason
    assert "'venue'" in missing_default.reason and "give it a default" in missing_default.reason


def test_compatibility_across_references() -> None:
    money = fmt.parse(json.dumps({**AMOUNT, "namespace": "common"}))
    money_v2 = fmt.parse(
        json.dumps(
            {
                **record(field("amount", "double"), field("ccy", "string"), name="Money"),
                "namespace": "common",
            }
        )
    )
    trade = json.dumps(record(field("price", "common.Money")))
    old = fmt.parse(trade, {"common.Money": money})
    new = fmt.parse(trade, {"common.Money": money_v2})
    found = fmt.check_compatibility(new, old)
    assert [(issue.path, issue.rule) for issue in found] == [
        ("/fields/price/type/fields/ccy", "READER_FIELD_MISSING_DEFAULT_VALUE")
    ]
    assert fmt.check_compatibility(old, new) == []
