"""A governance policy as code: the rules of ``governance.yaml`` and their parameters.

A policy file has one key, ``rules``, mapping built-in rule ids to their settings; every
rule takes ``enabled`` and ``severity`` besides its own parameters, and a rule left out keeps
its :data:`BASELINE` settings. The same shape serves the global policy (set by the governance
group) and a domain's policy (which may only add to or tighten the global one; see
:mod:`streammesh.governance.merging`)::

    rules:
      metadata.required: {fields: [tags, sla.freshness, links.runbook]}
      naming.convention: {product: '^[a-z]+\\.[a-z]+$'}
      schema.formats: {allowed: [avro]}
      schema.compatibility: {minimum: FULL}
      schema.field-docs: {severity: error}
      retention.classification: {limits: {pii: 30d, health: 7d}}
      regions.allowed: {regions: [eu-west-1, eu-central-1]}
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)

from streammesh.bounded_yaml import load_yaml
from streammesh.governance.errors import PolicyInvalid
from streammesh.products import (
    Classification,
    FindingSeverity,
    PartitionSize,
    SchemaFormatName,
    parse_duration,
)
from streammesh.registry import CompatibilityLevel

DEFAULT_PERSONAL_DATA_PATTERNS = (
    r"e[-_]?mail",
    r"phone",
    r"mobile",
    r"ssn",
    r"social[-_ ]?security",
    r"passport",
    r"address",
    r"(^|[_\s.])(first|last|full|given|family|middle|maiden|user)[-_ ]?name",
    r"^name$",
    r"(^|[_\s.])ip([-_ ]?addr(ess)?)?($|[_\s.])",
    r"ip[-_ ]?address",
    r"birth",
    r"\bdob\b|(^|_)dob($|_)",
    r"postcode|postal[-_ ]?code|zip[-_ ]?code",
    r"iban|credit[-_ ]?card|card[-_ ]?number",
    r"national[-_ ]?id|tax[-_ ]?id",
)
"""What marks a field as personal data when its name or doc matches (case-insensitive)."""


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"'{value}' is not a regular expression: {exc}") from exc
    return value


Pattern = Annotated[str, Field(min_length=1)]
# Sets are written sorted, so a stored or printed policy does not change from run to run.
_SORTED = PlainSerializer(lambda values: sorted(str(value) for value in values))
FormatSet = Annotated[frozenset[SchemaFormatName], _SORTED]
ClassificationSet = Annotated[frozenset[Classification], _SORTED]
SizeSet = Annotated[frozenset[PartitionSize], _SORTED]
RegionSet = Annotated[frozenset[str], _SORTED]


class RuleSettings(BaseModel):
    """What every rule takes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    severity: FindingSeverity = FindingSeverity.ERROR


class RequiredMetadata(RuleSettings):
    """``metadata.required``: descriptor fields (dotted paths) that must have a value."""

    fields: tuple[str, ...] = ()


class NamingConvention(RuleSettings):
    """``naming.convention``: regular expressions product names and topics must match."""

    product: tuple[Pattern, ...] = ()
    topic: tuple[Pattern, ...] = ()

    @field_validator("product", "topic", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("product", "topic")
    @classmethod
    def _compiles(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_regex(value) for value in values)


class SchemaFormats(RuleSettings):
    """``schema.formats``: the schema formats products may use."""

    allowed: FormatSet = frozenset(SchemaFormatName)


class MinimumCompatibility(RuleSettings):
    """``schema.compatibility``: the weakest compatibility mode of a product's value subject."""

    minimum: CompatibilityLevel = CompatibilityLevel.BACKWARD


class FieldDocs(RuleSettings):
    """``schema.field-docs``: every schema field has a non-empty doc."""


class PersonalData(RuleSettings):
    """``fields.personal-data``: fields that look like personal data must be classified."""

    patterns: tuple[Pattern, ...] = DEFAULT_PERSONAL_DATA_PATTERNS

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_regex(value) for value in values)


class ProtectedFields(RuleSettings):
    """``fields.protected``: fields with these classifications need an access approval and
    field-level encryption (so they cannot be the event key, which stays in clear)."""

    # Every label: each names a sensitivity (a public field is just not classified).
    classifications: ClassificationSet = frozenset(Classification)


