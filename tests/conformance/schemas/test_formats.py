"""What every schema format must do, checked the same way for Avro, JSON Schema and Protobuf."""

from __future__ import annotations

import pytest

from streammesh.schemas import (
    InvalidEvent,
    InvalidSchema,
    SchemaFormat,
    UndecodablePayload,
)
from streammesh.schemas.formats import format_for
from tests.conformance.schemas.conftest import Example


@pytest.fixture
def fmt(example: Example) -> SchemaFormat:
    return format_for(example.schema_type)


def test_parse_names_the_record_and_lists_documented_fields(
    fmt: SchemaFormat, example: Example
) -> None:
    schema = fmt.parse(example.schema)
    assert schema.schema_type is example.schema_type
    assert schema.name == example.name
    fields = {f.path: f for f in schema.fields()}
    assert {"side", "quantity", "symbol", "price", "account"} <= set(fields)
    assert fields["price"].doc == "Price per share."


def test_same_schema_written_differently_has_one_fingerprint(
    fmt: SchemaFormat, example: Example
) -> None:
    first = fmt.parse(example.schema)
    again = fmt.parse(example.reformatted)
    assert again.canonical == first.canonical
    assert again.fingerprint == first.fingerprint


def test_different_schemas_have_different_fingerprints(fmt: SchemaFormat, example: Example) -> None:
    fingerprints = {
        fmt.parse(text).fingerprint
        for text in (example.schema, example.compatible_evolution, example.incompatible_evolution)
    }
    assert len(fingerprints) == 3


def test_events_round_trip(fmt: SchemaFormat, example: Example) -> None:
    schema = fmt.parse(example.schema)
    payload = fmt.serialize(schema, example.event)
    assert isinstance(payload, bytes)
    assert fmt.deserialize(schema, payload) == example.event


def test_bad_event_is_refused_naming_the_field(fmt: SchemaFormat, example: Example) -> None:
    schema = fmt.parse(example.schema)
    with pytest.raises(InvalidEvent) as caught:
        fmt.validate(schema, example.bad_event)
    assert caught.value.path == "price"
    assert "price" in str(caught.value)
    with pytest.raises(InvalidEvent):
        fmt.serialize(schema, example.bad_event)


def test_broken_schema_is_refused_saying_where(fmt: SchemaFormat, example: Example) -> None:
    with pytest.raises(InvalidSchema) as caught:
        fmt.parse(example.broken)
    assert caught.value.location, "the error must say where the problem is"
    assert "dubble" in str(caught.value)


def test_garbage_payload_is_refused(fmt: SchemaFormat, example: Example) -> None:
    schema = fmt.parse(example.schema)
    with pytest.raises(UndecodablePayload):
        fmt.deserialize(schema, b"\xff\xfe\xfd not a payload \x00\x01")


def test_a_schema_is_compatible_with_itself(fmt: SchemaFormat, example: Example) -> None:
    schema = fmt.parse(example.schema)
    assert fmt.check_compatibility(schema, schema) == []


def test_adding_an_optional_field_is_backward_compatible(
    fmt: SchemaFormat, example: Example
) -> None:
    old = fmt.parse(example.schema)
    new = fmt.parse(example.compatible_evolution)
    assert fmt.check_compatibility(reader=new, writer=old) == []
    forward = fmt.check_compatibility(reader=old, writer=new)
    if example.closed_content_model:
        # An old reader that forbids unknown properties cannot read the new one.
        assert forward, "a closed content model must refuse the added property"
    else:
        assert forward == []


def test_changing_a_field_type_is_incompatible_and_located(
    fmt: SchemaFormat, example: Example
) -> None:
    old = fmt.parse(example.schema)
    new = fmt.parse(example.incompatible_evolution)
    problems = fmt.check_compatibility(reader=new, writer=old)
    assert problems, "string price cannot read double price"
    assert all(p.rule and p.reason for p in problems)
    assert any("price" in p.path for p in problems)
