"""ksqlDB's JSON text, to the byte, where Python's and orjson's writers differ from Jackson's
``UTF8JsonGenerator`` (what ksqlDB writes records with): control characters escaped with
upper-case hex digits, each UTF-16 surrogate of a character beyond the BMP (and a lone one)
as an escape of its own, other text as UTF-8; and a DECIMAL zero without a sign."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from streammesh.streams.formats import Column
from streammesh.streams.formats.json_format import JsonSerde
from streammesh.streams.types import BIGINT, STRING, SqlType, decimal, map_of


def _serde(kind: SqlType, name: str = "S") -> JsonSerde:
    return JsonSerde([Column(name, kind), Column("N", BIGINT)], wrapped=True)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("plain", b'"plain"'),
        ("a\x1fb\x0bc\x00", b'"a\\u001Fb\\u000Bc\\u0000"'),
        ("tab\tnew\nline\r\x08\x0c", b'"tab\\tnew\\nline\\r\\b\\f"'),
        ('quote " and \\ slash /', b'"quote \\" and \\\\ slash /"'),
        ("\\u001f as text", b'"\\\\u001f as text"'),
        ("caf\u00e9 \ud55c \u2028 \x7f", '"caf\u00e9 \ud55c \u2028 \x7f"'.encode()),
        ("smile \U0001f600!", b'"smile \\uD83D\\uDE00!"'),
        ("lone \ud800 surrogate", b'"lone \\uD800 surrogate"'),
    ],
)
def test_strings_are_written_as_jackson_writes_them(text: str, written: bytes) -> None:
    serde = _serde(STRING)
    record = serde.serialize((text, 1))
    assert record == b'{"S":' + written + b',"N":1}'
    assert serde.deserialize(record) == (text, 1)  # and read back as they were


def test_a_column_name_beyond_ascii_is_written_as_utf8() -> None:
    serde = _serde(STRING, name="CAF\u00c9")
    assert serde.serialize(("x", 1)) == '{"CAF\u00c9":"x","N":1}'.encode()


def test_map_keys_and_values_are_written_as_jackson_writes_them() -> None:
    serde = _serde(map_of(STRING, STRING))
    record = serde.serialize(({"\u00e9\U0001f600": "\x1f"}, 1))
    assert record == b'{"S":{"\xc3\xa9\\uD83D\\uDE00":"\\u001F"},"N":1}'
    assert json.loads(record)["S"] == {"\u00e9\U0001f600": "\x1f"}


@pytest.mark.parametrize("zero", [Decimal("-0.00"), Decimal("0.00"), Decimal("-0E-2")])
def test_a_decimal_zero_has_no_sign(zero: Decimal) -> None:
    assert _serde(decimal(4, 2)).serialize((zero, 1)) == b'{"S":0.00,"N":1}'
