"""State bytes round-trip every kind of value an accumulator or a group key holds."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import pytest

from streammesh.streams.engine.codec import decode_state, encode_state


@pytest.mark.parametrize(
    "value",
    [
        ["ACME", 3, True, None],
        [[Decimal("12.50"), 2], 7],
        (1, "a", b"\x00\xff"),
        frozenset({1, 2}),
        {"k": [1.5, (2, 3)], 4: None},
        [datetime.date(2026, 1, 2), datetime.time(1, 2, 3), datetime.datetime(2026, 1, 2, 3)],
        [float("inf"), -0.0, 1e300],
    ],
)
def test_values_come_back_as_they_were(value: object) -> None:
    back = decode_state(encode_state(value))
    assert back == value and type(back) is type(value)


def test_nan_and_decimal_scale_survive() -> None:
    nan, amount = decode_state(encode_state([float("nan"), Decimal("1.50")]))
    assert math.isnan(nan) and str(amount) == "1.50"


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot keep a object in a state store"):
        encode_state([object()])


@pytest.mark.parametrize(
    ("value", "data"),
    [
        (["ACME", 3], b'["ACME",3]'),
        ([[5], 1796083200000], b"[[5],1796083200000]"),
        (
            [['é"\n', None, True, False, -(2**70)]],
            b'[["\\u00e9\\"\\n",null,true,false,-1180591620717411303424]]',
        ),
        ([[1.5], 3], b'[[{"f":"1.5"}],3]'),
        ([[(1, 2)], 3], b'[[{"t":[1,2]}],3]'),
        ([[[[[[1]]]]]], b"[[[[[[1]]]]]]"),
    ],
)
def test_state_bytes_are_the_same_compact_json_as_always(value: object, data: bytes) -> None:
    """Stores and changelogs written before keep reading: the plain lists (group keys, the
    usual states) are written as compact ASCII JSON, other kinds tagged."""
    assert encode_state(value) == data
    assert decode_state(data) == value
