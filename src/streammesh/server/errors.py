"""The server's error table: every streammesh error class -> HTTP status and ``error_code``.

This is one of the two places where errors meet the outside (the other is the CLI's
``main()``). Under ``/registry`` the body is Confluent's shape, ``{"error_code": 40401,
"message": "..."}``, because ``confluent_kafka.schema_registry`` clients read exactly that;
the rest of the server (``/api/v1``) answers ``{"error": {"code": "<kind>", "message": "...",
"details": [...]}}``, ``details`` itemising what was wrong (plan problems, descriptor fields,
refused events, request fields) where the error carries such a list. An unexpected
exception is logged with its traceback and answered with 500/50001 and a message that names
nothing internal but a reference id, which the log line carries too, so a user's report leads
to the traceback. Under ``/ui`` errors answer the web UI's error page instead of JSON (same
status; an unexpected one shows only the reference id).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from streammesh.access import (
    AccessDenied,
    AccessRefused,
    AccessRequestExists,
    AccessRequestNotFound,
    AccessStateError,
    InvalidAccessRequest,
    NotAllowedToDecide,
    OutsideDomain,
)
from streammesh.audit import InvalidAuditQuery
from streammesh.catalog import InvalidSearch, ProductNotInCatalog
from streammesh.connect import (
    ConnectError,
    ConnectorConfigInvalid,
    ConnectorExists,
    DefinitionInvalid,
    PathNotAllowed,
    SecretInClear,
    UnknownConnector,
)
from streammesh.control import (
    ConcurrentChange,
    ConsumerGroupTaken,
    InvalidProductSource,
    NotAcceptingConsumers,
    PlanRefused,
    ProductNotFound,
    TransferNotOffered,
)
from streammesh.dataplane import InvalidEvent, UnreadableEvent
from streammesh.errors import MeshError
from streammesh.governance import (
    InvalidProposal,
    PolicyInvalid,
    PolicyLoosened,
    ProposalNotFound,
    ProposalTransitionRefused,
)
from streammesh.identity import (
    AccountExists,
    AccountNotFound,
    InvalidAccount,
    InvalidTokenRequest,
    TokenChangeRefused,
    TokenNotFound,
)
from streammesh.log import (
    DeliveryFailed,
    InvalidRecord,
    LogCorrupt,
    LogDiskFull,
    LogTimeout,
    LogUnavailable,
    RecordTooLarge,
    TopicNotFound,
)
from streammesh.notify import (
    DeliveryNotFound,
    InboxItemNotFound,
    InvalidIncident,
    InvalidSubscription,
    SubscriptionNotFound,
)
from streammesh.observe import InvalidGroup, InvalidOffsets, TooManyWaits
from streammesh.privacy import (
    InvalidEntityKey,
    KmsError,
    MasterKeyMissing,
    NoPlaceholder,
    TokenNotGranted,
    UndecryptableField,
    UnknownToken,
    UnsupportedFieldPath,
    UnsupportedFieldValue,
)
from streammesh.products import DescriptorInvalid, LifecycleError
from streammesh.registry import (
    CompatibilityNotConfigured,
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidMode,
    InvalidSchemaSubmission,
    InvalidVersion,
    ModeNotConfigured,
    OperationNotPermitted,
    ReferenceExists,
    SchemaNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from streammesh.schemas import InvalidSchema, UnresolvedReference
from streammesh.store import StoreCorrupt, StoreDiskFull, StoreError, StoreUnavailable
from streammesh.streams import (
    ApplicationError,
    ApplicationRunning,
    DslError,
    EngineError,
    ExpressionError,
    FormatError,
    FunctionError,
    GrantMissing,
    InvalidApplicationName,
    OutputProductInvalid,
    PlanError,
    SqlError,
    StateError,
    StreamsError,
    UnknownApplication,
    UnknownSource,
)

REGISTRY_PREFIX = "/registry"
REGISTRY_MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
CONNECT_PREFIX = "/connect"
UI_PREFIX = "/ui"
"""The web UI's pages: an invalid request there answers a page (see ``ErrorPage``)."""

ErrorPage = Callable[[Request, int, str, str | None], Response]
"""Draws the UI's error page: (request, status, message, reference id of a logged failure)."""
"""Draws the web UI's error page for a request, its HTTP status and the message."""
_ERROR_PAGE = "streammesh_ui_error_page"
"""The Kafka Connect-shaped API: its errors are ``{"error_code": <HTTP status>, "message"}``."""

