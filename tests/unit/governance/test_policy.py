"""Policy files, how a domain's policy combines with the global one, and what access and
privacy are told about protected fields."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from streammesh.governance import (
    BASELINE,
    PolicyInvalid,
    effective_policy,
    evaluate,
    fields_to_encrypt,
    parse_policy,
    policy_from,
    requires_approval,
    satisfies,
)
from streammesh.products.descriptor import Classification, SchemaFormatName
from streammesh.products.loading import parse_descriptor
from streammesh.registry.base import CompatibilityLevel as Level
from streammesh.schemas.base import SchemaField

DESCRIPTOR = """\
name: customers.profiles
owner: {name: Ada Lovelace, email: ada@example.com}
team: customers-team
description: Customer profiles.
alignment: source
kind: state
key: {field: customer_id, type: string}
schema: profiles.avsc
sla: {tier: 2}
"""


def test_a_policy_file_sets_rules_and_keeps_the_baseline_for_the_others() -> None:
    policy = parse_policy(
        "rules:\n"
        "  schema.formats: {allowed: [avro]}\n"
        "  retention.classification: {limits: {pii: 7d, health: 1d}}\n"
    )
    assert policy.rules.schema_formats.allowed == frozenset({SchemaFormatName.AVRO})
    assert policy.rules.retention.limits == {
        Classification.PII: timedelta(days=7),
        Classification.HEALTH: timedelta(days=1),
    }
    assert policy.rules.personal_data == BASELINE.rules.personal_data
    # What is stored (JSON) reads back as the same policy.
    assert policy_from(policy.explicit()) == policy


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("rules: {schema.formats: {allowed: [xml]}}", "schema.formats.allowed"),
        ("rules: {no.such-rule: {}}", "no.such-rule"),
        ("rules: {naming.convention: {product: '(['}}", "naming.convention.product"),
        ("rules: [", "not YAML"),
    ],
)
def test_an_invalid_policy_names_the_setting(text: str, where: str) -> None:
    with pytest.raises(PolicyInvalid, match=r"policy 'governance.yaml' is invalid") as invalid:
        parse_policy(text, origin="governance.yaml")
    assert any(where in problem for problem in invalid.value.problems), invalid.value.problems


@pytest.mark.parametrize(
    ("level", "minimum", "ok"),
    [
        (Level.FULL, Level.BACKWARD, True),
        (Level.FULL_TRANSITIVE, Level.FULL, True),
        (Level.BACKWARD, Level.BACKWARD_TRANSITIVE, False),
        (Level.FORWARD, Level.BACKWARD, False),
        (Level.NONE, Level.BACKWARD, False),
        (Level.NONE, Level.NONE, True),
        (Level.BACKWARD_TRANSITIVE, Level.BACKWARD, True),
    ],
)
def test_compatibility_levels_are_ordered_by_what_they_guarantee(
    level: Level, minimum: Level, ok: bool
) -> None:
    assert satisfies(level, minimum) is ok


def test_a_domain_policy_adds_and_tightens() -> None:
    global_policy = policy_from(
        {
            "rules": {
                "metadata.required": {"fields": ["tags"]},
                "regions.allowed": {"regions": ["eu-west-1", "eu-central-1"]},
                "retention.classification": {"limits": {"pii": "30d"}},
            }
        }
    )
    domain = policy_from(
        {
            "rules": {
                "metadata.required": {"fields": ["links.runbook"]},
                "regions.allowed": {"regions": ["eu-west-1"]},
                "retention.classification": {"limits": {"pii": "7d", "financial": "90d"}},
                "schema.field-docs": {"enabled": True, "severity": "error"},
            }
        }
    )
    merged, loosened = effective_policy(global_policy, domain)
    assert loosened == []
    assert merged.rules.metadata_required.fields == ("tags", "links.runbook")
    assert merged.rules.regions.regions == frozenset({"eu-west-1"})
    assert merged.rules.retention.limits == {
        Classification.PII: timedelta(days=7),
        Classification.FINANCIAL: timedelta(days=90),
    }
    assert merged.rules.schema_field_docs.enabled


def test_a_loosening_keeps_the_global_value_and_names_it() -> None:
    global_policy = policy_from({"rules": {"retention.classification": {"limits": {"pii": "7d"}}}})
    domain = policy_from(
        {
            "rules": {
                "retention.classification": {"limits": {"pii": "30d"}},
                "events.delta-cross-domain": {"severity": "warning"},
            }
        }
    )
    merged, loosened = effective_policy(global_policy, domain)
    assert merged.rules.retention.limits == {Classification.PII: timedelta(days=7)}
    assert merged.rules.delta_cross_domain.severity.value == "error"
    assert {(item.rule, item.setting) for item in loosened} == {
        ("retention.classification", "limits"),
        ("events.delta-cross-domain", "severity"),
    }
    finding = next(item for item in loosened if item.setting == "severity").finding("p.q.v1")
    assert finding.rule == "policy.loosening"
    assert "'error'" in finding.message and "'warning'" in finding.message


def test_protected_fields_need_approval_and_encryption() -> None:
    descriptor = parse_descriptor(
        DESCRIPTOR
        + "classifications: {email: [pii], iban: [financial, confidential], tier: [confidential]}\n"
    )
    # Every label is protected by default, health, confidential and restricted included.
    assert fields_to_encrypt(descriptor) == frozenset({"email", "iban", "tier"})
    assert requires_approval(descriptor)
    plain = parse_descriptor(DESCRIPTOR + "classifications: {tier: [confidential]}\n")
    assert fields_to_encrypt(plain) == frozenset({"tier"})
    assert requires_approval(plain)
    unclassified = parse_descriptor(DESCRIPTOR)
    assert fields_to_encrypt(unclassified) == frozenset()
    assert not requires_approval(unclassified)
    narrower = policy_from({"rules": {"fields.protected": {"classifications": ["pii"]}}})
    assert fields_to_encrypt(descriptor, narrower) == frozenset({"email"})
    assert not requires_approval(plain, narrower)


@pytest.mark.parametrize(
    ("field", "doc", "personal"),
    [
        ("email", None, True),
        ("contact.phone_number", None, True),
        ("first_name", None, True),
        ("name", None, True),
        ("ip", None, True),
        ("client_ip_address", None, True),
        ("date_of_birth", None, True),
        ("ssn", None, True),
        ("home_address", None, True),
        ("notes", "The customer's e-mail address.", True),
        ("symbol", "Ticker symbol.", False),
        ("product_name_code", None, False),
        ("shipping_method", None, False),
        ("price", "Price in EUR.", False),
    ],
)
def test_personal_data_is_recognised_by_name_or_doc(
    field: str, doc: str | None, personal: bool
) -> None:
    descriptor = parse_descriptor(DESCRIPTOR)
    fields = [SchemaField("customer_id", "string", "Id."), SchemaField(field, "string", doc)]
    rules = {finding.rule for finding in evaluate(descriptor, fields=fields, custom=())}
    assert ("fields.personal-data" in rules) is personal


def test_the_example_policy_of_the_docs_is_valid() -> None:
    docs = Path(__file__).parents[3] / "docs" / "governance.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = parse_policy(example, origin="docs/governance.md")
    assert policy.rules.schema_compatibility.minimum is Level.FULL
    assert policy.rules.schema_field_docs.enabled
