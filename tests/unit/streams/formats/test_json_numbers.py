"""ksqlDB's JSON numbers, exactly, whichever parser and writer the serde uses inside.

Rows are read with orjson (floats) when the columns allow it and written with orjson when
they are scalars; these tests pin what a user sees at the edges where a float parse or
orjson's own text would differ from ksqlDB's: fractions read into integer, text and time
columns, integers beyond 64 bits, numbers beyond a double, ``NaN``, and doubles outside
Java's plain range, ``-0.0`` and DECIMAL scale on the way out.
"""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streammesh.streams.formats import (
    Column,
    DeserializationFailed,
    FormatName,
    FormatOptions,
    SerializationFailed,
    serde_for,
)
from streammesh.streams.formats.json_format import JsonSerde, parse_json
from streammesh.streams.formats.values import java_double
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

FLAT = [BOOLEAN, INTEGER, BIGINT, DOUBLE, STRING, BYTES, DATE, TIME, TIMESTAMP]


def _one(kind: SqlType, name: str = "V") -> JsonSerde:
    return JsonSerde([Column(name, kind), Column("N", BIGINT)], wrapped=True)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # A float parse would round these: ksqlDB takes the integer part of the exact number.
        (BIGINT, "12345678901234567.9", 12_345_678_901_234_567),
        (BIGINT, "9.223372036854775807e18", 9_223_372_036_854_775_807),
        (INTEGER, "1e2", 100),
        (INTEGER, "-7.9", -7),
        # ksqlDB reads any JSON value into a STRING column as its JSON text, digits as written.
        (STRING, "1.50", "1.50"),
        (STRING, "1E+3", "1000"),  # plain notation, as Jackson's BigDecimal
        (STRING, '{"a": 1.10, "b": [2.50]}', '{"a":1.10,"b":[2.50]}'),
        (STRING, "[1, 2]", "[1,2]"),
        (STRING, '"\\ud800"', "\ud800"),  # a lone surrogate, as Python's json keeps it
        # An integral number with an exponent is a whole number of days, ms, ms since epoch.
        (DATE, "1e1", datetime.date(1970, 1, 11)),
        (TIME, "6E4", datetime.time(0, 1)),
        (TIMESTAMP, "1.7E12", datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.UTC)),
        # Doubles: correctly rounded either way; what orjson refuses the exact parse reads.
        (DOUBLE, "0.1", 0.1),
        (DOUBLE, "2.5e-324", 5e-324),
        (DOUBLE, "1e400", math.inf),
        (DOUBLE, "-1e400", -math.inf),
        (DOUBLE, "Infinity", math.inf),
        (DOUBLE, "18446744073709551617", 18446744073709551617.0),
        (DOUBLE, "-0.0", -0.0),
        (decimal(4, 2), "1.5", Decimal("1.50")),
        (decimal(20, 10), "1234567890.0123456789", Decimal("1234567890.0123456789")),
    ],
)
def test_numbers_are_read_as_ksqldb_reads_them(kind: SqlType, text: str, expected: object) -> None:
    row = _one(kind).deserialize(f'{{"v": {text}, "n": 1}}'.encode())
    assert row is not None
    assert row == (expected, 1)
    assert math.copysign(1, row[0]) < 0 if expected == -0.0 else True  # type: ignore[arg-type]


def test_nan_is_read_into_a_double() -> None:
    row = _one(DOUBLE).deserialize(b'{"v": NaN}')
    assert row is not None and math.isnan(row[0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (BIGINT, "99999999999999999999", "99999999999999999999 is out of the range of BIGINT"),
        (INTEGER, "3000000000.5", "3000000000 is out of the range of INTEGER"),
        (BOOLEAN, "1.50", "got the number 1.50"),
        (DATE, "1.5", "got the number 1.5"),
        (BYTES, "2.50", "got the number 2.50"),
        (BIGINT, "true", "got the boolean true"),
    ],
)
def test_numbers_that_do_not_fit_are_refused_naming_the_number(
    kind: SqlType, text: str, message: str
) -> None:
    with pytest.raises(DeserializationFailed, match="V") as caught:
        _one(kind).deserialize(f'{{"v": {text}}}'.encode())
    assert message in str(caught.value)


def test_a_bare_value_and_a_json_sr_payload_read_alike() -> None:
    bare = serde_for(
        FormatName.JSON, [Column("V", BIGINT)], options=FormatOptions(wrap_single_value=False)
    )
    assert bare.deserialize(b"12345678901234567.9") == (12_345_678_901_234_567,)
    assert bare.deserialize(b"7") == (7,)
    assert bare.deserialize(b"null") is None
    assert _one(STRING).deserialize(b'\x00\x00\x00\x00\x01{"v": 2.50}') == ("2.50", None)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.00099, "9.9E-4"),
        (9_999_999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (1.5e7, "1.5E7"),
        (1e21, "1.0E21"),
        (-1.2345e-7, "-1.2345E-7"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (1360970.0000000002, "1360970.0000000002"),
        (3, "3.0"),  # an integer in a DOUBLE column is a double
    ],
)
def test_doubles_are_written_as_java_prints_them(value: float, text: str) -> None:
    serde = JsonSerde(
        [Column("ID", BIGINT), Column("TOTAL", DOUBLE), Column("REGION", STRING)], wrapped=True
    )
    written = serde.serialize((1, value, "r"))
    assert written == f'{{"ID":1,"TOTAL":{text},"REGION":"r"}}'.encode()
    bare = JsonSerde([Column("TOTAL", DOUBLE)], wrapped=False)
    assert bare.serialize((value,)) == text.encode()


