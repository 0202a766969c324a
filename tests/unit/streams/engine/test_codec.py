"""State bytes round-trip every kind of value an accumulator or a group key holds."""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_PLAIN_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=6)
    | st.text(st.characters(max_codepoint=0x80), max_size=6)
    | st.sampled_from(["\x7f", "a\x7fb", "\x00\x1f", "é", '"\\'])
    | st.floats(),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner),
    max_leaves=8,
)


def _tagged(value: object) -> object:
    """The state format of these kinds: JSON as it is, a float and a tuple tagged."""
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, tuple):
        return {"t": [_tagged(item) for item in value]}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    return value


@settings(max_examples=400, deadline=None)
@given(st.lists(_PLAIN_VALUES, max_size=4))
def test_any_list_is_written_as_the_tagged_json_always_wrote_it(value: list[object]) -> None:
    """Group keys and states are store keys: the same value must always give the same
    bytes, whichever writer takes it (text of any code point, DEL, integers past 64 bits,
    lists nested past the plain depth, floats and tuples, which are tagged)."""
    expected = json.dumps(_tagged(value), separators=(",", ":"), ensure_ascii=True)
    assert encode_state(value) == expected.encode("ascii")
