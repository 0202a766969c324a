"""Registering, evolving, refusing and looking up schemas, in every format."""

from __future__ import annotations

import pytest

from streammesh.registry import SchemaReference, SchemaSubmission
from streammesh.registry.errors import (
    IncompatibleSchema,
    InvalidSchemaSubmission,
    SchemaNotFound,
    SubjectNotFound,
)
from streammesh.registry.sql import SqlSchemaRegistry
from streammesh.schemas import SchemaType
from tests.conformance.registry.examples import Contract


def submit(contract: Contract, text: str) -> SchemaSubmission:
    return SchemaSubmission(text, contract.schema_type)


def test_first_registration_is_version_1(registry: SqlSchemaRegistry, contract: Contract) -> None:
    registered = registry.register("trades-value", submit(contract, contract.original))
    assert registered.version == 1
    assert registered.subject == "trades-value"
    assert registered.schema_type is contract.schema_type
    assert registered.schema == contract.original
    assert registry.subjects() == ["trades-value"]
    assert registry.versions("trades-value") == [1]
    assert registry.schema(registered.id).schema == contract.original


def test_compatible_evolution_is_the_next_version(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    first = registry.register("trades-value", submit(contract, contract.original))
    second = registry.register("trades-value", submit(contract, contract.evolved))
    assert second.version == 2
    assert second.id != first.id
    assert registry.version("trades-value", "latest").id == second.id
    assert registry.version("trades-value", 1).id == first.id


def test_incompatible_change_is_refused_with_its_reasons_and_stores_nothing(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registry.register("trades-value", submit(contract, contract.original))
    with pytest.raises(IncompatibleSchema) as caught:
        registry.register("trades-value", submit(contract, contract.breaking))
    error = caught.value
    assert error.subject == "trades-value"
    assert error.level == "FULL_TRANSITIVE"
    assert contract.breaking_rule in {i.rule for i in error.incompatibilities}
    assert "price" in str(error)
    assert registry.versions("trades-value") == [1]
    with pytest.raises(SchemaNotFound):
        registry.lookup("trades-value", submit(contract, contract.breaking))


def test_reregistering_returns_the_existing_version(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    first = registry.register("trades-value", submit(contract, contract.original))
    registry.register("trades-value", submit(contract, contract.evolved))
    again = registry.register("trades-value", submit(contract, contract.reformatted))
    assert (again.version, again.id) == (1, first.id)
    assert registry.versions("trades-value") == [1, 2]


def test_same_schema_under_two_subjects_has_one_id(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    value = registry.register("trades-value", submit(contract, contract.original))
    other = registry.register("audit-value", submit(contract, contract.reformatted))
    assert other.id == value.id
    assert other.version == 1
    assert registry.subject_versions_of(value.id) == [("audit-value", 1), ("trades-value", 1)]


def test_ids_are_distinct_and_increasing(registry: SqlSchemaRegistry, contract: Contract) -> None:
    first = registry.register("a-value", submit(contract, contract.original))
    second = registry.register("b-value", submit(contract, contract.evolved))
    assert second.id > first.id


def test_lookup_finds_the_version_by_content(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registry.register("trades-value", submit(contract, contract.original))
    evolved = registry.register("trades-value", submit(contract, contract.evolved))
    found = registry.lookup("trades-value", submit(contract, contract.evolved))
    assert (found.version, found.id) == (2, evolved.id)
    with pytest.raises(SchemaNotFound):
        registry.lookup("trades-value", submit(contract, contract.breaking))
    with pytest.raises(SubjectNotFound):
        registry.lookup("nothing-value", submit(contract, contract.original))


def test_normalize_stores_the_canonical_text(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registered = registry.register(
        "trades-value", submit(contract, contract.reformatted), normalize=True
    )
    assert registered.schema != contract.reformatted
    assert registry.schema(registered.id).schema == registered.schema
    # The canonical text is itself a valid schema with the same identity.
    again = registry.register("trades-value", submit(contract, registered.schema))
    assert (again.id, again.version) == (registered.id, 1)


def test_without_normalize_the_text_is_kept_as_given(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registered = registry.register("trades-value", submit(contract, contract.reformatted))
    assert registry.schema(registered.id).schema == contract.reformatted


def test_invalid_schema_is_refused_naming_where_and_stores_nothing(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    with pytest.raises(InvalidSchemaSubmission) as caught:
        registry.register("trades-value", submit(contract, contract.broken))
    assert contract.broken_location in str(caught.value)
    assert "dubble" in str(caught.value)
    assert registry.subjects(deleted=True) == []
    # Nothing was stored: the first valid schema still gets the first id.
    assert registry.register("trades-value", submit(contract, contract.original)).version == 1


def test_schema_of_another_type_is_refused_under_a_compatibility_level(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    registry.register("trades-value", submit(contract, contract.original))
    other = SchemaSubmission('{"type": "object", "properties": {}}', SchemaType.JSON)
    if contract.schema_type is SchemaType.JSON:
        other = SchemaSubmission('{"type": "string"}', SchemaType.AVRO)
    with pytest.raises(IncompatibleSchema) as caught:
        registry.register("trades-value", other)
    assert [i.rule for i in caught.value.incompatibilities] == ["SCHEMA_TYPE_CHANGED"]


def test_reference_to_a_missing_subject_or_version_is_refused(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    reference = SchemaReference(contract.money_reference_name, "money-value", 1)
    submission = SchemaSubmission(contract.uses_money, contract.schema_type, (reference,))
    with pytest.raises(SubjectNotFound):
        registry.register("payments-value", submission)
    registry.register("money-value", submit(contract, contract.money))
    missing = SchemaReference(contract.money_reference_name, "money-value", 2)
    with pytest.raises(Exception, match="version 2 of subject 'money-value' not found"):
        registry.register(
            "payments-value",
            SchemaSubmission(contract.uses_money, contract.schema_type, (missing,)),
        )
    assert registry.subjects() == ["money-value"]


def test_schema_without_its_reference_is_invalid(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    with pytest.raises(InvalidSchemaSubmission, match=contract.money_reference_name):
        registry.register("payments-value", submit(contract, contract.uses_money))


def test_schema_types_lists_every_format(registry: SqlSchemaRegistry) -> None:
    assert registry.schema_types() == [SchemaType.AVRO, SchemaType.JSON, SchemaType.PROTOBUF]


def test_unknown_schema_id(registry: SqlSchemaRegistry) -> None:
    with pytest.raises(SchemaNotFound, match="42"):
        registry.schema(42)
    with pytest.raises(SchemaNotFound):
        registry.subject_versions_of(42)


def test_subjects_by_prefix(registry: SqlSchemaRegistry, contract: Contract) -> None:
    for subject in ("b-value", "a-key", "a-value"):
        registry.register(subject, submit(contract, contract.original))
    assert registry.subjects() == ["a-key", "a-value", "b-value"]
    assert registry.subjects(prefix="a-") == ["a-key", "a-value"]