class UpstreamSla(RuleSettings):
    """``sla.upstream-tier``: no better SLA tier than any upstream product's."""


class PartitionSizes(RuleSettings):
    """``partitions.sizes``: the T-shirt sizes products may use."""

    allowed: SizeSet = frozenset(PartitionSize)


class CoKeyedPartitions(RuleSettings):
    """``partitions.co-keyed``: products keyed on the same entity have the same partitions."""


class DeltaCrossDomain(RuleSettings):
    """``events.delta-cross-domain``: ``delta`` products stay inside their domain."""


class RetentionLimits(RuleSettings):
    """``retention.classification``: the longest history kept of each classification."""

    limits: dict[Classification, timedelta] = Field(default_factory=dict)
    compacted_exempt: bool = True
    """Whether a compacted product (latest event per key, so an entity's data goes when it
    does) is exempt from the limits."""

    @field_validator("limits", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                # Stored policies hold ISO 8601 durations (P30D); files hold 30d.
                key: parse_duration(item)
                if isinstance(item, str) and not item.startswith("P")
                else item
                for key, item in value.items()
            }
        return value


class AllowedRegions(RuleSettings):
    """``regions.allowed``: where data may be stored; empty allows every region."""

    regions: RegionSet = frozenset()


class Rules(BaseModel):
    """The settings of every built-in rule."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    metadata_required: RequiredMetadata = Field(
        default_factory=RequiredMetadata, alias="metadata.required"
    )
    naming_convention: NamingConvention = Field(
        default_factory=NamingConvention, alias="naming.convention"
    )
    schema_formats: SchemaFormats = Field(default_factory=SchemaFormats, alias="schema.formats")
    schema_compatibility: MinimumCompatibility = Field(
        default_factory=MinimumCompatibility, alias="schema.compatibility"
    )
    schema_field_docs: FieldDocs = Field(
        default_factory=lambda: FieldDocs(enabled=False),
        alias="schema.field-docs",
    )
    personal_data: PersonalData = Field(default_factory=PersonalData, alias="fields.personal-data")
    protected_fields: ProtectedFields = Field(
        default_factory=ProtectedFields, alias="fields.protected"
    )
    sla_upstream: UpstreamSla = Field(default_factory=UpstreamSla, alias="sla.upstream-tier")
    partition_sizes: PartitionSizes = Field(
        default_factory=PartitionSizes, alias="partitions.sizes"
    )
    co_keyed: CoKeyedPartitions = Field(
        default_factory=CoKeyedPartitions, alias="partitions.co-keyed"
    )
    delta_cross_domain: DeltaCrossDomain = Field(
        default_factory=DeltaCrossDomain, alias="events.delta-cross-domain"
    )
    retention: RetentionLimits = Field(
        default_factory=lambda: RetentionLimits(limits={Classification.PII: timedelta(days=30)}),
        alias="retention.classification",
    )
    regions: AllowedRegions = Field(default_factory=AllowedRegions, alias="regions.allowed")


class Policy(BaseModel):
    """A governance policy: the settings of every rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: Rules = Field(default_factory=Rules)

    def document(self) -> dict[str, Any]:
        """The policy as JSON (rule ids as keys, durations as seconds)."""
        return self.model_dump(mode="json", by_alias=True)

    def explicit(self) -> dict[str, Any]:
        """Only the settings the file gave (what is stored, and what a domain set)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


BASELINE = Policy()
"""The built-in policy in force until the governance group sets one (see docs/governance.md)."""


def parse_policy(text: str, *, origin: str = "policy") -> Policy:
    """The policy written in ``text`` (YAML or JSON).

    Raises:
        PolicyInvalid: It is not YAML, or breaks the policy's shape; every problem is listed.
    """
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise PolicyInvalid(origin, [f"not YAML: {exc}"]) from exc
    return policy_from(data if data is not None else {}, origin=origin)


def policy_from(data: Any, *, origin: str = "policy") -> Policy:
    """The policy of a parsed document (see :func:`parse_policy`)."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise PolicyInvalid(origin, problems) from exc
