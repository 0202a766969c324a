"""Errors of access control: refused reads and writes, and requests that cannot proceed."""

from __future__ import annotations

from streammesh.errors import MeshError


class AccessError(MeshError):
    """Base of every access error."""


class AccessDenied(AccessError):
    """A principal may not read from (or write to) a product."""

    def __init__(self, principal: str, product: str, *, write: bool = False) -> None:
        self.principal = principal
        self.product = product
        self.write = write
        if write:
            message = (
                f"'{principal}' may not write to '{product}': only service accounts of the "
                "owning team (or a platform admin) produce to a product; create one with "
                "'streammesh accounts create NAME --kind service-account --team TEAM'"
            )
        else:
            message = (
                f"'{principal}' has no access grant for '{product}'; request one with "
                f"'streammesh access request {product} --as {principal} --purpose TEXT'"
            )
        super().__init__(message)


class EventsNotReadable(AccessDenied):
    """A principal may not read a product's event contents (its sample, the product page's
    recent events): no grant covers it, it is not in the owning team, and it is neither
    governance nor a platform admin. The schema and metadata stay readable."""

    def __init__(self, principal: str, product: str, team: str, *, application: str) -> None:
        self.principal = principal
        self.product = product
        self.write = False
        self.team = team
        self.application = application
        AccessError.__init__(
            self,
            f"'{principal}' may not read the events of '{product}': neither it nor an "
            f"application of its team holds an access grant, and it is not in the owning team "
            f"'{team}' (its schema and metadata stay readable); request access with "
            f"'streammesh access request {product} --as {application} --purpose TEXT'",
        )


class NotAllowedToDecide(AccessError):
    """The caller may not request, approve, reject or revoke this access."""

    def __init__(self, caller: str, action: str, product: str, who: str) -> None:
        self.caller = caller
        self.action = action
        self.product = product
        super().__init__(f"'{caller}' may not {action} access to '{product}'; {who} may")


class OutsideDomain(AccessError):
    """A principal tried to change something of a domain that is not one of its teams'."""

    def __init__(
        self, principal: str, action: str, subject: str, domain: str, domains: list[str]
    ) -> None:
        self.principal = principal
        self.action = action
        self.subject = subject
        self.domain = domain
        self.domains = domains
        mine = ", ".join(f"'{name}'" for name in domains) if domains else "none"
        super().__init__(
            f"'{principal}' may not {action} '{subject}': it belongs to domain '{domain}', and "
            f"'{principal}' acts only in the domains of its teams ({mine}); ask an owner of "
            f"'{domain}', governance or a platform admin"
        )


class AccessRequestNotFound(AccessError):
    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        super().__init__(
            f"access request '{request_id}' not found; 'streammesh access list' shows the ids"
        )


class AccessStateError(AccessError):
    """A step the request's state does not allow (approving a rejected one, ...)."""

    def __init__(self, request_id: str, state: str, action: str) -> None:
        self.request_id = request_id
        self.state = state
        self.action = action
        super().__init__(f"cannot {action} access request '{request_id}': it is {state}")


class AccessRefused(AccessError):
    """The product takes no new access requests (deprecated or retired)."""

    def __init__(self, product: str, status: str, replacement: str | None) -> None:
        self.product = product
        self.status = status
        self.replacement = replacement
        hint = (
            f"request access to '{replacement}' instead"
            if replacement
            else "ask its owners what replaces it"
        )
        super().__init__(f"'{product}' is {status} and takes no new access requests; {hint}")


class AccessRequestExists(AccessError):
    """The principal already has a pending request or an active grant covering this one."""

    def __init__(self, principal: str, product: str, existing: str, state: str) -> None:
        self.principal = principal
        self.product = product
        self.existing = existing
        super().__init__(
            f"'{principal}' already has access request '{existing}' ({state}) for '{product}'"
        )


class InvalidAccessRequest(AccessError):
    """A request or decision with invalid details (empty purpose, expiry in the past, ...)."""

    exit_code = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid access request: {reason}")
