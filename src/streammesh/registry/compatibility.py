"""What a compatibility level means: which versions a new schema is checked against, and in
which direction (BACKWARD: the new schema reads the old data; FORWARD: the old schemas read
the new data; FULL: both; ``*_TRANSITIVE``: against every version, not just the latest)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from streammesh.registry.base import CompatibilityLevel
from streammesh.schemas import Incompatibility, ParsedSchema, format_for

_BACKWARD = {
    CompatibilityLevel.BACKWARD,
    CompatibilityLevel.BACKWARD_TRANSITIVE,
    CompatibilityLevel.FULL,
    CompatibilityLevel.FULL_TRANSITIVE,
}
_FORWARD = {
    CompatibilityLevel.FORWARD,
    CompatibilityLevel.FORWARD_TRANSITIVE,
    CompatibilityLevel.FULL,
    CompatibilityLevel.FULL_TRANSITIVE,
}
_TRANSITIVE = {
    CompatibilityLevel.BACKWARD_TRANSITIVE,
    CompatibilityLevel.FORWARD_TRANSITIVE,
    CompatibilityLevel.FULL_TRANSITIVE,
}


_Version = TypeVar("_Version")


@dataclass(frozen=True, slots=True)
class ExistingVersion:
    """A live version of the subject, parsed."""

    version: int
    schema: ParsedSchema


def versions_to_check(level: CompatibilityLevel, existing: Sequence[_Version]) -> list[_Version]:
    """The versions ``level`` checks a new schema against (``existing`` ascending; parsed
    or not, so that only these need parsing)."""
    if level is CompatibilityLevel.NONE or not existing:
        return []
    return list(existing) if level in _TRANSITIVE else [existing[-1]]


def incompatibilities(
    level: CompatibilityLevel, new: ParsedSchema, against: Sequence[ExistingVersion]
) -> list[Incompatibility]:
    """Every reason ``new`` breaks ``level`` against the versions ``against``, newest first;
    each reason names the version and direction it comes from."""
    found: list[Incompatibility] = []
    for old in sorted(against, key=lambda existing: -existing.version):
        if old.schema.schema_type is not new.schema_type:
            found.append(
                Incompatibility(
                    path="",
                    rule="SCHEMA_TYPE_CHANGED",
                    reason=f"the schema type changes from {old.schema.schema_type} to "
                    f"{new.schema_type} (version {old.version})",
                )
            )
            continue
        schema_format = format_for(new.schema_type)
        if level in _BACKWARD:
            for problem in schema_format.check_compatibility(reader=new, writer=old.schema):
                found.append(_against(problem, old.version, "the new schema cannot read it"))
        if level in _FORWARD:
            for problem in schema_format.check_compatibility(reader=old.schema, writer=new):
                found.append(_against(problem, old.version, "it cannot read the new schema"))
    return found


def _against(problem: Incompatibility, version: int, direction: str) -> Incompatibility:
    return Incompatibility(
        path=problem.path,
        rule=problem.rule,
        reason=f"{problem.reason} (version {version}: {direction})",
    )
