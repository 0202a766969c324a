"""Built-in rules about a descriptor's own settings: metadata, names, formats, sizes,
visibility, retention and regions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from streammesh.governance.context import RuleContext
from streammesh.governance.findings import RuleId
from streammesh.products import EventKind, PolicyFinding, RetentionMode, Visibility, format_duration


def _value_at(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def required_metadata(context: RuleContext) -> Iterator[PolicyFinding]:
    """``metadata.required``: each listed descriptor field has a non-empty value."""
    settings = context.policy.rules.metadata_required
    document = context.descriptor.model_dump(mode="json", by_alias=True)
    for path in settings.fields:
        if _value_at(document, path) in (None, "", [], {}):
            yield context.finding(
                RuleId.METADATA_REQUIRED,
                settings,
                path,
                f"descriptor field '{path}' is required by the policy and is not set",
                f"set `{path}` in the descriptor",
            )


def naming_convention(context: RuleContext) -> Iterator[PolicyFinding]:
    """``naming.convention``: the product name and topic match every policy pattern."""
    settings = context.policy.rules.naming_convention
    for what, value, patterns in (
        ("name", context.descriptor.name, settings.product),
        ("topic", context.descriptor.topic, settings.topic),
    ):
        for pattern in patterns:
            if re.fullmatch(pattern, value) is None:
                yield context.finding(
                    RuleId.NAMING_CONVENTION,
                    settings,
                    "name",
                    f"{what} '{value}' does not match the naming convention '{pattern}'",
                    f"rename the product so that its {what} matches '{pattern}'",
                )


def schema_formats(context: RuleContext) -> Iterator[PolicyFinding]:
    """``schema.formats``: the schema's format is one the policy allows."""
    settings = context.policy.rules.schema_formats
    used = context.descriptor.schema_ref.format
    if used not in settings.allowed:
        allowed = ", ".join(sorted(item.value for item in settings.allowed))
        yield context.finding(
            RuleId.SCHEMA_FORMATS,
            settings,
            "schema.format",
            f"schema format '{used.value}' is not allowed (allowed: {allowed})",
            f"write the schema in one of: {allowed}",
        )


def partition_sizes(context: RuleContext) -> Iterator[PolicyFinding]:
    """``partitions.sizes``: the product's T-shirt size is one the policy allows."""
    settings = context.policy.rules.partition_sizes
    size = context.descriptor.partitions
    if size not in settings.allowed:
        allowed = sorted(settings.allowed, key=lambda item: item.partitions)
        shown = ", ".join(f"{item.value}={item.partitions}" for item in allowed)
        yield context.finding(
            RuleId.PARTITION_SIZES,
            settings,
            "partitions",
            f"partition size '{size.value}' ({size.partitions}) is not allowed (allowed: {shown})",
            f"choose one of the allowed sizes: {shown}",
        )


def delta_cross_domain(context: RuleContext) -> Iterator[PolicyFinding]:
    """``events.delta-cross-domain``: a ``delta`` product is not offered to other domains."""
    settings = context.policy.rules.delta_cross_domain
    descriptor = context.descriptor
    if descriptor.kind is EventKind.DELTA and descriptor.visibility is Visibility.MESH:
        yield context.finding(
            RuleId.DELTA_CROSS_DOMAIN,
            settings,
            "visibility",
            "a 'delta' product is published to the whole mesh (visibility 'mesh'); other "
            "domains would need its full history to rebuild state",
            "set `visibility: domain` to keep it inside the domain, and publish a 'state' "
            "product for other domains",
        )


def retention_limits(context: RuleContext) -> Iterator[PolicyFinding]:
    """``retention.classification``: classified data is kept no longer than its limit."""
    settings = context.policy.rules.retention
    retention = context.descriptor.retention
    if retention.mode is RetentionMode.COMPACTED and settings.compacted_exempt:
        return
    for path, labels in context.classified():
        for label in sorted(labels):
            limit = settings.limits.get(label)
            if limit is None:
                continue
            if retention.window is not None and retention.window <= limit:
                continue
            shown = format_duration(limit)
            yield context.finding(
                RuleId.RETENTION_CLASSIFICATION,
                settings,
                path,
                f"field '{path}' is {label.value} data, kept at most {shown}, and the product "
                f"keeps '{retention}'",
                f"set `retention: recent:{shown}` (or shorter)"
                + (", or `retention: compacted`" if settings.compacted_exempt else ""),
            )


def allowed_regions(context: RuleContext) -> Iterator[PolicyFinding]:
    """``regions.allowed``: the product's regions are all allowed (and named)."""
    settings = context.policy.rules.regions
    if not settings.regions:
        return
    allowed = ", ".join(sorted(settings.regions))
    regions = context.descriptor.regions
    if not regions:
        yield context.finding(
            RuleId.REGIONS_ALLOWED,
            settings,
            "regions",
            f"the product names no region, so it may be stored anywhere (allowed: {allowed})",
            f"list the regions the data may be stored in, from: {allowed}",
        )
    for index, region in enumerate(regions):
        if region not in settings.regions:
            yield context.finding(
                RuleId.REGIONS_ALLOWED,
                settings,
                f"regions[{index}]",
                f"region '{region}' is not allowed (allowed: {allowed})",
                f"store the data in one of: {allowed}",
            )