def test_integers_text_and_names_are_written_as_jackson_does() -> None:
    serde = JsonSerde(
        [Column("BIG", BIGINT), Column("SMALL", INTEGER), Column("TEXT", STRING)], wrapped=True
    )
    assert serde.serialize((2**63 - 1, -(2**31), 'é "q" \\ \x01 \u2028')) == (
        '{"BIG":9223372036854775807,"SMALL":-2147483648,'
        '"TEXT":"é \\"q\\" \\\\ \\u0001 \u2028"}'.encode()
    )
    for bad in ((2**63, 0, "x"), (0, 2**31, "x"), (True, 0, "x"), (0, 0, 1)):
        with pytest.raises(SerializationFailed):
            serde.serialize(bad)
    # Names are written as Jackson writes them, as values are: UTF-8, not ASCII-escaped.
    accented = JsonSerde([Column("PRIX_É", DOUBLE), Column("NOM", STRING)], wrapped=True)
    assert accented.serialize((1e7, "é")) == '{"PRIX_É":1.0E7,"NOM":"é"}'.encode()


def test_decimal_keeps_its_scale_beside_doubles() -> None:
    serde = JsonSerde([Column("D", decimal(6, 2)), Column("X", DOUBLE)], wrapped=True)
    assert serde.serialize((Decimal("1.5"), 1e7)) == b'{"D":1.50,"X":1.0E7}'
    assert serde.serialize((Decimal("0"), -0.0)) == b'{"D":0.00,"X":-0.0}'


# Any JSON text whose values are numbers in any notation, strings with escapes, nested
# values, NaN and out-of-range numbers, read into columns of every scalar type: the row (or
# the error) is the one the exact parse gives.
_DIGITS = st.text("0123456789", min_size=1, max_size=22).map(lambda d: d.lstrip("0") or "0")
_NUMBERS = st.builds(
    lambda sign, whole, fraction, exponent: sign + whole + fraction + exponent,
    st.sampled_from(["", "-"]),
    _DIGITS,
    st.sampled_from(["", ".0", ".5", ".50", ".25"]) | _DIGITS.map(lambda d: "." + d),
    st.sampled_from(["", "e3", "E+2", "e-2", "e400", "e-400", "E18", "e-330"]),
)
_SCALARS = (
    _NUMBERS
    | st.sampled_from(["true", "false", "null", "NaN", "-Infinity", '"\\ud800"', '"1.50"'])
    | st.text(max_size=8).map(json.dumps)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: "[" + ",".join(items) + "]")
        | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2).map(
            lambda items: "{" + ",".join(f'"{k}":{v}' for k, v in items.items()) + "}"
        )
    ),
    max_leaves=5,
)
_COLUMNS = [Column(f"C{index}", kind) for index, kind in enumerate(FLAT)]


def _exact(serde: JsonSerde, data: bytes) -> object:
    try:
        document = parse_json(data, "JSON")
        return None if document is None else serde.from_document(document)
    except DeserializationFailed as exc:
        return str(exc)


def _read(serde: JsonSerde, data: bytes) -> object:
    try:
        return serde.deserialize(data)
    except DeserializationFailed as exc:
        return str(exc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(FLAT))), _VALUES), max_size=6))
def test_any_document_reads_as_the_exact_parse_reads_it(
    properties: list[tuple[int, str]],
) -> None:
    serde = JsonSerde(_COLUMNS, wrapped=True)
    data = ("{" + ",".join(f'"c{index}":{value}' for index, value in properties) + "}").encode()
    expected, got = _exact(serde, data), _read(serde, data)
    assert repr(got) == repr(expected), data  # repr: NaN equals itself, -0.0 is not 0.0
    for index, kind in enumerate(FLAT):
        bare = JsonSerde([Column("V", kind)], wrapped=False)
        for _, value in properties:
            if _ == index:
                assert repr(_read(bare, value.encode())) == repr(_exact(bare, value.encode()))


@settings(max_examples=300, deadline=None)
@given(st.floats() | st.integers(-(2**53), 2**53), st.integers(-(2**63), 2**63 - 1))
def test_any_double_is_written_as_java_prints_it(value: float, number: int) -> None:
    serde = JsonSerde([Column("X", DOUBLE), Column("N", BIGINT)], wrapped=True)
    expected = f'{{"X":{java_double(float(value))},"N":{number}}}'
    assert serde.serialize((value, number)) == expected.encode()
