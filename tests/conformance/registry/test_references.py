"""Schema references: resolved through subject versions, listed by ``referenced_by``, and
protecting the versions they point at from deletion."""

from __future__ import annotations

import pytest

from streammesh.registry import (
    CompatibilityLevel,
    SchemaReference,
    SchemaSubmission,
    SubjectVersion,
)
from streammesh.registry.errors import ReferenceExists
from streammesh.registry.sql import SqlSchemaRegistry
from tests.conformance.registry.examples import Contract


def register_payment(registry: SqlSchemaRegistry, contract: Contract) -> SubjectVersion:
    registry.register("money-value", SchemaSubmission(contract.money, contract.schema_type))
    reference = SchemaReference(contract.money_reference_name, "money-value", 1)
    return registry.register(
        "payments-value", SchemaSubmission(contract.uses_money, contract.schema_type, (reference,))
    )


def test_referencing_schema_keeps_its_references(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    payment = register_payment(registry, contract)
    expected = (SchemaReference(contract.money_reference_name, "money-value", 1),)
    assert payment.references == expected
    assert registry.schema(payment.id).references == expected
    assert registry.version("payments-value", 1).references == expected
    assert registry.referenced_by("money-value", 1) == [payment.id]
    assert registry.referenced_by("money-value", "latest") == [payment.id]


def test_lookup_and_reregister_with_references(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    payment = register_payment(registry, contract)
    reference = SchemaReference(contract.money_reference_name, "money-value", 1)
    submission = SchemaSubmission(contract.uses_money, contract.schema_type, (reference,))
    assert registry.lookup("payments-value", submission).id == payment.id
    assert registry.register("payments-value", submission).version == 1


def test_same_text_with_another_referenced_version_is_another_schema(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    payment = register_payment(registry, contract)
    registry.set_compatibility(CompatibilityLevel.NONE)
    money_v2 = contract.money.replace("cents", "units")
    registry.register("money-value", SchemaSubmission(money_v2, contract.schema_type))
    reference = SchemaReference(contract.money_reference_name, "money-value", 2)
    other = registry.register(
        "payments-value", SchemaSubmission(contract.uses_money, contract.schema_type, (reference,))
    )
    assert other.id != payment.id
    assert other.version == 2


def test_a_referenced_version_cannot_be_deleted(
    registry: SqlSchemaRegistry, contract: Contract
) -> None:
    payment = register_payment(registry, contract)
    with pytest.raises(ReferenceExists) as caught:
        registry.delete_version("money-value", 1)
    assert caught.value.referenced_by == (payment.id,)
    with pytest.raises(ReferenceExists):
        registry.delete_subject("money-value")
    assert registry.versions("money-value") == [1]
    # Once the referrer is (soft-)deleted, the reference no longer holds.
    registry.delete_subject("payments-value")
    assert registry.referenced_by("money-value", 1) == []
    assert registry.delete_subject("money-value") == [1]
