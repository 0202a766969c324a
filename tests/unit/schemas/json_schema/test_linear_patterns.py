"""JSON Schema patterns are matched in linear time: a pattern that makes Python's ``re``
backtrack exponentially still answers at once, with the field path and rule it always had;
patterns the linear engine cannot match are refused when the schema is parsed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streammesh.schemas import InvalidEvent, InvalidSchema
from streammesh.schemas.json_schema import JsonSchemaFormat

FORMAT = JsonSchemaFormat()
HOSTILE = "^(a+)+$"  # exponential for a backtracking engine on 'aaaa...!'


def _schema(**properties: Any) -> str:
    return json.dumps({"title": "Order", "type": "object", **properties})


def _refusal(schema: str, event: dict[str, Any]) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        FORMAT.validate(FORMAT.parse(schema), event)
    return caught.value


@pytest.mark.timeout(10)
def test_a_hostile_pattern_refuses_the_event_at_once_with_its_field_and_rule() -> None:
    schema = _schema(properties={"code": {"type": "string", "pattern": HOSTILE}})
    refused = _refusal(schema, {"code": "a" * 5000 + "!"})
    assert (refused.path, refused.rule) == ("code", "pattern")
    assert refused.reason.endswith(f"does not match {HOSTILE!r} (keyword 'pattern')")
    FORMAT.validate(FORMAT.parse(schema), {"code": "a" * 5000})


@pytest.mark.timeout(10)
def test_hostile_pattern_properties_are_matched_at_once_too() -> None:
    schema = _schema(patternProperties={HOSTILE: {"type": "integer"}}, additionalProperties=False)
    refused = _refusal(schema, {"a" * 5000 + "!": 1})
    assert refused.rule == "unknown-field"
    assert refused.path == "a" * 5000 + "!"
    wrong = _refusal(schema, {"aaa": "not an integer"})
    assert (wrong.path, wrong.rule) == ("aaa", "type")


def test_patterns_keep_json_schema_meaning_unanchored_search() -> None:
    schema = FORMAT.parse(_schema(properties={"id": {"type": "string", "pattern": "[0-9]{3}"}}))
    FORMAT.validate(schema, {"id": "order-123-x"})
    refused = _refusal(json.dumps(schema.document), {"id": "order-12"})
    assert refused.reason == "'order-12' does not match '[0-9]{3}' (keyword 'pattern')"


@pytest.mark.parametrize(
    ("pattern", "where"),
    [
        ("^(?=.*[0-9])[a-z0-9]+$", "/properties/code/pattern"),
        ("^(a)\\1$", "/properties/code/pattern"),
        ("(?<!x)y", "/properties/code/pattern"),
    ],
)
def test_a_pattern_the_linear_engine_cannot_match_is_refused_at_parse(
    pattern: str, where: str
) -> None:
    with pytest.raises(InvalidSchema) as caught:
        FORMAT.parse(_schema(properties={"code": {"type": "string", "pattern": pattern}}))
    assert caught.value.location == where
    assert "cannot be matched in linear time" in caught.value.reason


def test_a_pattern_properties_key_is_checked_too() -> None:
    with pytest.raises(InvalidSchema) as caught:
        FORMAT.parse(_schema(patternProperties={"^(?=x)": {"type": "string"}}))
    assert caught.value.location == "/patternProperties/^(?=x)"


def test_unevaluated_properties_next_to_pattern_properties_is_refused() -> None:
    with pytest.raises(InvalidSchema) as caught:
        FORMAT.parse(
            _schema(patternProperties={"^x_": {"type": "string"}}, unevaluatedProperties=False)
        )
    assert "'unevaluatedProperties' together with 'patternProperties'" in caught.value.reason