_log = logging.getLogger("streammesh.server")


class ServerError(MeshError):
    """Base of errors the HTTP layer raises itself (credentials and permissions)."""


class AuthenticationRequired(ServerError):
    """No credentials, or a token that is unknown, revoked or expired."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"{reason}; send 'Authorization: Bearer <token>' or HTTP basic auth with the token "
            "as the password (create one with 'streammesh token create')"
        )


class PermissionDenied(ServerError):
    """A valid token whose role may not perform the operation."""

    def __init__(self, principal: str, role: str, allowed: Sequence[str]) -> None:
        self.principal = principal
        self.role = role
        self.allowed = tuple(allowed)
        super().__init__(
            f"'{principal}' has role '{role}', which may not do this; it needs one of "
            f"{', '.join(repr(str(r)) for r in self.allowed)}"
        )


class TooManyFailedSignIns(ServerError):
    """Too many failed sign-ins from one client address lately (HTTP 429, ``Retry-After``)."""

    def __init__(self, address: str, retry_after_s: int) -> None:
        self.address = address
        self.retry_after_s = retry_after_s
        super().__init__(
            f"too many failed sign-ins from {address}; try again in {retry_after_s} s "
            "with a valid token"
        )


class RequestTooLarge(ServerError):
    """A request body over the size limit of its route family (HTTP 413)."""

    def __init__(self, family: str, limit: int, size: int | None = None) -> None:
        self.family = family
        self.limit = limit
        self.size = size
        sent = f"{size} bytes" if size is not None else "more"
        super().__init__(
            f"the request body is {sent}, over the {limit} bytes allowed for {family} "
            f"requests; send less (the limit is 'server.request_limits.{family}' in mesh.yaml)"
        )


class RequestTooDeep(ServerError):
    """A JSON request body nested deeper than allowed (HTTP 422)."""

    def __init__(self, limit: int, offset: int) -> None:
        self.limit = limit
        self.offset = offset
        super().__init__(
            f"the JSON body is nested deeper than {limit} levels (at byte {offset}); "
            "flatten it (the limit is 'server.request_limits.json_depth' in mesh.yaml)"
        )


class InvalidIdempotencyKey(ServerError):
    """An ``Idempotency-Key`` header that cannot be a key (HTTP 400)."""

    def __init__(self, key: str, limit: int) -> None:
        self.key = key
        self.limit = limit
        super().__init__(
            f"Idempotency-Key '{key}' is not a key: give 1 to {limit} visible ASCII "
            "characters (a UUID per logical request is a good one)"
        )


class IdempotencyKeyReused(ServerError):
    """An ``Idempotency-Key`` sent again with another request: another product or other
    events than the request that used it first (HTTP 422); nothing was written."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"Idempotency-Key '{key}' was used for another request (another product or other "
            "events) in the last 24 hours; nothing was written. Use a new key for a new request"
        )


class IdempotencyKeyInProgress(ServerError):
    """A request with the same ``Idempotency-Key`` is still being written (HTTP 409 with
    ``Retry-After``); nothing was written by this one."""

    def __init__(self, key: str, retry_after_s: int) -> None:
        self.key = key
        self.retry_after_s = retry_after_s
        super().__init__(
            f"a request with Idempotency-Key '{key}' is still being written; nothing was "
            f"written by this one. Retry in {retry_after_s} s with the same key to get its answer"
        )


class OperatorApplication(ServerError):
    """A caller that does not act mesh-wide deploying or changing a stream application that
    runs as the mesh's operator (no service account, or one without a team): the operator reads
    every product in clear, so only governance and platform admins may (HTTP 403)."""

    def __init__(self, principal: str, action: str, application: str) -> None:
        self.principal = principal
        self.action = action
        self.application = application
        super().__init__(
            f"'{principal}' may not {action} stream application '{application}': it runs as "
            "the mesh's operator (no service account of a team), which reads every product in "
            "clear; only governance and platform admins may. Give it a service account of "
            "your team as its principal"
        )


class ConnectorAccountWithoutTeam(ServerError):
    """A caller that does not act mesh-wide creating or changing a connector whose principal
    is an account without a team (or unknown): no team's scope covers it, so only governance
    and platform admins may (HTTP 403)."""

    def __init__(self, principal: str, action: str, connector: str, account: str) -> None:
        self.principal = principal
        self.action = action
        self.connector = connector
        self.account = account
        super().__init__(
            f"'{principal}' may not {action} connector '{connector}': it runs as '{account}', "
            "which is no service account of a team; only governance and platform admins may. "
            "Give it a service account of your team as its principal"
        )


