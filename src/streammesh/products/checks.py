"""The descriptor checker: what ``streammesh validate`` reports and what ``plan`` refuses.

One descriptor and the text of its schema are checked here, whoever asks: ``validate`` turns
the findings into its report, the control plane's planner into plan problems. So a rule has
one id and one message everywhere (``docs/decisions.md``: "One descriptor checker").

Rule ids of a descriptor (each a :class:`~streammesh.products.report.Finding`):

- ``schema.invalid``, ``schema.unresolved-reference``, ``schema.format-unavailable``: the
  schema does not parse in the declared format, or its root is not a record;
- ``key.missing-field``, ``key.type-mismatch``, ``key.nullable`` (an error for ``state``
  products, whose compaction needs a key on every event, a warning otherwise);
- ``classification.unknown-field``;
- the governance rules of the policy in force (ids of :mod:`streammesh.governance`);
- against a registry, ``compatibility.incompatible`` (one per incompatibility, under the
  subject's compatibility level), with ``compatibility.new-subject`` and ``compatibility.ok``
  as notes.

Registry errors are not findings here: they propagate, and each caller decides (``validate``
reports ``registry.unavailable``; ``plan`` fails).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from streammesh.errors import MissingDependency
from streammesh.products.descriptor import Descriptor, EventKind, KeyType
from streammesh.products.report import Finding, Severity
from streammesh.registry import (
    CompatibilityLevel,
    CompatibilityReport,
    SchemaNotFound,
    SchemaRegistry,
    SchemaSubmission,
    SubjectNotFound,
    SubjectVersion,
    subject_for,
)
from streammesh.schemas import InvalidSchema, SchemaError, UnresolvedReference, format_for
from streammesh.schemas.json_schema import require_object_root

if TYPE_CHECKING:
    from streammesh.products.findings import PolicyFinding
    from streammesh.schemas import ParsedSchema, SchemaField


INCOMPATIBLE = "compatibility.incompatible"
"""The rule id of an incompatibility with what is published (``plan`` lists them as one)."""


class PolicyReviewer(Protocol):
    """Governance as the checker needs it (``streammesh.governance.MeshReview``)."""

    def findings(
        self, descriptor: Descriptor, fields: Sequence[SchemaField] | None
    ) -> Sequence[PolicyFinding]: ...


class Positions(Protocol):
    """Where a descriptor field is written (``streammesh.products.loading.DescriptorFile``)."""

    def position(self, keys: Sequence[str]) -> tuple[int | None, int | None]: ...


@dataclass(frozen=True, slots=True)
class CheckedDescriptor:
    """What is checked: a descriptor and its schema's text, with the files to name.

    Attributes:
        descriptor: The (valid) descriptor.
        schema: The text of its value schema.
        descriptor_file: How findings name the descriptor (its path, or a request's origin).
        schema_file: How findings name the schema file.
        positions: Lines and columns of descriptor fields, when the descriptor's YAML is at
            hand.
    """

    descriptor: Descriptor
    schema: str
    descriptor_file: str
    schema_file: str
    positions: Positions | None = None

    @property
    def subject(self) -> str:
        """The registry subject of its value schema."""
        return subject_for(self.descriptor.topic)

    @property
    def submission(self) -> SchemaSubmission:
        """The value schema as the registry takes it."""
        return SchemaSubmission(self.schema, self.descriptor.schema_ref.format.schema_type)

    def finding(
        self,
        location: str,
        severity: Severity,
        rule: str,
        message: str,
        hint: str | None = None,
        *,
        at: Sequence[str] = (),
        in_schema: bool = False,
    ) -> Finding:
        """A finding about this descriptor (``in_schema``: about its schema file); ``at`` are
        the descriptor keys whose line and column it points at."""
        line, column = (None, None)
        if at and not in_schema and self.positions is not None:
            line, column = self.positions.position(at)
        return Finding(
            self.schema_file if in_schema else self.descriptor_file,
            location,
            severity,
            rule,
            message,
            hint,
            self.descriptor.name,
            line,
            column,
        )


@dataclass(frozen=True, slots=True)
class Compatibility:
    """How a descriptor's schema stands against what is published under its subject.

    Attributes:
        subject: The value subject.
        versions: The subject's published versions, lowest first (empty: a new subject).
        level: The subject's compatibility level (``None`` for a new subject).
        registered: The published version that is this very schema, if one is.
        report: The registry's compatibility check (``None`` when none was needed: a new
            subject, or a schema already registered).
    """

    subject: str
    versions: tuple[int, ...] = ()
    level: CompatibilityLevel | None = None
    registered: SubjectVersion | None = None
    report: CompatibilityReport | None = None

    @property
    def compatible(self) -> bool:
        """Whether the schema can be registered (or already is)."""
        return self.report is None or self.report.compatible

    @property
    def latest(self) -> int | None:
        """The subject's latest version, ``None`` for a new subject."""
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True, slots=True)
class DescriptorCheck:
    """What checking one descriptor found.

    Attributes:
        findings: Every finding, in the order of the rules.
        schema: The parsed schema (``None`` when it does not parse).
    """

    findings: tuple[Finding, ...]
    schema: ParsedSchema | None


