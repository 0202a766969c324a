"""Errors of the schema registry. The server maps them to Confluent's HTTP statuses and
``error_code`` values (40401, 40402, 40403, 409, 42201, ...) in its error table."""

from __future__ import annotations

from collections.abc import Sequence

from streammesh.errors import MeshError
from streammesh.schemas import Incompatibility


class RegistryError(MeshError):
    """Base of every schema-registry error."""


class SubjectNotFound(RegistryError):
    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(f"subject '{subject}' not found")


class VersionNotFound(RegistryError):
    def __init__(self, subject: str, version: int | str) -> None:
        self.subject = subject
        self.version = version
        super().__init__(f"version {version} of subject '{subject}' not found")


class SchemaNotFound(RegistryError):
    """No schema with that id, or the schema is not registered under the subject."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"schema not found: {detail}")


class SubjectSoftDeleted(RegistryError):
    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(
            f"subject '{subject}' was soft-deleted; pass permanent=true to delete it for good"
        )


class SubjectNotSoftDeleted(RegistryError):
    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(
            f"subject '{subject}' must be soft-deleted before it can be deleted permanently"
        )


class VersionSoftDeleted(RegistryError):
    def __init__(self, subject: str, version: int) -> None:
        self.subject = subject
        self.version = version
        super().__init__(f"version {version} of subject '{subject}' was soft-deleted")


class VersionNotSoftDeleted(RegistryError):
    def __init__(self, subject: str, version: int) -> None:
        self.subject = subject
        self.version = version
        super().__init__(
            f"version {version} of subject '{subject}' must be soft-deleted before it can be "
            "deleted permanently"
        )


class CompatibilityNotConfigured(RegistryError):
    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(f"subject '{subject}' has no compatibility level of its own")


class ModeNotConfigured(RegistryError):
    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(f"subject '{subject}' has no mode of its own")


class IncompatibleSchema(RegistryError):
    """A schema that breaks the subject's compatibility level; every problem is listed."""

    def __init__(
        self, subject: str, level: str, incompatibilities: Sequence[Incompatibility]
    ) -> None:
        self.subject = subject
        self.level = level
        self.incompatibilities = tuple(incompatibilities)
        listed = "; ".join(f"{i.path}: {i.reason} ({i.rule})" for i in self.incompatibilities)
        super().__init__(
            f"schema is incompatible with subject '{subject}' under {level}: {listed}; "
            "publish it as a new major version of the product instead"
        )


class InvalidSchemaSubmission(RegistryError):
    """The submitted schema does not parse (wraps the format's ``InvalidSchema``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class InvalidVersion(RegistryError):
    def __init__(self, version: object) -> None:
        self.version = version
        super().__init__(f"invalid version {version!r}: use a positive integer, 'latest' or -1")


class InvalidCompatibilityLevel(RegistryError):
    def __init__(self, level: object) -> None:
        self.level = level
        super().__init__(
            f"invalid compatibility level {level!r}: use NONE, BACKWARD, BACKWARD_TRANSITIVE, "
            "FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE"
        )


class InvalidMode(RegistryError):
    def __init__(self, mode: object) -> None:
        self.mode = mode
        super().__init__(f"invalid mode {mode!r}: use READWRITE or READONLY")


class OperationNotPermitted(RegistryError):
    """E.g. a write to a subject in READONLY mode."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SubjectInUse(OperationNotPermitted):
    """A delete that would break a data product that is not retired: the product's events are
    written and read with its subject's schemas (its producers look the subject up)."""

    def __init__(
        self,
        subject: str,
        version: int | None,
        product: str,
        status: str,
        *,
        permanent: bool,
    ) -> None:
        self.subject = subject
        self.version = version
        self.product = product
        self.status = status
        self.permanent = permanent
        how = "permanently delete" if permanent else "delete"
        what = f"subject '{subject}'" if version is None else f"version {version} of '{subject}'"
        super().__init__(
            f"cannot {how} {what}: data product '{product}' ({status}) writes and reads its "
            f"events with it; retire the product instead ('streammesh deprecate {product} "
            f"--reason TEXT --sunset YYYY-MM-DD', then 'streammesh retire {product}'), after "
            "which its subject can be deleted"
        )


class ReferenceExists(RegistryError):
    """A schema version other schemas reference cannot be deleted."""

    def __init__(self, subject: str, version: int, referenced_by: Sequence[int]) -> None:
        self.subject = subject
        self.version = version
        self.referenced_by = tuple(referenced_by)
        super().__init__(
            f"version {version} of subject '{subject}' is referenced by schema ids "
            f"{list(self.referenced_by)}; delete those first"
        )


class RemoteRegistryError(RegistryError):
    """Base of the errors only a registry reached over HTTP raises."""


class RegistryAuthenticationFailed(RemoteRegistryError):
    """The server refused the credentials (HTTP 401)."""

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(
            f"the registry at {url} refused the token ({detail}); pass a valid one with "
            "--token or $STREAMMESH_TOKEN (create one with 'streammesh token create')"
        )


OUTSIDE_DOMAIN_CODE = 40306
"""The ``error_code`` of a write to a subject of another domain than the caller's teams'."""


class RegistryPermissionDenied(RemoteRegistryError):
    """The token is valid but may not perform the operation (HTTP 403): its role may not
    (40301), or the subject belongs to a domain that is not one of its teams' (40306)."""

    def __init__(self, url: str, detail: str, *, code: int | None = None) -> None:
        self.url = url
        self.detail = detail
        self.code = code
        # The server's message already says who may write another domain's subject.
        hint = "" if code == OUTSIDE_DOMAIN_CODE else "; use a token with that role"
        super().__init__(f"the registry at {url} refused the operation: {detail}{hint}")


class RegistryUnreachable(RemoteRegistryError):
    """No answer (connection refused, timeout) or a server-side failure."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"cannot use the registry at {url}: {reason}; check that 'streammesh up' is "
            "running there and the URL is right"
        )
