"""The schema registry: subjects, versions, ids and compatibility, stored in the metadata store."""

from streammesh.registry.base import (
    DEFAULT_COMPATIBILITY,
    CompatibilityLevel,
    CompatibilityReport,
    RegistryMode,
    SchemaReference,
    SchemaRegistry,
    SchemaSubmission,
    StoredSchema,
    SubjectVersion,
    VersionSelector,
    subject_for,
)
from streammesh.registry.changes import ChangeKind, ChangeRecorder, RegistryChange

__all__ = [
    "DEFAULT_COMPATIBILITY",
    "ChangeKind",
    "ChangeRecorder",
    "CompatibilityLevel",
    "CompatibilityReport",
    "RegistryChange",
    "RegistryMode",
    "SchemaReference",
    "SchemaRegistry",
    "SchemaSubmission",
    "StoredSchema",
    "SubjectVersion",
    "VersionSelector",
    "subject_for",
]
