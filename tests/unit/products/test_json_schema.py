"""The exported JSON Schema accepts what the loader accepts, and rejects typos in editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from streammesh.products.descriptor import SchemaFormatName
from streammesh.products.json_schema import descriptor_json_schema, descriptor_json_schema_text
from streammesh.products.loading import load_descriptor
from streammesh.products.scaffold import write_scaffold
from tests.unit.products.test_loading import VALID


def as_json(text: str) -> Any:
    # YAML reads dates as date objects; editors see them as strings, as JSON does.
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(descriptor_json_schema())
    assert json.loads(descriptor_json_schema_text()) == descriptor_json_schema()


@pytest.mark.parametrize("schema_format", list(SchemaFormatName))
def test_scaffolded_example_validates(tmp_path: Path, schema_format: SchemaFormatName) -> None:
    scaffold = write_scaffold(tmp_path, "execution", "stocktrades", schema_format)
    load_descriptor(scaffold.descriptor)
    jsonschema.validate(as_json(scaffold.descriptor.read_text()), descriptor_json_schema())


def test_full_example_from_the_docs_validates() -> None:
    docs = Path(__file__).parents[3] / "docs" / "descriptor.md"
    example = docs.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    jsonschema.validate(as_json(example), descriptor_json_schema())


@pytest.mark.parametrize(
    "edit",
    [("team:", "taem:"), ("tier: 1", "tier: 7"), ("freshness: 15m", "freshness: soon")],
)
def test_schema_rejects_what_the_loader_rejects(edit: tuple[str, str]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(as_json(VALID.replace(*edit)), descriptor_json_schema())
