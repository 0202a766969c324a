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

__all__ = [
    "DEFAULT_COMPATIBILITY",
    "CompatibilityLevel",
    "CompatibilityReport",
    "RegistryMode",
    "SchemaReference",
    "SchemaRegistry",
    "SchemaSubmission",
    "StoredSchema",
    "SubjectVersion",
    "VersionSelector",
    "subject_for",
]
