"""``HttpSchemaRegistry``: the ``SchemaRegistry`` of a remote streammesh server.

It speaks the Confluent Schema Registry REST API that ``streammesh up`` serves under
``/registry`` and turns every error answer back into the ``streammesh.registry.errors``
class the server raised (by its Confluent ``error_code``), so code written against
:class:`~streammesh.registry.sql.SqlSchemaRegistry` behaves the same against a server. What
only a remote registry can suffer gets its own errors, defined here::

    RegistryError
    └── RemoteRegistryError            the server could not be used as asked
        ├── RegistryAuthenticationFailed   401: the token is missing, unknown, revoked or expired
        ├── RegistryPermissionDenied       403: the token's role (or domain) may not do this
        └── RegistryUnreachable            no connection, a timeout, or a server fault (5xx)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from streammesh.registry.base import (
    CompatibilityLevel,
    CompatibilityReport,
    RegistryMode,
    SchemaReference,
    SchemaSubmission,
    StoredSchema,
    SubjectVersion,
    VersionSelector,
)
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
    SchemaNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from streammesh.schemas import Incompatibility, SchemaType

REGISTRY_PATH = "/registry"
_MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"


# --- error translation -------------------------------------------------------------------------

_SUBJECT = re.compile(r"subject '(?P<subject>[^']*)'")
_VERSION = re.compile(r"version (?P<version>\S+) of subject '")
_IDS = re.compile(r"schema ids \[(?P<ids>[\d, ]*)\]")
_LEVEL = re.compile(r" under (?P<level>[A-Z_]+): ")
_FINDING = re.compile(r"^(?P<path>.*?): (?P<reason>.*) \((?P<rule>[^()]*)\)$", re.DOTALL)


def parse_finding(message: str) -> Incompatibility:
    """One line of a verbose compatibility answer (``path: reason (rule)``) as an
    :class:`Incompatibility`; a line of another shape keeps its text as the reason."""
    found = _FINDING.match(message)
    if found is None:
        return Incompatibility(path="", rule="", reason=message)
    return Incompatibility(found["path"], found["rule"], found["reason"])


def _subject(message: str, known: str) -> str:
    # The subject the call named is exact; the message's quotes are only a fallback, since a
    # subject may contain quotes itself.
    if known:
        return known
    found = _SUBJECT.search(message)
    return found["subject"] if found else ""


def _number(raw: str | int | None) -> int:
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        return 0


class _Call:
    """What a request was about, to rebuild errors whose message does not say it."""

    def __init__(self, subject: str = "", version: VersionSelector | None = None) -> None:
        self.subject = subject
        self.version = version

    def subject_version(self, message: str) -> tuple[str, str]:
        found = _VERSION.search(message)
        if found:
            return _subject(message, self.subject), found["version"]
        return _subject(message, self.subject), str(self.version)


def _version_not_found(message: str, call: _Call) -> RegistryError:
    subject, version = call.subject_version(message)
    return VersionNotFound(subject, _number(version) if version.isdigit() else version)


def _version_soft_deleted(message: str, call: _Call) -> RegistryError:
    subject, version = call.subject_version(message)
    return VersionSoftDeleted(subject, _number(version))


def _version_not_soft_deleted(message: str, call: _Call) -> RegistryError:
    subject, version = call.subject_version(message)
    return VersionNotSoftDeleted(subject, _number(version))


def _reference_exists(message: str, call: _Call) -> RegistryError:
    subject, version = call.subject_version(message)
    found = _IDS.search(message)
    ids = [int(part) for part in found["ids"].split(",") if part.strip()] if found else []
    return ReferenceExists(subject, _number(version), ids)


def _incompatible(message: str, call: _Call) -> RegistryError:
    # The findings are in the message as one sentence; ``register`` fetches them as a list.
    level = _LEVEL.search(message)
    return IncompatibleSchema(_subject(message, call.subject), level["level"] if level else "", ())


def _after(prefix: str, message: str) -> str:
    return message.removeprefix(prefix)


_Factory = Callable[[str, _Call], RegistryError]

# Confluent error_code -> the streammesh error the server's error table mapped to it. The
# messages are rebuilt by the same classes, so they read exactly as on the server.
_ERRORS: Mapping[int, _Factory] = {
    40401: lambda m, c: SubjectNotFound(_subject(m, c.subject)),
    40402: _version_not_found,
    40403: lambda m, c: SchemaNotFound(_after("schema not found: ", m)),
    40404: lambda m, c: SubjectSoftDeleted(_subject(m, c.subject)),
    40405: lambda m, c: SubjectNotSoftDeleted(_subject(m, c.subject)),
    40406: _version_soft_deleted,
    40407: _version_not_soft_deleted,
    40408: lambda m, c: CompatibilityNotConfigured(_subject(m, c.subject)),
    40409: lambda m, c: ModeNotConfigured(_subject(m, c.subject)),
    409: _incompatible,
    42201: lambda m, c: InvalidSchemaSubmission(m),
    42202: lambda m, c: InvalidVersion(c.version),
    42203: lambda m, c: InvalidCompatibilityLevel(_after("invalid compatibility level ", m)),
    42204: lambda m, c: InvalidMode(_after("invalid mode ", m)),
    42205: lambda m, c: OperationNotPermitted(m),
    42206: _reference_exists,
}


# --- the client --------------------------------------------------------------------------------


def registry_url(base_url: str) -> str:
    """The registry's root URL for a server URL (``/registry`` is added unless present)."""
    url = base_url.rstrip("/")
    return url if url.endswith(REGISTRY_PATH) else url + REGISTRY_PATH