class ServiceNotConfigured(ServerError):
    """The server was built without a service a route needs (e.g. no event log)."""

    def __init__(self, service: str) -> None:
        self.service = service
        super().__init__(
            f"this server has no {service}; start it with 'streammesh up' over a mesh directory"
        )


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """How one error class looks from the outside."""

    status: int
    code: int
    kind: str


# Exact classes, looked up along the MRO so a subclass inherits its parent's row.
ERROR_TABLE: dict[type[BaseException], ErrorCode] = {
    AuthenticationRequired: ErrorCode(401, 40101, "unauthenticated"),
    PermissionDenied: ErrorCode(403, 40301, "forbidden"),
    RequestTooLarge: ErrorCode(413, 41301, "request-too-large"),
    RequestTooDeep: ErrorCode(422, 42201, "request-too-deep"),
    TooManyFailedSignIns: ErrorCode(429, 42901, "too-many-failed-sign-ins"),
    TokenChangeRefused: ErrorCode(403, 40310, "token-change-refused"),
    SubjectNotFound: ErrorCode(404, 40401, "subject-not-found"),
    VersionNotFound: ErrorCode(404, 40402, "version-not-found"),
    SchemaNotFound: ErrorCode(404, 40403, "schema-not-found"),
    SubjectSoftDeleted: ErrorCode(404, 40404, "subject-soft-deleted"),
    SubjectNotSoftDeleted: ErrorCode(404, 40405, "subject-not-soft-deleted"),
    VersionSoftDeleted: ErrorCode(404, 40406, "version-soft-deleted"),
    VersionNotSoftDeleted: ErrorCode(404, 40407, "version-not-soft-deleted"),
    CompatibilityNotConfigured: ErrorCode(404, 40408, "compatibility-not-configured"),
    ModeNotConfigured: ErrorCode(404, 40409, "mode-not-configured"),
    IncompatibleSchema: ErrorCode(409, 409, "incompatible-schema"),
    InvalidSchemaSubmission: ErrorCode(422, 42201, "invalid-schema"),
    # The registry should wrap these, but a format error reaching the edge is still the
    # client's invalid schema, not a server fault.
    InvalidSchema: ErrorCode(422, 42201, "invalid-schema"),
    UnresolvedReference: ErrorCode(422, 42201, "invalid-schema"),
    InvalidVersion: ErrorCode(422, 42202, "invalid-version"),
    InvalidCompatibilityLevel: ErrorCode(422, 42203, "invalid-compatibility-level"),
    InvalidMode: ErrorCode(422, 42204, "invalid-mode"),
    OperationNotPermitted: ErrorCode(422, 42205, "operation-not-permitted"),
    ReferenceExists: ErrorCode(422, 42206, "reference-exists"),
    TokenNotFound: ErrorCode(404, 404, "token-not-found"),
    InvalidTokenRequest: ErrorCode(422, 422, "invalid-token-request"),
    RequestValidationError: ErrorCode(422, 422, "invalid-request"),
    # Confluent's 50001 is "error in the backend data store"; 503 tells clients to retry.
    StoreUnavailable: ErrorCode(503, 50001, "store-unavailable"),
    # A damaged file or a full disk: the mesh cannot serve until an operator acts.
    StoreCorrupt: ErrorCode(503, 50001, "store-corrupt"),
    StoreDiskFull: ErrorCode(503, 50001, "disk-full"),
    StoreError: ErrorCode(500, 50001, "store-error"),
    ServiceNotConfigured: ErrorCode(503, 503, "service-not-configured"),
    # The control plane and data plane behind /api/v1.
    ProductNotFound: ErrorCode(404, 404, "product-not-found"),
    ProductNotInCatalog: ErrorCode(404, 404, "product-not-found"),
    PlanRefused: ErrorCode(422, 422, "plan-refused"),
    InvalidProductSource: ErrorCode(422, 422, "invalid-product-source"),
    NotAcceptingConsumers: ErrorCode(409, 409, "not-accepting-consumers"),
    ConcurrentChange: ErrorCode(409, 409, "concurrent-change"),
    TransferNotOffered: ErrorCode(409, 409, "transfer-not-offered"),
    ConsumerGroupTaken: ErrorCode(403, 40307, "consumer-group-taken"),
    DescriptorInvalid: ErrorCode(422, 422, "invalid-descriptor"),
    LifecycleError: ErrorCode(409, 409, "lifecycle-refused"),
    InvalidSearch: ErrorCode(422, 422, "invalid-search"),
    InvalidAuditQuery: ErrorCode(422, 422, "invalid-audit-query"),
    InvalidEvent: ErrorCode(422, 422, "invalid-event"),
    # A record someone else wrote to the product's topic: the product's state, not the request.
    UnreadableEvent: ErrorCode(409, 409, "unreadable-event"),
    # Principals and access to products.
    AccountNotFound: ErrorCode(404, 404, "principal-not-found"),
    AccountExists: ErrorCode(409, 409, "principal-exists"),
    InvalidAccount: ErrorCode(422, 422, "invalid-principal"),
    AccessDenied: ErrorCode(403, 40302, "access-denied"),
    NotAllowedToDecide: ErrorCode(403, 40303, "not-allowed"),
    OutsideDomain: ErrorCode(403, 40306, "outside-domain"),
    AccessRequestNotFound: ErrorCode(404, 404, "access-request-not-found"),
    AccessStateError: ErrorCode(409, 409, "access-state"),
    AccessRefused: ErrorCode(409, 409, "access-refused"),
    AccessRequestExists: ErrorCode(409, 409, "access-request-exists"),
    InvalidAccessRequest: ErrorCode(422, 422, "invalid-access-request"),
    # Governance: policies and proposals.
    PolicyInvalid: ErrorCode(422, 422, "invalid-policy"),
    PolicyLoosened: ErrorCode(422, 422, "policy-loosened"),
    InvalidProposal: ErrorCode(422, 422, "invalid-proposal"),
    ProposalNotFound: ErrorCode(404, 404, "proposal-not-found"),
    ProposalTransitionRefused: ErrorCode(409, 409, "proposal-transition-refused"),
    # Privacy: field encryption, crypto-shredding, tokens.
    InvalidEntityKey: ErrorCode(422, 422, "invalid-entity-key"),
    NoPlaceholder: ErrorCode(422, 422, "no-placeholder"),
    UnsupportedFieldValue: ErrorCode(422, 422, "unsupported-field-value"),
    UnsupportedFieldPath: ErrorCode(422, 422, "unsupported-field-path"),
    TokenNotGranted: ErrorCode(403, 40304, "token-not-granted"),
    UnknownToken: ErrorCode(404, 404, "token-unknown"),
    # A record's ciphertext header was altered or moved: the product's data, not the request.
    UndecryptableField: ErrorCode(409, 409, "undecryptable-field"),
    KmsError: ErrorCode(500, 50001, "kms-error"),
    MasterKeyMissing: ErrorCode(503, 50001, "master-key-missing"),
    TopicNotFound: ErrorCode(404, 404, "topic-not-found"),
    InvalidRecord: ErrorCode(422, 422, "invalid-record"),
    RecordTooLarge: ErrorCode(422, 422, "record-too-large"),
    LogTimeout: ErrorCode(503, 503, "log-timeout"),
    DeliveryFailed: ErrorCode(503, 503, "delivery-failed"),
    LogUnavailable: ErrorCode(503, 503, "log-unavailable"),
    LogCorrupt: ErrorCode(503, 503, "log-corrupt"),
    LogDiskFull: ErrorCode(503, 503, "disk-full"),
    # Notifications: subscriptions, dead letters, the inbox, incidents.
    InvalidSubscription: ErrorCode(422, 422, "invalid-subscription"),
    SubscriptionNotFound: ErrorCode(404, 404, "subscription-not-found"),
    DeliveryNotFound: ErrorCode(404, 404, "dead-letter-not-found"),
    InboxItemNotFound: ErrorCode(404, 404, "inbox-item-not-found"),
    InvalidIncident: ErrorCode(422, 422, "invalid-incident"),
    # Monitoring: lag and caught-up questions.
    InvalidOffsets: ErrorCode(422, 422, "invalid-offsets"),
    InvalidGroup: ErrorCode(422, 422, "invalid-group"),
    TooManyWaits: ErrorCode(429, 42902, "too-many-waits"),
    # Stream applications (/api/v1/streams): the script, its plan, grants and lifecycle.
    UnknownApplication: ErrorCode(404, 404, "stream-application-not-found"),
    ApplicationRunning: ErrorCode(409, 409, "stream-application-running"),
    InvalidApplicationName: ErrorCode(422, 422, "invalid-stream-application-name"),
    ApplicationError: ErrorCode(409, 409, "stream-application-refused"),
    OperatorApplication: ErrorCode(403, 40308, "principal-required"),
    InvalidIdempotencyKey: ErrorCode(400, 400, "invalid-idempotency-key"),
    IdempotencyKeyReused: ErrorCode(422, 422, "idempotency-key-reused"),
    IdempotencyKeyInProgress: ErrorCode(409, 409, "idempotency-key-in-progress"),
    GrantMissing: ErrorCode(403, 40309, "grant-missing"),
    SqlError: ErrorCode(422, 422, "invalid-sql"),
    UnknownSource: ErrorCode(422, 422, "unknown-source"),
    PlanError: ErrorCode(422, 422, "invalid-query"),
    ExpressionError: ErrorCode(422, 422, "invalid-expression"),
    FunctionError: ErrorCode(422, 422, "invalid-function"),
    FormatError: ErrorCode(422, 422, "invalid-format"),
    OutputProductInvalid: ErrorCode(422, 422, "invalid-output-product"),
    EngineError: ErrorCode(422, 422, "unsupported-query"),
    DslError: ErrorCode(422, 422, "invalid-pipeline"),
    # Local state of a stream application: a fault of this process, not the request.
    StateError: ErrorCode(500, 50001, "stream-state-error"),
    StreamsError: ErrorCode(422, 422, "invalid-stream-application"),
    # Connectors (/connect, Kafka Connect's shapes: error_code is the HTTP status there).
    UnknownConnector: ErrorCode(404, 404, "connector-not-found"),
    ConnectorExists: ErrorCode(409, 409, "connector-exists"),
    ConnectorConfigInvalid: ErrorCode(422, 422, "invalid-connector-config"),
    SecretInClear: ErrorCode(422, 422, "credential-in-clear"),
    PathNotAllowed: ErrorCode(422, 422, "path-not-allowed"),
    DefinitionInvalid: ErrorCode(422, 422, "invalid-connector-definition"),
    ConnectorAccountWithoutTeam: ErrorCode(403, 40308, "principal-required"),
    ConnectError: ErrorCode(422, 422, "invalid-connector"),
}

