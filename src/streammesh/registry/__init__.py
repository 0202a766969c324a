"""The schema registry: subjects, versions, ids and compatibility, stored in the metadata store.

``SqlSchemaRegistry``, ``HttpSchemaRegistry`` and ``AuditRecorder`` are loaded on first use: the
descriptor checker, the serializers and the command line import this package for its types and
errors, and must not pay for SQLAlchemy's ORM or httpx each time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streammesh.lazy_exports import loaded_on_first_use
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
from streammesh.registry.errors import (
    CompatibilityNotConfigured,
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidMode,
    InvalidSchemaSubmission,
    InvalidVersion,
    ModeNotConfigured,
    OperationNotPermitted,
    ReferenceExists,
    RegistryAuthenticationFailed,
    RegistryError,
    RegistryPermissionDenied,
    RegistryUnreachable,
    RemoteRegistryError,
    SchemaNotFound,
    SubjectInUse,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)

if TYPE_CHECKING:
    from streammesh.registry.audited import AuditRecorder
    from streammesh.registry.http import HttpSchemaRegistry
    from streammesh.registry.sql import SqlSchemaRegistry

_LOADED_ON_FIRST_USE = {
    "AuditRecorder": "streammesh.registry.audited",
    "HttpSchemaRegistry": "streammesh.registry.http",
    "SqlSchemaRegistry": "streammesh.registry.sql",
}


__getattr__ = loaded_on_first_use(__name__, _LOADED_ON_FIRST_USE)


__all__ = [
    "DEFAULT_COMPATIBILITY",
    "AuditRecorder",
    "ChangeKind",
    "ChangeRecorder",
    "CompatibilityLevel",
    "CompatibilityNotConfigured",
    "CompatibilityReport",
    "HttpSchemaRegistry",
    "IncompatibleSchema",
    "InvalidCompatibilityLevel",
    "InvalidMode",
    "InvalidSchemaSubmission",
    "InvalidVersion",
    "ModeNotConfigured",
    "OperationNotPermitted",
    "ReferenceExists",
    "RegistryAuthenticationFailed",
    "RegistryChange",
    "RegistryError",
    "RegistryMode",
    "RegistryPermissionDenied",
    "RegistryUnreachable",
    "RemoteRegistryError",
    "SchemaNotFound",
    "SchemaReference",
    "SchemaRegistry",
    "SchemaSubmission",
    "SqlSchemaRegistry",
    "StoredSchema",
    "SubjectInUse",
    "SubjectNotFound",
    "SubjectNotSoftDeleted",
    "SubjectSoftDeleted",
    "SubjectVersion",
    "VersionNotFound",
    "VersionNotSoftDeleted",
    "VersionSelector",
    "VersionSoftDeleted",
    "subject_for",
]
