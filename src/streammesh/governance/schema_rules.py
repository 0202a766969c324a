"""Built-in rules about the value schema: field docs, personal data, protected fields and
the subject's compatibility mode."""

from __future__ import annotations

import re
from collections.abc import Iterator

from streammesh.governance.context import RuleContext
from streammesh.governance.findings import RuleId
from streammesh.governance.merging import satisfies
from streammesh.products import PolicyFinding
from streammesh.registry import subject_for


def field_docs(context: RuleContext) -> Iterator[PolicyFinding]:
    """``schema.field-docs``: every field of the schema has a non-empty doc."""
    settings = context.policy.rules.schema_field_docs
    for field in context.fields or ():
        if not (field.doc or "").strip():
            yield context.finding(
                RuleId.SCHEMA_FIELD_DOCS,
                settings,
                field.path,
                f"field '{field.path}' has no doc",
                f"describe '{field.path}' in the schema (Avro/JSON Schema: \"doc\"/"
                '"description"; Protobuf: a comment above the field)',
            )


def personal_data(context: RuleContext) -> Iterator[PolicyFinding]:
    """``fields.personal-data``: fields whose name or doc looks like personal data are
    classified."""
    settings = context.policy.rules.personal_data
    patterns = [re.compile(pattern, re.IGNORECASE) for pattern in settings.patterns]
    classified = context.descriptor.classifications
    for field in context.fields or ():
        if field.path in classified or field.path == context.descriptor.key.field:
            continue
        leaf = re.split(r"[.\[\]{}]+", field.path.strip(".[]{}"))[-1]
        for pattern in patterns:
            seen_in = (
                "name"
                if pattern.search(leaf)
                else "doc"
                if field.doc and pattern.search(field.doc)
                else None
            )
            if seen_in is None:
                continue
            yield context.finding(
                RuleId.PERSONAL_DATA,
                settings,
                field.path,
                f"field '{field.path}' looks like personal data (its {seen_in} matches "
                f"'{pattern.pattern}') and is not classified",
                f"classify it: `classifications: {{{field.path}: [pii]}}` (or [confidential] "
                "when it is not about a person)",
            )
            break


def protected_fields(context: RuleContext) -> Iterator[PolicyFinding]:
    """``fields.protected``: a field that must be encrypted is not the event key.

    Protected fields (every classification by default) are encrypted field by field when
    produced; the key stays in clear (it picks the partition and keys compaction), so it
    cannot be one of them.
    """
    settings = context.policy.rules.protected_fields
    key = context.descriptor.key.field
    for path, labels in context.classified():
        protected = labels & settings.classifications
        if path == key and protected:
            shown = ", ".join(sorted(label.value for label in protected))
            yield context.finding(
                RuleId.PROTECTED_FIELDS,
                settings,
                path,
                f"the key field '{path}' is classified {shown}, which must be encrypted, but "
                "the key stays in clear",
                "key the product on a surrogate identifier (e.g. a customer id) instead",
            )


def minimum_compatibility(context: RuleContext) -> Iterator[PolicyFinding]:
    """``schema.compatibility``: the value subject's mode is at least the policy's minimum."""
    settings = context.policy.rules.schema_compatibility
    level = context.compatibility
    if level is None or satisfies(level, settings.minimum):
        return
    subject = subject_for(context.descriptor.topic)
    yield context.finding(
        RuleId.SCHEMA_COMPATIBILITY,
        settings,
        "schema",
        f"subject '{subject}' has compatibility {level.value}, weaker than the policy's "
        f"minimum {settings.minimum.value}",
        f"set it: 'streammesh schemas config {subject} --set {settings.minimum.value}'",
    )
