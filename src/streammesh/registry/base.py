"""The schema registry as a service: subjects, versions, global schema ids, compatibility.

Its operations mirror the Confluent Schema Registry API one to one, so the REST layer
(``server``) is a thin translation and ``confluent_kafka.schema_registry`` clients work
unchanged. Identity of a schema is its format's fingerprint (canonical form + references):
the same schema registered twice, under any subject, gets the same id; ids are never reused.
Versions of a subject count from 1. The mesh's default compatibility is FULL_TRANSITIVE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol

from streammesh.schemas import Incompatibility, SchemaType

Latest = Literal["latest"]
VersionSelector = int | Latest
"""A version number, or ``"latest"`` (the REST layer also maps ``-1`` to it)."""


class CompatibilityLevel(StrEnum):
    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"


DEFAULT_COMPATIBILITY = CompatibilityLevel.FULL_TRANSITIVE


class RegistryMode(StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A schema's import of another registered schema (Confluent's reference shape)."""

    name: str
    subject: str
    version: int


@dataclass(frozen=True, slots=True)
class SchemaSubmission:
    """A schema as a client sends it."""

    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[SchemaReference, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredSchema:
    """A schema by its global id. ``schema`` is the text as first registered (or its
    canonical form when registered with ``normalize``)."""

    id: int
    schema_type: SchemaType
    schema: str
    references: tuple[SchemaReference, ...] = ()


@dataclass(frozen=True, slots=True)
class SubjectVersion:
    """One version of a subject."""

    subject: str
    version: int
    id: int
    schema_type: SchemaType
    schema: str
    references: tuple[SchemaReference, ...] = ()
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class CompatibilityReport:
    """The outcome of checking a schema against a subject's versions."""

    compatible: bool
    incompatibilities: tuple[Incompatibility, ...] = field(default_factory=tuple)

    @property
    def messages(self) -> list[str]:
        """Readable lines, as Confluent's ``verbose=true`` returns them."""
        return [f"{i.path}: {i.reason} ({i.rule})" for i in self.incompatibilities]


class SchemaRegistry(Protocol):
    """Every operation of the registry. Errors are ``streammesh.registry.errors`` classes."""

    def schema_types(self) -> list[SchemaType]: ...

    def register(
        self, subject: str, submission: SchemaSubmission, *, normalize: bool = False
    ) -> SubjectVersion:
        """Register ``submission`` under ``subject`` (idempotent: an already registered
        schema returns its existing version). Raises ``IncompatibleSchema`` under the
        subject's compatibility level, ``InvalidSchemaSubmission``, ``OperationNotPermitted``
        in READONLY mode, ``SubjectNotFound``/``VersionNotFound`` for a bad reference."""
        ...

    def lookup(
        self,
        subject: str,
        submission: SchemaSubmission,
        *,
        normalize: bool = False,
        deleted: bool = False,
    ) -> SubjectVersion:
        """The version of ``subject`` holding this schema (``SubjectNotFound``,
        ``SchemaNotFound``)."""
        ...

    def schema(self, schema_id: int) -> StoredSchema:
        """A schema by id (``SchemaNotFound``)."""
        ...

    def subject_versions_of(
        self, schema_id: int, *, deleted: bool = False
    ) -> list[tuple[str, int]]:
        """Every (subject, version) that holds the schema ``schema_id``."""
        ...

    def subjects(self, *, prefix: str = "", deleted: bool = False) -> list[str]:
        """Subject names, sorted; soft-deleted ones only with ``deleted``."""
        ...

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        """A subject's version numbers, ascending (``SubjectNotFound``)."""
        ...

    def version(
        self, subject: str, version: VersionSelector, *, deleted: bool = False
    ) -> SubjectVersion:
        """One version (``SubjectNotFound``, ``VersionNotFound``, ``InvalidVersion``)."""
        ...

    def referenced_by(self, subject: str, version: VersionSelector) -> list[int]:
        """Ids of the schemas that reference this version."""
        ...

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Soft-delete (or, after a soft delete, permanently delete) every version; returns
        the version numbers deleted."""
        ...

    def delete_version(
        self, subject: str, version: VersionSelector, *, permanent: bool = False
    ) -> int:
        """Soft- or permanently delete one version; returns its number."""
        ...

    def check_compatibility(
        self,
        subject: str,
        submission: SchemaSubmission,
        *,
        version: VersionSelector | None = None,
        normalize: bool = False,
    ) -> CompatibilityReport:
        """Check against one version, or (``None``) against the versions the subject's level
        covers (the latest, or all of them for the transitive levels)."""
        ...

    def compatibility(
        self, subject: str | None = None, *, fallback: bool = True
    ) -> CompatibilityLevel:
        """The subject's level (``None``: the global one); with ``fallback`` a subject without
        its own level gets the global one, else ``CompatibilityNotConfigured``."""
        ...

    def set_compatibility(
        self, level: CompatibilityLevel, subject: str | None = None
    ) -> CompatibilityLevel: ...

    def delete_compatibility(self, subject: str | None = None) -> CompatibilityLevel:
        """Remove a subject's own level (returning it) or reset the global one to the default."""
        ...

    def mode(self, subject: str | None = None, *, fallback: bool = True) -> RegistryMode: ...

    def set_mode(self, mode: RegistryMode, subject: str | None = None) -> RegistryMode: ...

    def delete_mode(self, subject: str | None = None) -> RegistryMode: ...


def subject_for(topic: str, part: Literal["key", "value"] = "value") -> str:
    """Confluent's TopicNameStrategy: ``<topic>-value`` / ``<topic>-key``."""
    return f"{topic}-{part}"


__all__ = [
    "DEFAULT_COMPATIBILITY",
    "CompatibilityLevel",
    "CompatibilityReport",
    "Latest",
    "RegistryMode",
    "SchemaReference",
    "SchemaRegistry",
    "SchemaSubmission",
    "StoredSchema",
    "SubjectVersion",
    "VersionSelector",
    "subject_for",
]
