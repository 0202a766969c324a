"""Validating events against Avro schemas: the first problem, with its path and rule."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.schemas import InvalidEvent
from streammesh.schemas.avro import AvroFormat
from streammesh.schemas.avro.validation import explain

fmt = AvroFormat()

ORDER = fmt.parse(
    json.dumps(
        {
            "type": "record",
            "name": "Order",
            "namespace": "execution",
            "fields": [
                {"name": "id", "type": {"type": "fixed", "name": "Id", "size": 4}},
                {
                    "name": "side",
                    "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]},
                },
                {"name": "quantity", "type": "int"},
                {"name": "total", "type": "long", "default": 0},
                {"name": "ratio", "type": "float"},
                {"name": "note", "type": ["null", "string"], "default": None},
                {"name": "urgent", "type": "boolean"},
                {
                    "name": "legs",
                    "type": {
                        "type": "array",
                        "items": {
                            "type": "record",
                            "name": "Leg",
                            "fields": [
                                {"name": "price", "type": "double"},
                                {"name": "tags", "type": {"type": "map", "values": "string"}},
                            ],
                        },
                    },
                },
                {"name": "fill", "type": ["null", "Leg"], "default": None},
                {"name": "raw", "type": "bytes", "default": ""},
            ],
        }
    )
)
GOOD: dict[str, Any] = {
    "id": b"abcd",
    "side": "BUY",
    "quantity": 10,
    "ratio": 0.5,
    "urgent": False,
    "legs": [{"price": 1.5, "tags": {"a": "b"}}, {"price": 2, "tags": {}}],
}

LEFT_OUT = object()
"""A change that removes the field from the event."""

# (id, changes to GOOD, expected path, expected rule, text expected in the reason)
INVALID: list[tuple[str, dict[str, Any], str, str, str]] = [
    ("wrong-type", {"quantity": "10"}, "quantity", "type", "expected an int, got '10' (str)"),
    ("float-into-int", {"quantity": 3.7}, "quantity", "type", "expected an int"),
    ("bool-into-int", {"quantity": True}, "quantity", "type", "(bool)"),
    ("int-out-of-range", {"quantity": 2**31}, "quantity", "range", "out of range"),
    ("long-out-of-range", {"total": 2**63}, "total", "range", "out of range"),
    ("float-out-of-range", {"ratio": 1e39}, "ratio", "range", "32-bit float"),
    ("int-into-boolean", {"urgent": 1}, "urgent", "type", "expected a boolean"),
    ("enum-symbol", {"side": "HOLD"}, "side", "enum", "['BUY', 'SELL']"),
    ("fixed-size", {"id": b"abc"}, "id", "size", "exactly 4 bytes"),
    ("str-into-bytes", {"raw": "x"}, "raw", "type", "expected a bytes"),
    ("none-into-int", {"quantity": None}, "quantity", "type", "got None"),
    (
        "missing-required",
        {"quantity": LEFT_OUT},
        "quantity",
        "required",
        "is required by 'execution.Order'",
    ),
    ("union-mismatch", {"note": 5}, "note", "type", "expected null or a string"),
    (
        "nested-in-array",
        {"legs": [GOOD["legs"][0], {"price": "x", "tags": {}}]},
        "legs[1].price",
        "type",
        "double",
    ),
    (
        "map-value",
        {"legs": [{"price": 1.0, "tags": {"k": 1}}]},
        "legs[0].tags['k']",
        "type",
        "string",
    ),
    ("map-key", {"legs": [{"price": 1.0, "tags": {1: "v"}}]}, "legs[0].tags", "type", "map keys"),
    ("record-in-union", {"fill": {"price": 1.0}}, "fill.tags", "required", "no default"),
    ("array-not-list", {"legs": "x"}, "legs", "type", "expected an array"),
    (
        "unknown-field",
        {"venue": "XNAS"},
        "venue",
        "unknown-field",
        "not a field of 'execution.Order'",
    ),
    ("first-problem-wins", {"side": "HOLD", "quantity": "x"}, "side", "enum", "HOLD"),
]


@pytest.mark.parametrize(
    ("changes", "path", "rule", "reason"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_event_names_path_and_rule(
    changes: dict[str, Any], path: str, rule: str, reason: str
) -> None:
    event = {key: value for key, value in {**GOOD, **changes}.items() if value is not LEFT_OUT}
    with pytest.raises(InvalidEvent) as caught:
        fmt.validate(ORDER, event)
    assert (caught.value.path, caught.value.rule) == (path, rule)
    assert reason in caught.value.reason
    assert caught.value.schema_name == "execution.Order"
    with pytest.raises(InvalidEvent) as refused:
        fmt.serialize(ORDER, event)
    assert (refused.value.path, refused.value.rule) == (path, rule)


def test_valid_event_passes_and_defaults_fill_missing_fields() -> None:
    fmt.validate(ORDER, GOOD)
    decoded = fmt.deserialize(ORDER, fmt.serialize(ORDER, GOOD))
    assert decoded == {
        **GOOD,
        "total": 0,
        "note": None,
        "fill": None,
        "raw": b"",
        "legs": [
            {"price": 1.5, "tags": {"a": "b"}},
            {"price": 2.0, "tags": {}},
        ],
    }


def test_non_record_event_is_refused_at_the_root() -> None:
    with pytest.raises(InvalidEvent) as caught:
        fmt.validate(ORDER, [GOOD])
    assert caught.value.path == ""
    assert "expected record 'execution.Order'" in caught.value.reason


def test_logical_types_accept_their_python_types() -> None:
    schema = fmt.parse(
        json.dumps(
            {
                "type": "record",
                "name": "L",
                "fields": [
                    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
                    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                    {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
                    {
                        "name": "amount",
                        "type": {
                            "type": "bytes",
                            "logicalType": "decimal",
                            "precision": 6,
                            "scale": 2,
                        },
                    },
                ],
            }
        )
    )
    event = {
        "day": datetime.date(2024, 2, 29),
        "at": datetime.datetime(2024, 2, 29, 12, 0, tzinfo=datetime.UTC),
        "id": uuid.UUID(int=7),
        "amount": decimal.Decimal("12.34"),
    }
    assert fmt.deserialize(schema, fmt.serialize(schema, event)) == event
    with pytest.raises(InvalidEvent) as caught:
        fmt.validate(schema, {**event, "day": "2024-02-29"})
    assert (caught.value.path, caught.value.rule) == ("day", "type")


_ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=4)
    | st.binary(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELD_VALUES = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(_ANY_VALUE, st.just(GOOD.get(name)))
        for name in [
            "id",
            "side",
            "quantity",
            "total",
            "ratio",
            "note",
            "urgent",
            "legs",
            "fill",
            "raw",
        ]
    },
)


@settings(max_examples=300, deadline=None)
@given(event=st.one_of(_FIELD_VALUES, _FIELD_VALUES.map(lambda changes: {**GOOD, **changes})))
def test_fast_check_agrees_with_explain(event: dict[str, Any]) -> None:
    """serialize() trusts the compiled check; it must accept exactly what explain() accepts."""
    assert ORDER.check(event) == (explain(ORDER.tree, ORDER.named, event) is None)
