"""JSON, DELIMITED, KAFKA and NONE: round trips per type, ksqlDB's documented bytes, errors."""

from __future__ import annotations

import datetime
import struct
from decimal import Decimal

import pytest

from streammesh.streams.formats import (
    Column,
    DeserializationFailed,
    FormatName,
    FormatOptions,
    SerializationFailed,
    UnsupportedFormat,
    serde_for,
)
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
    array,
    decimal,
    map_of,
)
from streammesh.streams.types import (
    struct as struct_of,
)

UTC = datetime.UTC
ALL_TYPES: list[tuple[SqlType, object]] = [
    (BOOLEAN, True),
    (INTEGER, -2_147_483_648),
    (BIGINT, 9_007_199_254_740_993),
    (DOUBLE, 12.5),
    (decimal(10, 2), Decimal("12345678.90")),
    (STRING, 'a "quoted", text'),
    (BYTES, b"\x00\xffbytes"),
    (DATE, datetime.date(2024, 2, 29)),
    (TIME, datetime.time(13, 45, 30, 123000)),
    (TIMESTAMP, datetime.datetime(2024, 2, 29, 13, 45, 30, 123000, tzinfo=UTC)),
]
NESTED: list[tuple[SqlType, object]] = [
    (array(INTEGER), [1, None, 3]),
    (map_of(STRING, decimal(4, 1)), {"a": Decimal("1.5"), "b": None}),
    (struct_of(("CITY", STRING), ("ZIP", INTEGER)), {"CITY": "Oslo", "ZIP": None}),
]


@pytest.mark.parametrize(("kind", "value"), ALL_TYPES + NESTED, ids=str)
def test_json_round_trips_every_type_and_null(kind: SqlType, value: object) -> None:
    serde = serde_for(FormatName.JSON, [Column("C", kind), Column("N", kind)])
    assert serde.deserialize(serde.serialize((value, None))) == (value, None)


@pytest.mark.parametrize(("kind", "value"), ALL_TYPES, ids=str)
def test_delimited_round_trips_every_primitive(kind: SqlType, value: object) -> None:
    serde = serde_for(FormatName.DELIMITED, [Column("C", kind), Column("N", kind)])
    assert serde.deserialize(serde.serialize((value, None))) == (value, None)


def test_json_writes_ksqldb_encodings() -> None:
    columns = [Column(name, kind) for name, (kind, _) in zip("ABCDEFGHIJ", ALL_TYPES, strict=True)]
    data = serde_for(FormatName.JSON, columns).serialize([value for _, value in ALL_TYPES])
    assert data == (
        b'{"A":true,"B":-2147483648,"C":9007199254740993,"D":12.5,"E":12345678.90,'
        b'"F":"a \\"quoted\\", text","G":"AP9ieXRlcw==","H":19782,"I":49530123,'
        b'"J":1709214330123}'
    )


def test_json_reads_properties_in_any_case_and_ksqldb_leniencies() -> None:
    serde = serde_for(
        FormatName.JSON,
        [
            Column("ID", BIGINT),
            Column("NAME", STRING),
            Column("AGE", INTEGER),
            Column("PRICE", decimal(4, 2)),
        ],
    )
    # ksqlDB's documented example: lower-case properties, "age" given as text.
    row = serde.deserialize(b'{"id": 120, "name": "bob", "age": "49", "price": "1.5"}')
    assert row == (120, "bob", 49, Decimal("1.50"))
    assert serde.deserialize(b'{"Id": 1}') == (1, None, None, None)


def test_json_matches_properties_as_ksqldb_whatever_the_record_order() -> None:
    serde = serde_for(FormatName.JSON, [Column("ID", BIGINT), Column("id", STRING)])
    # The exact name wins even after a property of another case; else the first in any case.
    assert serde.deserialize(b'{"Id": 1, "ID": 2}') == (2, "1")
    assert serde.deserialize(b'{"iD": 3, "Id": 4}') == (3, "3")
    assert serde.deserialize(b'{"id": "x", "ID": 5}') == (5, "x")
    # The same names again (remembered per serde) and a record of other names after them.
    assert serde.deserialize(b'{"Id": 1, "ID": 2}') == (2, "1")
    assert serde.deserialize(b'{"other": 1}') == (None, None)
    many = b"{" + b",".join(b'"f%d": %d' % (n, n) for n in range(3_000)) + b', "ID": 7}'
    assert serde.deserialize(many) == (7, "7")
    assert serde.deserialize(b'{"iD": 8}') == (8, "8")


