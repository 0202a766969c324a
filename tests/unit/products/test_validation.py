"""``validate_products``: each rule, on ``init``'s example product broken one way at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.products.descriptor import SchemaFormatName
from streammesh.products.report import Finding, Severity, ValidationReport
from streammesh.products.scaffold import Scaffold, write_scaffold
from streammesh.products.validation import find_descriptors, validate_products
from streammesh.registry.base import SchemaSubmission, subject_for
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.schemas.base import SchemaType
from streammesh.store import open_store


@pytest.fixture
def orders(tmp_path: Path) -> Scaffold:
    return write_scaffold(tmp_path, "sales", "orders", SchemaFormatName.AVRO)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[SqlSchemaRegistry]:
    with open_store(f"sqlite:///{tmp_path / 'meta.db'}") as store:
        yield SqlSchemaRegistry(store)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def errors(report: ValidationReport) -> list[Finding]:
    return [finding for finding in report.findings if finding.severity is Severity.ERROR]


def rules(report: ValidationReport) -> list[str]:
    return [finding.rule for finding in errors(report)]


def only_error(report: ValidationReport) -> Finding:
    found = errors(report)
    assert len(found) == 1, found
    return found[0]


def avro_fields(schema: Path) -> list[dict[str, object]]:
    fields: list[dict[str, object]] = json.loads(schema.read_text(encoding="utf-8"))["fields"]
    return fields


def set_avro_fields(schema: Path, fields: list[dict[str, object]]) -> None:
    document = json.loads(schema.read_text(encoding="utf-8"))
    document["fields"] = fields
    schema.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize("schema_format", list(SchemaFormatName))
def test_init_output_is_valid_in_every_format(
    tmp_path: Path, schema_format: SchemaFormatName
) -> None:
    write_scaffold(tmp_path, "sales", "orders", schema_format)
    report = validate_products([tmp_path], None)
    assert report.ok, report.findings
    assert [product.topic for product in report.products] == ["sales.orders.v1"]
    assert [finding.rule for finding in report.findings] == ["compatibility.skipped"]


def test_descriptor_problems_are_all_listed_with_their_position(orders: Scaffold) -> None:
    edit(orders.descriptor, "team: sales-team", "teem: sales-team")
    edit(orders.descriptor, "kind: state", "kind: command")
    report = validate_products([orders.descriptor], None)
    assert not report.ok
    found = {finding.location: finding for finding in errors(report)}
    assert set(found) == {"teem", "team", "kind"}
    assert {finding.rule for finding in found.values()} == {"descriptor.invalid"}
    assert found["teem"].hint == "did you mean 'team'?"
    assert found["kind"].line is not None
    assert found["kind"].file == str(orders.descriptor)
    assert report.products == ()


def test_yaml_syntax_error_in_a_folder_is_reported_not_skipped(orders: Scaffold) -> None:
    edit(orders.descriptor, "tags: [example]", "tags: [example")
    report = validate_products([orders.descriptor.parent], None)
    finding = only_error(report)
    assert finding.rule == "descriptor.invalid"
    assert "invalid YAML" in finding.message


def test_missing_schema_file(orders: Scaffold) -> None:
    orders.schema.unlink()
    finding = only_error(validate_products([orders.descriptor], None))
    assert finding.rule == "schema.not-found"
    assert finding.location == "schema"
    assert finding.line is not None


def test_invalid_schema_names_the_schema_file_and_location(orders: Scaffold) -> None:
    set_avro_fields(orders.schema, [{"name": "orders_id", "type": "strin"}])
    finding = only_error(validate_products([orders.descriptor], None))
    assert finding.rule == "schema.invalid"
    assert finding.file == str(orders.schema)
    assert finding.location
    assert "strin" in finding.message


def test_key_field_missing_from_the_schema(orders: Scaffold) -> None:
    edit(orders.descriptor, "field: orders_id", "field: order_id")
    finding = only_error(validate_products([orders.descriptor], None))
    assert (finding.rule, finding.location) == ("key.missing-field", "key.field")
    assert finding.hint == "did you mean 'orders_id'?"
    assert finding.line == 16


def test_key_type_incompatible_with_the_field(orders: Scaffold) -> None:
    edit(orders.descriptor, "type: string ", "type: long   ")
    finding = only_error(validate_products([orders.descriptor], None))
    assert (finding.rule, finding.location) == ("key.type-mismatch", "key.type")
    assert finding.hint == "declare `type: string` under `key`"


def test_integer_fields_can_key_a_long_key(orders: Scaffold) -> None:
    fields = avro_fields(orders.schema)
    fields[0] = {"name": "orders_id", "type": "int"}
    set_avro_fields(orders.schema, fields)
    edit(orders.descriptor, "type: string ", "type: long   ")
    assert validate_products([orders.descriptor], None).ok


def test_key_inside_an_array_is_refused(orders: Scaffold) -> None:
    fields = avro_fields(orders.schema)
    fields.append(
        {
            "name": "lines",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Line",
                    "fields": [{"name": "sku", "type": "string"}],
                },
            },
        }
    )
    set_avro_fields(orders.schema, fields)
    edit(orders.descriptor, "field: orders_id", "field: lines[].sku")
    finding = only_error(validate_products([orders.descriptor], None))
    assert finding.rule == "key.type-mismatch"
    assert "many" in finding.message


def test_nullable_key_is_an_error_for_state_and_a_warning_otherwise(orders: Scaffold) -> None:
    fields = avro_fields(orders.schema)
    fields[0] = {"name": "orders_id", "type": ["null", "string"], "default": None}
    set_avro_fields(orders.schema, fields)
    finding = only_error(validate_products([orders.descriptor], None))
    assert finding.rule == "key.nullable"
    assert "state product" in finding.message

    edit(orders.descriptor, "kind: state", "kind: delta")
    report = validate_products([orders.descriptor], None)
    assert report.ok
    assert [f.rule for f in report.findings if f.severity is Severity.WARNING] == ["key.nullable"]


def test_classified_field_missing_from_the_schema(orders: Scaffold) -> None:
    edit(orders.descriptor, "customer_email: [pii]", "customer_emial: [pii]\n  status: [pii]")
    finding = only_error(validate_products([orders.descriptor], None))
    assert finding.rule == "classification.unknown-field"
    assert finding.location == "classifications.customer_emial"
    assert finding.hint == "did you mean 'customer_email'?"


def test_nested_classification_paths_match_schema_field_paths(orders: Scaffold) -> None:
    fields = avro_fields(orders.schema)
    fields.append(
        {
            "name": "customer",
            "type": {
                "type": "record",
                "name": "Customer",
                "fields": [{"name": "phone", "type": "string"}],
            },
        }
    )
    set_avro_fields(orders.schema, fields)
    edit(orders.descriptor, "customer_email: [pii]", "customer.phone: [pii]\n  customer.fax: [pii]")
    finding = only_error(validate_products([orders.descriptor], None))
    assert finding.location == 'classifications["customer.fax"]'


def test_same_product_version_in_two_files_is_an_error(orders: Scaffold) -> None:
    copy = orders.descriptor.with_name("orders-copy.yaml")
    copy.write_text(orders.descriptor.read_text(encoding="utf-8"), encoding="utf-8")
    finding = only_error(validate_products([orders.descriptor.parent], None))
    assert finding.rule == "product.duplicate"
    # Files are checked in name order: the second one is flagged, naming the first.
    assert finding.file == str(orders.descriptor)
    assert f"also defined in '{copy}'" in finding.message


def test_next_major_version_side_by_side_is_not_a_duplicate(orders: Scaffold) -> None:
    v2 = orders.descriptor.with_name("orders-v2.yaml")
    v2.write_text(
        orders.descriptor.read_text(encoding="utf-8").replace("version: 1 ", "version: 2 "),
        encoding="utf-8",
    )
    report = validate_products([orders.descriptor.parent], None)
    assert report.ok, report.findings
    assert sorted(product.topic for product in report.products) == [
        "sales.orders.v1",
        "sales.orders.v2",
    ]


def test_only_descriptor_shaped_yaml_is_picked_up_in_folders(orders: Scaffold) -> None:
    folder = orders.descriptor.parent
    (folder / "ci.yml").write_text("name: build\non: push\njobs: {}\n", encoding="utf-8")
    (folder / "deploy.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n", encoding="utf-8"
    )
    hidden = folder / ".streammesh"
    hidden.mkdir()
    (hidden / "copy.yaml").write_text(orders.descriptor.read_text(encoding="utf-8"))
    found, problems = find_descriptors([folder])
    assert found == [orders.descriptor]
    assert problems == []


def test_missing_path_and_empty_folder_are_errors(tmp_path: Path) -> None:
    assert rules(validate_products([tmp_path / "nope"], None)) == ["path.not-found"]
    assert rules(validate_products([tmp_path], None)) == ["path.no-descriptors"]


def test_new_product_is_a_note_against_an_empty_registry(
    orders: Scaffold, registry: SqlSchemaRegistry
) -> None:
    report = validate_products([orders.descriptor], registry, registry_name="local")
    assert report.ok
    assert report.registry == "local"
    assert [finding.rule for finding in report.findings] == ["compatibility.new-subject"]
    assert "nothing published yet" in report.findings[0].message


def publish_v1(orders: Scaffold, registry: SqlSchemaRegistry) -> None:
    registry.register(
        subject_for("sales.orders.v1"),
        SchemaSubmission(orders.schema.read_text(encoding="utf-8"), SchemaType.AVRO),
    )


def test_compatible_change_passes(orders: Scaffold, registry: SqlSchemaRegistry) -> None:
    publish_v1(orders, registry)
    fields = avro_fields(orders.schema)
    fields.append({"name": "note", "type": "string", "default": ""})
    set_avro_fields(orders.schema, fields)
    report = validate_products([orders.descriptor], registry)
    assert report.ok, report.findings
    assert [finding.rule for finding in report.findings] == ["compatibility.ok"]
    assert "FULL_TRANSITIVE" in report.findings[0].message


def test_incompatible_change_lists_every_incompatibility_and_the_version_hint(
    orders: Scaffold, registry: SqlSchemaRegistry
) -> None:
    publish_v1(orders, registry)
    fields = avro_fields(orders.schema)
    fields[2] = {"name": "status", "type": "int"}  # retyped
    fields.append({"name": "total", "type": "double"})  # no default
    set_avro_fields(orders.schema, fields)
    report = validate_products([orders.descriptor], registry)
    found = errors(report)
    assert {finding.rule for finding in found} == {"compatibility.incompatible"}
    assert len(found) >= 2
    assert all(finding.file == str(orders.schema) for finding in found)
    assert any("status" in finding.location + finding.message for finding in found)
    assert any("total" in finding.location + finding.message for finding in found)
    assert all(finding.hint and "`version: 2`" in finding.hint for finding in found)

    # Published as the next major version, the same schema is a new product.
    edit(orders.descriptor, "version: 1 ", "version: 2 ")
    report = validate_products([orders.descriptor], registry)
    assert report.ok
    assert [finding.rule for finding in report.findings] == ["compatibility.new-subject"]


def test_json_document_has_stable_keys(orders: Scaffold) -> None:
    edit(orders.descriptor, "field: orders_id", "field: order_id")
    document = validate_products([orders.descriptor], None).document()
    assert set(document) == {"ok", "summary", "registry", "descriptors", "products", "findings"}
    assert document["ok"] is False
    assert document["summary"] == {
        "descriptors": 1,
        "products": 1,
        "errors": 1,
        "warnings": 0,
        "infos": 1,
    }
    assert set(document["findings"][0]) == {
        "file",
        "line",
        "column",
        "location",
        "severity",
        "rule",
        "message",
        "hint",
        "product",
    }
    json.dumps(document)  # serializable as is


@pytest.mark.parametrize(
    ("root", "admits"),
    [
        pytest.param({"type": "string"}, "string", id="string-root"),
        pytest.param({"type": "array", "items": {"type": "object"}}, "array", id="array-root"),
    ],
)
def test_json_value_schema_must_describe_an_object(
    tmp_path: Path, root: dict[str, object], admits: str
) -> None:
    """The registry takes any JSON Schema; a product's value schema stays an object."""
    scaffold = write_scaffold(tmp_path, "sales", "orders", SchemaFormatName.JSON)
    scaffold.schema.write_text(json.dumps(root), encoding="utf-8")
    finding = only_error(validate_products([scaffold.descriptor], None))
    assert finding.rule == "schema.invalid"
    assert "must describe an object" in finding.message
    assert f"admits {admits}" in finding.message
    assert finding.file == str(scaffold.schema)
