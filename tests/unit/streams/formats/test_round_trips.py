"""Property tests: any row of any supported type survives each format's round trip."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.streams.formats import Column, FormatName, serde_for
from streammesh.streams.formats.json_format import JsonSerde, as_jackson_writes
from streammesh.streams.formats.values import dumps
from streammesh.streams.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    SqlType,
    decimal,
)

PRICE = decimal(9, 3)
PRIMITIVES: dict[SqlType, st.SearchStrategy[object]] = {
    BOOLEAN: st.booleans(),
    INTEGER: st.integers(-(2**31), 2**31 - 1),
    BIGINT: st.integers(-(2**63), 2**63 - 1),
    DOUBLE: st.floats(allow_nan=False),
    PRICE: st.decimals(min_value=Decimal("-999999.999"), max_value=Decimal("999999.999"), places=3),
    STRING: st.text(),
    BYTES: st.binary(),
    DATE: st.dates(),
    TIME: st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)),
    TIMESTAMP: st.datetimes(
        min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30)
    ).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=datetime.UTC)),
}
COLUMNS = [Column(f"C{i}", kind) for i, kind in enumerate(PRIMITIVES)]
ROWS = st.tuples(*(st.none() | strategy for strategy in PRIMITIVES.values()))


@settings(max_examples=150, deadline=None)
@given(ROWS)
def test_json_round_trips_any_row(row: tuple[object, ...]) -> None:
    serde = serde_for(FormatName.JSON, COLUMNS)
    assert serde.deserialize(serde.serialize(row)) == row


@settings(max_examples=150, deadline=None)
@given(ROWS, st.booleans())
def test_json_writes_the_text_of_its_document(row: tuple[object, ...], wrapped: bool) -> None:
    """The bytes are Jackson's text of the document, however the serde builds them."""
    if wrapped:
        serde = JsonSerde(COLUMNS, wrapped=True)
        expected = _jackson(dumps(serde.to_document(row)))
        assert serde.serialize(row) == expected
    for column, value in zip(COLUMNS, row, strict=True):
        single = JsonSerde([column], wrapped=False)
        text = single.serialize((value,))
        document = single.to_document((value,))
        assert text == (None if document is None else _jackson(dumps(document)))


def _jackson(text: str) -> bytes:
    """``text`` as Jackson's UTF-8 writer writes it (surrogates and control characters
    escaped as it escapes them: see test_json_text.py)."""
    return as_jackson_writes(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=150, deadline=None)
@given(ROWS)
def test_delimited_round_trips_any_row_but_empty_text(row: tuple[object, ...]) -> None:
    serde = serde_for(FormatName.DELIMITED, COLUMNS)
    # DELIMITED cannot tell an empty string or empty bytes from NULL (ksqlDB neither).
    expected = tuple(None if value in ("", b"") else value for value in row)
    assert serde.deserialize(serde.serialize(row)) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([INTEGER, BIGINT, DOUBLE, STRING, BYTES]).flatmap(
        lambda kind: st.tuples(st.just(kind), PRIMITIVES[kind])
    )
)
def test_kafka_round_trips_any_value(case: tuple[SqlType, object]) -> None:
    kind, value = case
    serde = serde_for(FormatName.KAFKA, [Column("K", kind)], part="key")
    assert serde.deserialize(serde.serialize((value,))) == (value,)
