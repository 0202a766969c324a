"""Refusals of the REST API back into the ``MeshError`` classes a local mesh raises."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from streammesh.access import (
    AccessRefused,
    AccessRequestExists,
    AccessRequestNotFound,
    AccessStateError,
    InvalidAccessRequest,
    NotAllowedToDecide,
)
from streammesh.control import (
    ConsumerGroupTaken,
    InvalidProductSource,
    NotAcceptingConsumers,
    PlanProblem,
    PlanRefused,
    ProductNotFound,
    Severity,
)
from streammesh.dataplane import EventProblem, InvalidEvent
from streammesh.errors import MeshError
from streammesh.governance import (
    FindingSeverity,
    InvalidProposal,
    PolicyFinding,
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
from streammesh.log import TopicNotFound
from streammesh.notify import (
    DeliveryNotFound,
    InboxItemNotFound,
    InvalidIncident,
    InvalidSubscription,
    SubscriptionNotFound,
)
from streammesh.observe import InvalidGroup, InvalidOffsets
from streammesh.privacy import InvalidEntityKey
from streammesh.products import DescriptorInvalid, DescriptorProblem, KeyType, LifecycleError
from streammesh.sdk.errors import AuthenticationFailed, RemotePermissionDenied
from streammesh.streams import (
    ApplicationError,
    ApplicationRunning,
    GrantMissing,
    InvalidApplicationName,
    OutputProductInvalid,
    PlanError,
    SqlError,
    StreamsError,
    UnknownApplication,
)

if TYPE_CHECKING:
    from streammesh.sdk.remote.mesh import RemoteMesh


def _plan_problem(item: Mapping[str, Any]) -> PlanProblem:
    return PlanProblem(
        item["product"],
        item["origin"],
        Severity(item["severity"]),
        item["rule"],
        item["message"],
        item.get("hint") or "",
        tuple(item.get("details") or ()),
    )


class Refusal:
    """One error answer: its code, message, details, and the reference the call was about."""

    def __init__(self, mesh: RemoteMesh, reference: str, status: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            error = {"code": f"http-{status}", "message": f"HTTP {status}", "details": []}
        self.mesh = mesh
        self.reference = reference
        self.status = status
        self.code = str(error.get("code"))
        self.message = str(error.get("message"))
        self.details: list[dict[str, Any]] = list(error.get("details") or [])

    def lifecycle(self) -> MeshError:
        return LifecycleError(self.mesh.product(self.reference).lifecycle, self.message)

    def not_accepting(self) -> MeshError:
        record = self.mesh.product(self.reference)
        return NotAcceptingConsumers(record.reference, record.status, "", record.replaced_by)

    def invalid_event(self) -> MeshError:
        problems = [
            EventProblem(d.get("path", ""), d.get("rule", ""), d.get("reason", ""), d.get("index"))
            for d in self.details
        ] or [EventProblem("", "event", self.message)]
        return InvalidEvent(self.reference, "", problems, len(problems))

    def descriptor(self) -> MeshError:
        source = self.details[0].get("source", "request") if self.details else "request"
        problems = [
            DescriptorProblem(
                d.get("path", ""),
                d.get("message", ""),
                d.get("hint"),
                d.get("line"),
                d.get("column"),
            )
            for d in self.details
        ]
        return DescriptorInvalid(source, problems)

    def quoted(self, index: int) -> str:
        """The ``index``-th 'quoted' name in the message (the local error's attributes are
        read back from the words the server built from them)."""
        names = re.findall(r"'([^']*)'", self.message)
        return names[index] if index < len(names) else ""

    def invalid_entity_key(self) -> MeshError:
        found = re.search(r"whose keys are (\w+)", self.message)
        said = found.group(1) if found else ""
        key_type = next((kind for kind in KeyType if kind.value == said), KeyType.STRING)
        return InvalidEntityKey(self.quoted(1), self.quoted(0), key_type, self.message)


def _policy_loosened(refusal: Refusal) -> MeshError:
    findings = [
        PolicyFinding(
            d.get("rule", ""),
            FindingSeverity(d.get("severity", "error")),
            d.get("product", ""),
            d.get("field", ""),
            d.get("message", ""),
            d.get("hint", ""),
        )
        for d in refusal.details
    ]
    return PolicyLoosened(refusal.quoted(0), findings)


def _transition_refused(refusal: Refusal) -> MeshError:
    # "proposal '<id>' is '<current>' and cannot move to '<wanted>'; from '<current>' it
    # can move to '<allowed>', ..."
    allowed = re.findall(r"'([^']*)'", refusal.message)[4:]
    current, wanted = refusal.quoted(1), refusal.quoted(2)
    return ProposalTransitionRefused(int(refusal.reference or 0), current, wanted, allowed)


def _words(refusal: Refusal, pattern: str, count: int) -> list[str]:
    """The ``count`` groups of ``pattern`` in the message (empty strings when it differs)."""
    found = re.search(pattern, refusal.message)
    return list(found.groups()) if found else [""] * count


def _access_state(refusal: Refusal) -> MeshError:
    action, state = _words(refusal, r"cannot (\w+) access request '[^']*': it is (\w+)", 2)
    return AccessStateError(refusal.quoted(0), state, action)


def _access_refused(refusal: Refusal) -> MeshError:
    (status,) = _words(refusal, r"' is (\w+) and takes", 1)
    replacement = refusal.quoted(1) if "instead" in refusal.message else None
    return AccessRefused(refusal.quoted(0), status, replacement)


def _access_request_exists(refusal: Refusal) -> MeshError:
    (state,) = _words(refusal, r"\((\w+)\) for '", 1)
    return AccessRequestExists(refusal.quoted(0), refusal.quoted(2), refusal.quoted(1), state)


def _not_allowed(refusal: Refusal) -> MeshError:
    action, who = _words(refusal, r"may not (\w+) access to '[^']*'; (.*) may$", 2)
    return NotAllowedToDecide(refusal.quoted(0), action, refusal.quoted(1), who)


def _token_change_refused(refusal: Refusal) -> MeshError:
    action, role, reason = _words(
        refusal, r"may not (\w+) an? (\S+) token of '[^']*': (.*); nothing was changed", 3
    )
    return TokenChangeRefused(refusal.quoted(0), action, refusal.quoted(1), role, reason)


def _sql_error(refusal: Refusal) -> MeshError:
    detail = refusal.details[0] if refusal.details else {}
    line, column = int(detail.get("line") or 1), int(detail.get("column") or 1)
    excerpt = str(detail.get("excerpt") or "")
    # The statement line as the server quoted it, at its line: the caret lines up again.
    text = "\n" * (line - 1) + excerpt.split("\n", 1)[0]
    return SqlError(
        str(detail.get("message") or refusal.message), line=line, column=column, text=text
    )


def _plan_error(refusal: Refusal) -> MeshError:
    """A plan error pointing into the script, with its line, column and excerpt (the line and
    the caret) again, so the CLI prints the caret under the spot as on a local mesh."""
    error = PlanError(refusal.message)
    detail = refusal.details[0] if refusal.details else {}
    if detail.get("line"):
        error.line, error.column = int(detail["line"]), int(detail.get("column") or 1)
        error.excerpt = str(detail.get("excerpt") or "")
    return error


def _application_running(refusal: Refusal) -> MeshError:
    [operation] = _words(refusal, r"cannot (\w+) stream application", 1)
    return ApplicationRunning(refusal.quoted(0), operation, [])


def _grant_missing(refusal: Refusal) -> MeshError:
    write = "may not write" in refusal.message
    return GrantMissing(refusal.quoted(0), refusal.quoted(1), refusal.quoted(2), write=write)


ERRORS: dict[str, Callable[[Refusal], MeshError]] = {
    "unauthenticated": lambda r: AuthenticationFailed(r.mesh.url, r.message),
    "forbidden": lambda r: RemotePermissionDenied(r.mesh.url, r.message),
    "outside-domain": lambda r: RemotePermissionDenied(r.mesh.url, r.message),
    "product-not-found": lambda r: ProductNotFound(r.reference),
    "plan-refused": lambda r: PlanRefused([_plan_problem(d) for d in r.details]),
    "invalid-descriptor": Refusal.descriptor,
    "invalid-product-source": lambda r: InvalidProductSource("request", r.message),
    "lifecycle-refused": Refusal.lifecycle,
    "not-accepting-consumers": Refusal.not_accepting,
    "consumer-group-taken": lambda r: ConsumerGroupTaken(r.reference, "", "", ""),
    "invalid-event": Refusal.invalid_event,
    "invalid-policy": lambda r: PolicyInvalid(
        r.quoted(0), [str(d.get("message", "")) for d in r.details]
    ),
    "policy-loosened": _policy_loosened,
    "invalid-proposal": lambda r: InvalidProposal(
        r.message.removeprefix("invalid governance proposal: ")
    ),
    "proposal-not-found": lambda r: ProposalNotFound(int(r.reference or 0)),
    "proposal-transition-refused": _transition_refused,
    "invalid-group": lambda r: InvalidGroup(r.quoted(0), r.message),
    "invalid-offsets": lambda r: InvalidOffsets(r.quoted(0), r.message),
    "topic-not-found": lambda r: TopicNotFound(r.quoted(0)),
    "principal-not-found": lambda r: AccountNotFound(r.quoted(0)),
    "principal-exists": lambda r: AccountExists(r.quoted(0)),
    "invalid-principal": lambda r: InvalidAccount(r.quoted(0), r.message.split(": ", 1)[-1]),
    "access-request-not-found": lambda r: AccessRequestNotFound(r.quoted(0)),
    "access-state": _access_state,
    "access-refused": _access_refused,
    "access-request-exists": _access_request_exists,
    "invalid-access-request": lambda r: InvalidAccessRequest(
        r.message.removeprefix("invalid access request: ")
    ),
    "not-allowed": _not_allowed,
    "token-not-found": lambda r: TokenNotFound(r.quoted(0)),
    "invalid-token-request": lambda r: InvalidTokenRequest(
        r.message.removeprefix("cannot create the token: ")
    ),
    "token-change-refused": _token_change_refused,
    "invalid-subscription": lambda r: InvalidSubscription(r.quoted(0), r.message),
    "subscription-not-found": lambda r: SubscriptionNotFound(r.reference),
    "dead-letter-not-found": lambda r: DeliveryNotFound(r.reference),
    "inbox-item-not-found": lambda r: InboxItemNotFound(int(r.reference or 0), r.quoted(0)),
    "invalid-incident": lambda r: InvalidIncident(r.reference, r.message),
    "invalid-entity-key": Refusal.invalid_entity_key,
    "stream-application-not-found": lambda r: UnknownApplication(r.reference, []),
    "stream-application-running": _application_running,
    "invalid-stream-application-name": lambda r: InvalidApplicationName(r.reference, r.message),
    "stream-application-refused": lambda r: ApplicationError(r.message),
    "principal-required": lambda r: RemotePermissionDenied(r.mesh.url, r.message),
    "grant-missing": _grant_missing,
    "invalid-sql": _sql_error,
    "unknown-source": _plan_error,
    "invalid-query": _plan_error,
    "invalid-output-product": lambda r: OutputProductInvalid(r.quoted(0), r.quoted(1), r.message),
    **dict.fromkeys(
        (
            "invalid-expression",
            "invalid-function",
            "invalid-format",
            "unsupported-query",
            "invalid-pipeline",
            "invalid-stream-application",
        ),
        lambda r: StreamsError(r.message),
    ),
}
"""Error codes of the server's error table -> the ``MeshError`` a local mesh raises; the
server's message replaces the rebuilt one, so both read the same."""