INTERNAL_ERROR = ErrorCode(500, 50001, "internal-error")
UNMAPPED_MESH_ERROR = ErrorCode(400, 400, "bad-request")
"""A deliberate streammesh error without a row of its own: the client's mistake, not ours."""


def code_for(exc: BaseException) -> ErrorCode:
    """The table row of ``exc``'s class or its nearest listed ancestor."""
    for cls in type(exc).__mro__:
        row = ERROR_TABLE.get(cls)
        if row is not None:
            return row
    if isinstance(exc, MeshError):
        return UNMAPPED_MESH_ERROR
    return INTERNAL_ERROR


def details_of(exc: BaseException) -> list[dict[str, Any]]:
    """The itemised specifics an error carries, for the ``details`` of an ``/api/v1`` error."""
    if isinstance(exc, PlanRefused):
        return [problem.document() for problem in exc.problems]
    if isinstance(exc, PolicyLoosened):
        return [finding.document() for finding in exc.findings]
    if isinstance(exc, PolicyInvalid):
        return [{"path": "", "message": problem} for problem in exc.problems]
    if isinstance(exc, DescriptorInvalid):
        return [
            {
                "source": exc.source,
                "path": problem.path,
                "message": problem.message,
                "hint": problem.hint,
                "line": problem.line,
                "column": problem.column,
            }
            for problem in exc.problems
        ]
    if isinstance(exc, ExpressionError) and exc.position is not None:
        position = exc.position
        return [{"line": position.line, "column": position.column, "message": str(exc)}]
    if isinstance(exc, (SqlError, PlanError)) and exc.line is not None:
        return [
            {
                "line": exc.line,
                "column": exc.column,
                "message": exc.detail,
                "excerpt": exc.excerpt,
            }
        ]
    if isinstance(exc, InvalidEvent):
        return [
            {"index": p.index, "path": p.path, "rule": p.rule, "reason": p.reason}
            for p in exc.problems
        ]
    if isinstance(exc, RequestValidationError):
        return [
            {
                "path": ".".join(str(part) for part in error.get("loc", ())),
                "message": str(error.get("msg", "invalid")),
            }
            for error in exc.errors()
        ]
    return []