def test_json_refuses_a_byte_order_mark_as_json_does() -> None:
    serde = serde_for(FormatName.JSON, [Column("ID", INTEGER)])
    with pytest.raises(DeserializationFailed, match=r"Unexpected UTF-8 BOM .* line 1, column 1"):
        serde.deserialize(b'\xef\xbb\xbf{"ID": 1}')


def test_json_single_value_unwrapped_and_single_key() -> None:
    value = serde_for(
        FormatName.JSON, [Column("ID", BIGINT)], options=FormatOptions(wrap_single_value=False)
    )
    assert value.serialize((10,)) == b"10"
    assert value.deserialize(b"10") == (10,)
    assert value.serialize((None,)) is None
    wrapped = serde_for(FormatName.JSON, [Column("F0", INTEGER)])
    assert wrapped.serialize((10,)) == b'{"F0":10}'
    key = serde_for(FormatName.JSON, [Column("K", STRING)], part="key")
    assert key.serialize(("a",)) == b'"a"'


def test_json_reads_json_sr_payloads() -> None:
    serde = serde_for(FormatName.JSON, [Column("A", INTEGER)])
    assert serde.deserialize(b"\x00\x00\x00\x00\x07" + b'{"A": 3}') == (3,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'{"ID": "abc"}',
            "cannot deserialize a JSON record: column 'ID': expected INTEGER, got the string 'abc'",
        ),
        (
            b'{"ID": 1,',
            "not JSON: Expecting property name enclosed in double quotes at line 1, column 10",
        ),
        (b"[1]", "expected a JSON object with the columns ID, got an array"),
        (b'{"ID": 3000000000}', "column 'ID': 3000000000 is out of the range of INTEGER"),
    ],
)
def test_json_refuses_records_naming_the_column_and_reason(data: bytes, message: str) -> None:
    serde = serde_for(FormatName.JSON, [Column("ID", INTEGER)])
    with pytest.raises(DeserializationFailed, match=message.replace("(", r"\(")) as caught:
        serde.deserialize(data)
    assert caught.value.format_name == "JSON"


def test_nested_paths_name_the_field() -> None:
    serde = serde_for(FormatName.JSON, [Column("ADDR", struct_of(("ZIP", INTEGER)))])
    with pytest.raises(DeserializationFailed) as caught:
        serde.deserialize(b'{"addr": {"zip": "x"}}')
    assert caught.value.column == "ADDR.ZIP"
    with pytest.raises(SerializationFailed, match=r"column 'ADDR.ZIP'"):
        serde.serialize(({"ZIP": "x"},))


def test_decimal_that_needs_rounding_is_refused() -> None:
    serde = serde_for(FormatName.JSON, [Column("P", decimal(3, 1))])
    with pytest.raises(
        SerializationFailed, match=r"cannot fit decimal '1.25' into DECIMAL\(3, 1\)"
    ):
        serde.serialize((Decimal("1.25"),))


# --- DELIMITED -------------------------------------------------------------------------------


def test_delimited_documented_example() -> None:
    key = serde_for(
        FormatName.DELIMITED, [Column("ORGID", BIGINT), Column("ID", BIGINT)], part="key"
    )
    value = serde_for(FormatName.DELIMITED, [Column("NAME", STRING), Column("AGE", INTEGER)])
    assert key.deserialize(b"120,21") == (120, 21)
    assert value.deserialize(b"bob,49") == ("bob", 49)
    assert value.serialize(("bob", 49)) == b"bob,49"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("plain", b"plain,x"),
        ("a,b", b'"a,b",x'),
        ('say "hi"', b'"say ""hi""",x'),
        ("two\nlines", b'"two\nlines",x'),
        ("#hash", b'"#hash",x'),
        (" lead", b'" lead",x'),
        ("trail ", b'"trail ",x'),
        ("", b'"",x'),  # an empty first field is quoted, and reads as NULL
        ("é", b'"\xc3\xa9",x'),  # non-ASCII first field: quoted, as Commons CSV does
    ],
)
def test_delimited_quotes_like_ksqldb(text: str, line: bytes) -> None:
    serde = serde_for(FormatName.DELIMITED, [Column("S", STRING), Column("T", STRING)])
    assert serde.serialize((text, "x")) == line
    assert serde.deserialize(line) == (text or None, "x")


