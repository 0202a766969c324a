"""JSON rows read the same whatever the documents' shape, order and spacing: every record is
matched to its columns by ksqlDB's rule (the exact name, else the first property in another
case), also when records of several shapes alternate (each shape is planned once)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from streammesh.streams.formats import (
    Column,
    DeserializationFailed,
    FormatName,
    FormatOptions,
    SerializationFailed,
    serde_for,
)
from streammesh.streams.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING, decimal

COLUMNS = [
    Column("ID", BIGINT),
    Column("REGION", STRING),
    Column("PRICE", DOUBLE),
    Column("QTY", INTEGER),
]


def _serde(columns: list[Column] = COLUMNS):  # type: ignore[no-untyped-def]
    return serde_for(FormatName.JSON, columns, part="value", options=FormatOptions())


# Each document and the row ksqlDB reads from it.
SHAPES: list[tuple[bytes, tuple[object, ...]]] = [
    (b'{"id": 1, "region": "R1", "price": 2.5, "qty": 3}', (1, "R1", 2.5, 3)),
    (b'{"qty":3,"price":2.5,"region":"R1","id":1}', (1, "R1", 2.5, 3)),
    (b'{"ID": 1, "id": 2}', (1, None, None, None)),  # the exact name wins
    (b'{"id": 2, "Id": 1}', (2, None, None, None)),  # else the first in another case
    (b'{"other": 1}', (None, None, None, None)),
    (b"{}", (None, None, None, None)),
    (b'  {"id": 7}\n', (7, None, None, None)),  # whitespace around the document
    (b'{"id": "8", "qty": 9.9, "price": 3, "region": 5}', (8, "5", 3.0, 9)),
    (b'{"id": null, "region": null}', (None, None, None, None)),
    (b'{"price": 1e400}', (None, None, float("inf"), None)),
    (b'{"id": 1, "id": 2}', (2, None, None, None)),  # a repeated name: the last value
]


def test_rows_are_the_same_whatever_the_shape_and_in_any_order() -> None:
    serde = _serde()
    # Twice through, in both orders: the second reads use the plans the first made.
    for shapes in (SHAPES, SHAPES[::-1], SHAPES):
        for data, row in shapes:
            assert serde.deserialize(data) == row, data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"id": 1} x', "Extra data"),
        (b'{"id": ', "Expecting value"),
        (b"", "Expecting value"),
        (b'{"id": true}', "ID"),
        (b'{"qty": 3000000000}', "QTY"),
        (b"[1, 2]", "expected a JSON object"),
    ],
)
def test_a_bad_document_names_what_is_wrong(data: bytes, message: str) -> None:
    serde = _serde()
    serde.deserialize(b'{"id": 1}')  # a plan exists for another shape
    with pytest.raises(DeserializationFailed, match=message):
        serde.deserialize(data)


def test_a_decimal_column_keeps_every_digit() -> None:
    serde = _serde([Column("AMOUNT", decimal(20, 10)), Column("N", BIGINT)])
    row = serde.deserialize(b'{"amount": 1234567890.0123456789, "n": 1}')
    assert row == (Decimal("1234567890.0123456789"), 1)


def test_values_written_are_checked_against_their_column() -> None:
    serde = _serde(
        [Column("A", BIGINT), Column("B", DOUBLE), Column("C", STRING), Column("D", BOOLEAN)]
    )
    assert json.loads(serde.serialize((1, 2, "x", True)) or b"") == {
        "A": 1,
        "B": 2.0,
        "C": "x",
        "D": True,
    }
    assert serde.serialize((1, 1e7, "é", False)) == '{"A":1,"B":1.0E7,"C":"é","D":false}'.encode()
    for bad in ((True, 1.0, "x", True), (2**63, 1.0, "x", True), (1, "1", "x", True)):
        with pytest.raises(SerializationFailed):
            serde.serialize(bad)
    with pytest.raises(SerializationFailed, match="D"):
        serde.serialize((1, 1.0, "x", 1))


def test_documents_of_ever_new_shapes_read_alike() -> None:
    """Extra properties that change from record to record (ids as names, say) are ignored,
    and a record of each case of the column names still takes its own property."""
    serde = _serde()
    for index in range(300):
        data = f'{{"id": {index}, "x{index}": 1.5, "Price": 2.5, "qty": 3}}'.encode()
        assert serde.deserialize(data) == (index, None, 2.5, 3)
        other = f'{{"ID": {index}, "y{index}": "z", "region": "R"}}'.encode()
        assert serde.deserialize(other) == (index, "R", None, None)