def _segment(value: str) -> str:
    return quote(value, safe="")


def _version_segment(version: VersionSelector) -> str:
    return "latest" if version == "latest" else str(version)


def _body(submission: SchemaSubmission) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": submission.schema}
    if submission.schema_type is not SchemaType.AVRO:
        body["schemaType"] = submission.schema_type.value
    if submission.references:
        body["references"] = [
            {"name": r.name, "subject": r.subject, "version": r.version}
            for r in submission.references
        ]
    return body


def _references(document: Mapping[str, Any]) -> tuple[SchemaReference, ...]:
    return tuple(
        SchemaReference(name=r["name"], subject=r["subject"], version=int(r["version"]))
        for r in document.get("references") or ()
    )


def _schema_type(document: Mapping[str, Any]) -> SchemaType:
    return SchemaType(document.get("schemaType") or SchemaType.AVRO.value)


def _subject_version(document: Mapping[str, Any], deleted: bool = False) -> SubjectVersion:
    return SubjectVersion(
        subject=document["subject"],
        version=int(document["version"]),
        id=int(document["id"]),
        schema_type=_schema_type(document),
        schema=document["schema"],
        references=_references(document),
        deleted=deleted,
    )


def _flag(value: bool) -> str:
    return "true" if value else "false"


class HttpSchemaRegistry:
    """The ``SchemaRegistry`` Protocol over a streammesh server's Confluent-compatible API.

    Args:
        base_url: the server's URL as ``streammesh up`` prints it (``http://host:port``);
            its registry under ``/registry`` is used. A URL ending in ``/registry`` works too.
        token: an API token, sent as ``Authorization: Bearer <token>``.
        timeout_s: seconds to wait for the server on each request.

    Example:
        >>> with HttpSchemaRegistry("http://127.0.0.1:8080", token) as registry:
        ...     registry.register("trades-value", SchemaSubmission(avro_text)).version
        1
    """

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 30) -> None:
        self.url = registry_url(base_url)
        headers = {"Accept": f"{_MEDIA_TYPE}, application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        """Close the connections to the server."""
        self._client.close()

    def __enter__(self) -> HttpSchemaRegistry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        call: _Call | None = None,
        params: Mapping[str, str] | None = None,
        json: object = None,
    ) -> Any:
        try:
            response = self._client.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise RegistryUnreachable(self.url, f"no answer in time ({exc})") from exc
        except httpx.TransportError as exc:
            raise RegistryUnreachable(self.url, f"cannot connect ({exc})") from exc
        if response.is_success:
            return response.json()
        raise self._error(response, call or _Call())

    def _error(self, response: httpx.Response, call: _Call) -> RegistryError:
        try:
            document = response.json()
        except ValueError:
            document = None
        if isinstance(document, dict):
            message = str(document.get("message", ""))
            code = document.get("error_code")
        else:
            message, code = response.text.strip(), None
        status = response.status_code
        if status == 401:
            return RegistryAuthenticationFailed(self.url, message.split(";")[0] or "401")
        if status == 403:
            code_403 = code if isinstance(code, int) else None
            return RegistryPermissionDenied(self.url, message or "403 forbidden", code=code_403)
        factory = _ERRORS.get(code) if isinstance(code, int) else None
        if factory is not None:
            return factory(message, call)
        if status >= 500:
            return RegistryUnreachable(self.url, f"the server failed: {status} {message}")
        if status == 404:
            # Not the registry's own 404 (those carry an error_code): a wrong URL.
            return RegistryUnreachable(self.url, f"no streammesh registry there ({message})")
        return OperationNotPermitted(f"the registry refused the request: {status} {message}")

    # -- SchemaRegistry ---------------------------------------------------------------------

    def schema_types(self) -> list[SchemaType]:
        return [SchemaType(name) for name in self._request("GET", "/schemas/types")]

    def register(
        self, subject: str, submission: SchemaSubmission, *, normalize: bool = False
    ) -> SubjectVersion:
        call = _Call(subject)
        path = f"/subjects/{_segment(subject)}/versions"
        params = {"normalize": _flag(normalize)}
        try:
            self._request("POST", path, call=call, params=params, json=_body(submission))
        except IncompatibleSchema as exc:
            raise self._with_findings(exc, submission, normalize) from None
        # Confluent's register answers only the id; the lookup gives the version.
        return self.lookup(subject, submission, normalize=normalize)

    def _with_findings(
        self, refusal: IncompatibleSchema, submission: SchemaSubmission, normalize: bool
    ) -> IncompatibleSchema:
        # The refusal lists the problems in one sentence; the verbose check lists them one per
        # line, which parses back without guessing where one reason ends.
        subject = refusal.subject
        report = self.check_compatibility(subject, submission, normalize=normalize)
        level = refusal.level or self.compatibility(subject).value
        return IncompatibleSchema(subject, level, report.incompatibilities)

    def lookup(
        self,
        subject: str,
        submission: SchemaSubmission,
        *,
        normalize: bool = False,
        deleted: bool = False,
    ) -> SubjectVersion:
        document = self._request(
            "POST",
            f"/subjects/{_segment(subject)}",
            call=_Call(subject),
            params={"normalize": _flag(normalize), "deleted": _flag(deleted)},
            json=_body(submission),
        )
        return _subject_version(document)

    def schema(self, schema_id: int) -> StoredSchema:
        document = self._request("GET", f"/schemas/ids/{schema_id}")
        return StoredSchema(
            id=schema_id,
            schema_type=_schema_type(document),
            schema=document["schema"],
            references=_references(document),
        )

    def subject_versions_of(
        self, schema_id: int, *, deleted: bool = False
    ) -> list[tuple[str, int]]:
        rows = self._request(
            "GET", f"/schemas/ids/{schema_id}/versions", params={"deleted": _flag(deleted)}
        )
        return [(row["subject"], int(row["version"])) for row in rows]

    def subjects(self, *, prefix: str = "", deleted: bool = False) -> list[str]:
        names = self._request(
            "GET", "/subjects", params={"subjectPrefix": prefix, "deleted": _flag(deleted)}
        )
        return [str(name) for name in names]

    def versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        numbers = self._request(
            "GET",
            f"/subjects/{_segment(subject)}/versions",
            call=_Call(subject),
            params={"deleted": _flag(deleted)},
        )
        return [int(number) for number in numbers]

    def version(
        self, subject: str, version: VersionSelector, *, deleted: bool = False
    ) -> SubjectVersion:
        found = _subject_version(
            self._request(
                "GET",
                f"/subjects/{_segment(subject)}/versions/{_version_segment(version)}",
                call=_Call(subject, version),
                params={"deleted": _flag(deleted)},
            )
        )
        if not deleted:
            return found
        # The API does not say whether a version is soft-deleted: it is if it is not live.
        try:
            live = found.version in self.versions(subject)
        except SubjectNotFound:
            live = False
        return found if live else replace(found, deleted=True)

    def referenced_by(self, subject: str, version: VersionSelector) -> list[int]:
        ids = self._request(
            "GET",
            f"/subjects/{_segment(subject)}/versions/{_version_segment(version)}/referencedby",
            call=_Call(subject, version),
        )
        return [int(i) for i in ids]

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        numbers = self._request(
            "DELETE",
            f"/subjects/{_segment(subject)}",
            call=_Call(subject),
            params={"permanent": _flag(permanent)},
        )
        return [int(n) for n in numbers]

    def delete_version(
        self, subject: str, version: VersionSelector, *, permanent: bool = False
    ) -> int:
        return int(
            self._request(
                "DELETE",
                f"/subjects/{_segment(subject)}/versions/{_version_segment(version)}",
                call=_Call(subject, version),
                params={"permanent": _flag(permanent)},
            )
        )

    def check_compatibility(
        self,
        subject: str,
        submission: SchemaSubmission,
        *,
        version: VersionSelector | None = None,
        normalize: bool = False,
    ) -> CompatibilityReport:
        path = f"/compatibility/subjects/{_segment(subject)}/versions"
        if version is not None:
            path += f"/{_version_segment(version)}"
        document = self._request(
            "POST",
            path,
            call=_Call(subject, version),
            params={"normalize": _flag(normalize), "verbose": "true"},
            json=_body(submission),
        )
        findings = tuple(parse_finding(str(m)) for m in document.get("messages") or ())
        return CompatibilityReport(bool(document["is_compatible"]), findings)

    def compatibility(
        self, subject: str | None = None, *, fallback: bool = True
    ) -> CompatibilityLevel:
        if subject is None:
            document = self._request("GET", "/config")
        else:
            document = self._request(
                "GET",
                f"/config/{_segment(subject)}",
                call=_Call(subject),
                params={"defaultToGlobal": _flag(fallback)},
            )
        return CompatibilityLevel(document["compatibilityLevel"])

    def set_compatibility(
        self, level: CompatibilityLevel, subject: str | None = None
    ) -> CompatibilityLevel:
        path = "/config" if subject is None else f"/config/{_segment(subject)}"
        document = self._request(
            "PUT", path, call=_Call(subject or ""), json={"compatibility": level.value}
        )
        return CompatibilityLevel(document["compatibility"])

    def delete_compatibility(self, subject: str | None = None) -> CompatibilityLevel:
        path = "/config" if subject is None else f"/config/{_segment(subject)}"
        document = self._request("DELETE", path, call=_Call(subject or ""))
        return CompatibilityLevel(document["compatibilityLevel"])

    def mode(self, subject: str | None = None, *, fallback: bool = True) -> RegistryMode:
        if subject is None:
            document = self._request("GET", "/mode")
        else:
            document = self._request(
                "GET",
                f"/mode/{_segment(subject)}",
                call=_Call(subject),
                params={"defaultToGlobal": _flag(fallback)},
            )
        return RegistryMode(document["mode"])

    def set_mode(self, mode: RegistryMode, subject: str | None = None) -> RegistryMode:
        path = "/mode" if subject is None else f"/mode/{_segment(subject)}"
        document = self._request("PUT", path, call=_Call(subject or ""), json={"mode": mode.value})
        return RegistryMode(document["mode"])

    def delete_mode(self, subject: str | None = None) -> RegistryMode:
        path = "/mode" if subject is None else f"/mode/{_segment(subject)}"
        document = self._request("DELETE", path, call=_Call(subject or ""))
        return RegistryMode(document["mode"])


__all__ = [
    "HttpSchemaRegistry",
    "parse_finding",
    "registry_url",
]