def is_connect_path(request: Request) -> bool:
    """Whether the request is for the Kafka Connect-shaped API (Connect's error shape)."""
    path = request.url.path
    return path == CONNECT_PREFIX or path.startswith(CONNECT_PREFIX + "/")


def is_ui_path(request: Request) -> bool:
    """Whether the request is for the web UI (pages, not JSON)."""
    path = request.url.path
    return path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


def is_registry_path(request: Request) -> bool:
    """Whether the request is for the Confluent-compatible API (Confluent's error shape)."""
    path = request.url.path
    return path == REGISTRY_PREFIX or path.startswith(REGISTRY_PREFIX + "/")


def error_response(
    request: Request,
    row: ErrorCode,
    message: str,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    """The JSON body of an error, in the shape of the API the request went to."""
    if is_registry_path(request):
        return JSONResponse(
            {"error_code": row.code, "message": message},
            status_code=row.status,
            media_type=REGISTRY_MEDIA_TYPE,
            headers=headers,
        )
    if is_connect_path(request):
        # Kafka Connect's ErrorMessage: its error_code is the HTTP status.
        return JSONResponse(
            {"error_code": row.status, "message": message},
            status_code=row.status,
            headers=headers,
        )
    return JSONResponse(
        {"error": {"code": row.kind, "message": message, "details": details or []}},
        status_code=row.status,
        headers=headers,
    )


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(problems)


def new_reference() -> str:
    """A short id naming one failure in the log and in what the client is told."""
    return uuid.uuid4().hex[:12]


def _ui_page(request: Request) -> ErrorPage | None:
    """The UI's error page when ``request`` is for a ``/ui`` path (and the app has one)."""
    page: ErrorPage | None = getattr(request.app.state, _ERROR_PAGE, None)
    return page if page is not None and is_ui_path(request) else None


async def _mesh_error(request: Request, exc: Exception) -> Response:
    row = code_for(exc)
    page = _ui_page(request)
    if page is not None:
        # A person followed a link or sent a form: a page with the navigation, not JSON.
        reference = None
        if row.status >= 500:
            reference = new_reference()
            _log.error(
                "%s on %s %s (reference %s)",
                row.kind,
                request.method,
                request.url.path,
                reference,
                exc_info=exc,
            )
        return page(request, row.status, str(exc), reference)
    headers = None
    if isinstance(exc, AuthenticationRequired):
        headers = {"WWW-Authenticate": 'Bearer realm="streammesh", Basic realm="streammesh"'}
    elif isinstance(exc, TooManyFailedSignIns | TooManyWaits | IdempotencyKeyInProgress):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return error_response(request, row, str(exc), headers, details_of(exc))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    row = ERROR_TABLE[RequestValidationError]
    page = _ui_page(request)
    if page is not None:
        # A person typed or followed the address: a page with the navigation, not JSON.
        return page(request, row.status, _validation_message(exc), None)
    return error_response(request, row, _validation_message(exc), details=details_of(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    # Starlette raises these for unknown paths (404) and wrong methods (405).
    assert isinstance(exc, StarletteHTTPException)
    kind = "not-found" if exc.status_code == 404 else "http-error"
    row = ErrorCode(exc.status_code, exc.status_code, kind)
    headers: dict[str, Any] | None = dict(exc.headers) if exc.headers else None
    page = _ui_page(request)
    if page is not None and exc.status_code >= 400:
        # A stale form (403) or the like under /ui: a page; a redirect (sign in) stays one.
        answer = page(request, exc.status_code, str(exc.detail), None)
        answer.headers.update(headers or {})
        return answer
    return error_response(request, row, str(exc.detail), headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    reference = new_reference()
    _log.error(
        "unexpected error on %s %s (reference %s)",
        request.method,
        request.url.path,
        reference,
        exc_info=exc,
    )
    page = _ui_page(request)
    if page is not None:
        return page(request, INTERNAL_ERROR.status, "The server could not answer.", reference)
    return error_response(
        request,
        INTERNAL_ERROR,
        f"internal server error; the server log has the details under reference {reference}",
    )


def install_error_handlers(app: FastAPI, *, ui_page: ErrorPage | None = None) -> None:
    """Make ``app`` answer every error through the table above.

    Args:
        app: The application.
        ui_page: Draws the web UI's error page; given, an invalid request to a ``/ui`` path
            answers that page (with the table's status) instead of the JSON body.
    """
    setattr(app.state, _ERROR_PAGE, ui_page)
    app.add_exception_handler(MeshError, _mesh_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