def test_delimited_named_delimiters_and_null_fields() -> None:
    tab = serde_for(
        FormatName.DELIMITED,
        [Column("A", INTEGER), Column("B", STRING), Column("C", DOUBLE)],
        options=FormatOptions(delimiter="TAB"),
    )
    assert tab.serialize((1, None, 1e7)) == b"1\t\t1.0E7"
    assert tab.deserialize(b'1\t""\t2') == (1, None, 2.0)
    assert serde_for(FormatName.DELIMITED, [Column("A", BOOLEAN)]).deserialize(b"yes") == (False,)


def test_delimited_refusals() -> None:
    with pytest.raises(UnsupportedFormat, match="use the special values SPACE or TAB"):
        serde_for(
            FormatName.DELIMITED, [Column("A", INTEGER)], options=FormatOptions(delimiter="\t")
        )
    with pytest.raises(UnsupportedFormat, match="single character"):
        serde_for(
            FormatName.DELIMITED, [Column("A", INTEGER)], options=FormatOptions(delimiter="||")
        )
    with pytest.raises(UnsupportedFormat, match=r"column 'L': .*ARRAY<INTEGER>"):
        serde_for(FormatName.DELIMITED, [Column("L", array(INTEGER))])
    serde = serde_for(FormatName.DELIMITED, [Column("A", INTEGER), Column("B", INTEGER)])
    with pytest.raises(
        DeserializationFailed, match="unexpected field count, csvFields:3 schemaFields:2"
    ):
        serde.deserialize(b"1,2,3")
    with pytest.raises(DeserializationFailed, match="column 'B': expected INTEGER, got 'x'"):
        serde.deserialize(b"1,x")
    with pytest.raises(DeserializationFailed, match="is not closed"):
        serde.deserialize(b'1,"2')


# --- KAFKA and NONE --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "data"),
    [
        (INTEGER, 1, b"\x00\x00\x00\x01"),
        (INTEGER, -2, b"\xff\xff\xff\xfe"),
        (BIGINT, 1, b"\x00\x00\x00\x00\x00\x00\x00\x01"),
        (DOUBLE, 1.5, struct.pack(">d", 1.5)),
        (STRING, "añb", "añb".encode()),
        (BYTES, b"\x01\x02", b"\x01\x02"),
    ],
)
def test_kafka_bytes_are_kafkas_serializers(kind: SqlType, value: object, data: bytes) -> None:
    serde = serde_for(FormatName.KAFKA, [Column("K", kind)], part="key")
    assert serde.serialize((value,)) == data
    assert serde.deserialize(data) == (value,)
    assert serde.serialize((None,)) is None
    assert serde.deserialize(None) is None


def test_kafka_refusals() -> None:
    with pytest.raises(UnsupportedFormat, match="exactly one column, got 2"):
        serde_for(FormatName.KAFKA, [Column("A", INTEGER), Column("B", INTEGER)])
    with pytest.raises(UnsupportedFormat, match=r"column 'A'.*BOOLEAN is not supported"):
        serde_for(FormatName.KAFKA, [Column("A", BOOLEAN)])
    serde = serde_for(FormatName.KAFKA, [Column("A", INTEGER)], part="key")
    with pytest.raises(
        DeserializationFailed,
        match="column 'A': size of data received by IntegerDeserializer is not 4",
    ):
        serde.deserialize(b"\x00\x01")


def test_none_key_format() -> None:
    serde = serde_for(FormatName.NONE, [], part="key")
    assert serde.serialize(()) is None
    assert serde.deserialize(b"anything") == ()
    with pytest.raises(UnsupportedFormat, match="cannot have key columns, got ID"):
        serde_for(FormatName.NONE, [Column("ID", INTEGER)], part="key")
    with pytest.raises(UnsupportedFormat, match="NONE is a key format only"):
        serde_for(FormatName.NONE, [])


def test_wrap_single_value_rules() -> None:
    with pytest.raises(UnsupportedFormat, match="needs exactly one value column, got 2"):
        serde_for(
            FormatName.JSON,
            [Column("A", INTEGER), Column("B", INTEGER)],
            options=FormatOptions(wrap_single_value=False),
        )
    with pytest.raises(UnsupportedFormat, match="value columns only"):
        serde_for(
            FormatName.JSON,
            [Column("A", INTEGER)],
            part="key",
            options=FormatOptions(wrap_single_value=False),
        )
