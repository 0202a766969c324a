"""The bytes join state is kept in: every SQL value comes back equal, and no encoding is the
start of another's (what the foreign-key join's prefix scans rely on)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.streams.engine.join_codec import decode, encode

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.text(),
    st.binary(),
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.just(dt.UTC)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_every_value_comes_back_equal(value: object) -> None:
    assert decode(encode(value)) == value


@settings(max_examples=300, deadline=None)
@given(st.tuples(values), st.tuples(values))
def test_no_key_is_the_prefix_of_another(first: tuple[object], second: tuple[object]) -> None:
    a, b = encode(first), encode(second)
    if a != b:
        assert not b.startswith(a)


def test_equal_join_values_give_equal_bytes() -> None:
    assert encode((2**40,)) == encode((int("1099511627776"),))
    assert encode((True,)) != encode((1,))  # a BOOLEAN is not an INTEGER, though True == 1
    assert encode((Decimal("1.50"),)) != encode((Decimal("1.5"),))  # scale is part of a DECIMAL
    assert encode(("ab",)) != encode(("a",))


def test_damaged_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="not an encoded join value"):
        decode(encode(("abc",))[:-1])
    with pytest.raises(ValueError, match="trailing bytes"):
        decode(encode(1) + b"x")


def test_values_outside_sql_are_refused() -> None:
    with pytest.raises(TypeError, match="a join cannot store a set value"):
        encode({1, 2})
