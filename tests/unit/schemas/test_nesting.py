"""Every schema format refuses a schema nested thousands of levels deep, or too large, with a
clear ``InvalidSchema`` instead of a ``RecursionError``."""

from __future__ import annotations

import pytest

from streammesh.schemas.avro.format import AvroFormat
from streammesh.schemas.base import SchemaFormat
from streammesh.schemas.errors import InvalidSchema
from streammesh.schemas.json_schema.format import JsonSchemaFormat
from streammesh.schemas.protobuf.format import ProtobufFormat


def _avro(levels: int) -> str:
    text = '{"type": "record", "name": "R0", "fields": [{"name": "x", "type": "int"}]}'
    for level in range(1, levels):
        text = (
            f'{{"type": "record", "name": "R{level}", "fields": [{{"name": "f", "type": {text}}}]}}'
        )
    return text


def _json_schema(levels: int) -> str:
    text = '{"type": "string"}'
    for _ in range(levels):
        text = f'{{"type": "object", "properties": {{"a": {text}}}}}'
    return text


def _proto(levels: int) -> str:
    text = "message M0 { int32 x = 1; }"
    for level in range(1, levels):
        text = f"message M{level} {{ {text} M{level - 1} f = 1; }}"
    return f'syntax = "proto3";\n{text}'


FORMATS = [
    pytest.param(AvroFormat(), _avro, id="avro"),
    pytest.param(JsonSchemaFormat(), _json_schema, id="json-schema"),
    pytest.param(ProtobufFormat(), _proto, id="protobuf"),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("fmt", "nested"), FORMATS)
def test_5000_levels_deep_is_an_invalid_schema_with_its_line(fmt: SchemaFormat, nested) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidSchema) as caught:
        fmt.parse(nested(5000))
    assert "nested deeper than 100 levels" in caught.value.reason
    assert caught.value.location.startswith("line ")


@pytest.mark.parametrize(("fmt", "nested"), FORMATS)
def test_a_reasonably_nested_schema_still_parses(fmt: SchemaFormat, nested) -> None:  # type: ignore[no-untyped-def]
    fmt.parse(nested(20))


def test_brackets_inside_strings_and_comments_do_not_count() -> None:
    doc = "[" * 500
    AvroFormat().parse(
        '{"type": "record", "name": "R", "doc": "'
        + doc
        + '", "fields": [{"name": "x", "type": "int"}]}'
    )
    ProtobufFormat().parse(f'syntax = "proto3";\n// {"{" * 500}\nmessage M {{ int32 x = 1; }}\n')


def test_a_schema_over_a_mebibyte_is_refused() -> None:
    field = '{"name": "x", "type": "int", "doc": "' + "d" * (1024 * 1024) + '"}'
    with pytest.raises(InvalidSchema) as caught:
        AvroFormat().parse('{"type": "record", "name": "R", "fields": [' + field + "]}")
    assert "more than the 1048576 allowed" in caught.value.reason