# Schema field types (as each format's ``fields()`` names them) a key type can be taken from.
_INTEGERS_32 = frozenset({"int", "int32", "sint32", "sfixed32", "uint32", "fixed32"})
_INTEGERS_64 = frozenset({"long", "int64", "sint64", "sfixed64", "uint64", "fixed64"})
_KEY_SOURCES: dict[KeyType, frozenset[str]] = {
    KeyType.STRING: frozenset({"string", "uuid"}),
    KeyType.UUID: frozenset({"uuid", "string"}),
    KeyType.INT: _INTEGERS_32 | {"integer"},
    KeyType.LONG: _INTEGERS_32 | _INTEGERS_64 | {"integer"},
    KeyType.BYTES: frozenset({"bytes", "string"}),
}
_SUGGESTED_KEY_TYPE = {
    "string": KeyType.STRING,
    "uuid": KeyType.UUID,
    "bytes": KeyType.BYTES,
    "integer": KeyType.LONG,
    **dict.fromkeys(_INTEGERS_32, KeyType.INT),
    **dict.fromkeys(_INTEGERS_64, KeyType.LONG),
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DescriptorChecker:
    """Checks descriptors against their schemas, the governance policy and the registry.

    Args:
        governance: Evaluates the governance policy; ``None`` skips policies.

    Example:
        >>> checker = DescriptorChecker(review)
        >>> target = CheckedDescriptor(descriptor, schema_text, "a.yaml", "a.avsc")
        >>> checker.check(target).findings
        ()
        >>> compatibility_findings(target, checker.compatibility(target, registry))
    """

    def __init__(self, governance: PolicyReviewer | None = None) -> None:
        self._governance = governance

    def check(self, target: CheckedDescriptor) -> DescriptorCheck:
        """Every finding about ``target`` that needs no registry."""
        findings: list[Finding] = []
        schema = _parse(target, findings)
        if schema is None:
            return DescriptorCheck(tuple(findings), None)
        fields = {field.path: field for field in schema.fields()}
        findings.extend(_key_findings(target, fields))
        findings.extend(_classification_findings(target, fields))
        if self._governance is not None:
            reviewed = self._governance.findings(target.descriptor, list(fields.values()))
            findings.extend(_policy_finding(target, finding) for finding in reviewed)
        return DescriptorCheck(tuple(findings), schema)

    @staticmethod
    def compatibility(target: CheckedDescriptor, registry: SchemaRegistry) -> Compatibility:
        """``target``'s standing in ``registry`` (:func:`compatibility_findings` words it).

        The registry is asked once per descriptor: the subject's versions, whether this
        schema is one of them, the level, and only for a schema not registered yet, the
        compatibility check.

        Raises:
            RegistryError: The registry cannot answer (callers decide what that means).
        """
        subject = target.subject
        try:
            versions = tuple(registry.versions(subject))
        except SubjectNotFound:
            return Compatibility(subject)
        try:
            registered: SubjectVersion | None = registry.lookup(subject, target.submission)
        except (SchemaNotFound, SubjectNotFound):
            registered = None
        level = registry.compatibility(subject)
        if registered is not None:
            return Compatibility(subject, versions, level, registered)
        report = registry.check_compatibility(subject, target.submission)
        return Compatibility(subject, versions, level, None, report)


def compatibility_findings(target: CheckedDescriptor, standing: Compatibility) -> list[Finding]:
    """The findings of ``standing``: a note, or one error per incompatibility."""
    subject = standing.subject
    if standing.level is None:
        return [
            target.finding(
                "",
                Severity.INFO,
                "compatibility.new-subject",
                f"new product, nothing published yet under '{subject}'",
            )
        ]
    published = ", ".join(str(number) for number in standing.versions)
    under = f"'{subject}' (published versions {published}) under {standing.level.value}"
    if standing.report is None or standing.report.compatible:
        return [target.finding("", Severity.INFO, "compatibility.ok", f"compatible with {under}")]
    hint = incompatible_hint(target, standing.level)
    return [
        target.finding(
            problem.path,
            Severity.ERROR,
            INCOMPATIBLE,
            f"incompatible with {under}: {problem.reason} ({problem.rule})",
            hint,
            in_schema=True,
        )
        for problem in standing.report.incompatibilities
    ]


def incompatible_hint(target: CheckedDescriptor, level: CompatibilityLevel) -> str:
    """How to get past an incompatible schema: stay compatible, or the next major version."""
    descriptor = target.descriptor
    following = descriptor.version + 1
    return (
        f"keep the change compatible under {level.value} (e.g. give new fields a default, "
        f"do not remove or retype fields), or publish it as the next major version: set "
        f"`version: {following}` in '{target.descriptor_file}' (topic "
        f"{descriptor.name}.v{following}, side by side with v{descriptor.version})"
    )


def _parse(target: CheckedDescriptor, findings: list[Finding]) -> ParsedSchema | None:
    schema_ref = target.descriptor.schema_ref
    try:
        parsed = format_for(schema_ref.format.schema_type).parse(target.schema)
        require_object_root(parsed)
    except MissingDependency as exc:
        finding = target.finding(
            "schema.format", Severity.ERROR, "schema.format-unavailable", str(exc)
        )
    except InvalidSchema as exc:
        finding = target.finding(
            exc.location,
            Severity.ERROR,
            "schema.invalid",
            f"invalid {schema_ref.format.value} schema: {exc.reason}",
            in_schema=True,
        )
    except UnresolvedReference as exc:
        finding = target.finding(
            "",
            Severity.ERROR,
            "schema.unresolved-reference",
            f"imports '{exc.name}', which a product schema cannot do",
            "define the imported types in the product's own schema file",
            in_schema=True,
        )
    except SchemaError as exc:
        finding = target.finding("", Severity.ERROR, "schema.invalid", str(exc), in_schema=True)
    else:
        return parsed
    findings.append(finding)
    return None


def _key_findings(target: CheckedDescriptor, fields: dict[str, SchemaField]) -> Iterator[Finding]:
    key = target.descriptor.key
    at = ("key", "field")
    found = fields.get(key.field)
    if found is None:
        yield target.finding(
            "key.field",
            Severity.ERROR,
            "key.missing-field",
            f"key field '{key.field}' is not a field of the schema",
            _field_hint(key.field, fields),
            at=at,
        )
        return
    if "[]" in key.field or "{}" in key.field:
        yield target.finding(
            "key.field",
            Severity.ERROR,
            "key.type-mismatch",
            f"key field '{key.field}' is inside an array or map, so an event has many of it",
            "key on a field with one value per event",
            at=at,
        )
        return
    branches = found.type.split("|")
    nullable = "null" in branches
    types = [branch for branch in branches if branch != "null"]
    if nullable:
        state = target.descriptor.kind is EventKind.STATE
        yield target.finding(
            "key.field",
            Severity.ERROR if state else Severity.WARNING,
            "key.nullable",
            f"key field '{key.field}' may be null"
            + (
                ", but a state product needs a key on every event (compaction keeps the "
                "latest event per key)"
                if state
                else "; events without a key go to any partition, losing their order"
            ),
            "make the field required (not a union with null)",
            at=at,
        )
    if len(types) == 1 and types[0] in _KEY_SOURCES[key.type]:
        return
    shown = "|".join(types) or found.type
    suggested = _SUGGESTED_KEY_TYPE.get(types[0]) if len(types) == 1 else None
    hint = (
        f"declare `type: {suggested.value}` under `key`"
        if suggested is not None
        else "key on a field of a scalar type (string, integer, bytes)"
    )
    yield target.finding(
        "key.type",
        Severity.ERROR,
        "key.type-mismatch",
        f"key field '{key.field}' is {shown} in the schema, which is not a {key.type.value} key",
        hint,
        at=("key", "type"),
    )


def _classification_findings(
    target: CheckedDescriptor, fields: dict[str, SchemaField]
) -> Iterator[Finding]:
    for path in target.descriptor.classifications:
        if path in fields:
            continue
        location = (
            f"classifications.{path}"
            if _IDENTIFIER.fullmatch(path)
            else f'classifications["{path}"]'
        )
        yield target.finding(
            location,
            Severity.ERROR,
            "classification.unknown-field",
            f"'{path}' is not a field of the schema",
            _field_hint(path, fields),
            at=("classifications", path),
        )


def _policy_finding(target: CheckedDescriptor, finding: PolicyFinding) -> Finding:
    return target.finding(
        finding.field,
        Severity.ERROR if finding.is_error else Severity.WARNING,
        finding.rule,
        finding.message,
        finding.hint,
        at=tuple(finding.field.split(".")) if finding.field else (),
    )


def _field_hint(path: str, fields: dict[str, SchemaField]) -> str:
    if not fields:
        return "the schema has no fields: its root must be a record, object or message"
    close = difflib.get_close_matches(path, list(fields), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    listed = list(fields)
    more = f" (and {len(listed) - 12} more)" if len(listed) > 12 else ""
    return f"fields of the schema: {', '.join(listed[:12])}{more}"


__all__ = [
    "INCOMPATIBLE",
    "CheckedDescriptor",
    "Compatibility",
    "DescriptorCheck",
    "DescriptorChecker",
    "PolicyReviewer",
    "Positions",
    "compatibility_findings",
    "incompatible_hint",
]
