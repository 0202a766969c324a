"""``/tokens``: list, create and revoke API tokens.

Who may do what (recorded in ``docs/decisions.md``):

- a platform admin creates, revokes and lists every token;
- a domain owner does so for the principals of its own teams (their users and service
  accounts, and the team itself), with a role no higher than its own (domain-owner, member,
  consumer) — the teams come from :func:`streammesh.access.domain_scope`;
- any principal lists and revokes its own tokens (e.g. one that leaked);
- nobody else creates tokens (403 ``token-change-refused``).

Creating and revoking is audited and relayed to ``_mesh.events``; a revoked token is refused
on its very next request.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from streammesh.access import domain_scope
from streammesh.control import ControlPlane
from streammesh.identity import Principal, Role, TokenChangeRefused, TokenInfo, TokenStore
from streammesh.log import LogError
from streammesh.server.api.models.errors import ErrorReply
from streammesh.server.api.models.tokens import IssuedTokenDocument, TokenBody, TokenDocument
from streammesh.server.api.responses import errors
from streammesh.server.auth import Reader
from streammesh.server.context import server_context
from streammesh.server.errors import ServiceNotConfigured

_LOGGER = logging.getLogger(__name__)

DELEGABLE_ROLES = frozenset({Role.DOMAIN_OWNER, Role.MEMBER, Role.CONSUMER})
"""The roles a domain owner may give its own teams' principals (none above its own)."""

_RULE = (
    "a platform admin manages every token; a domain owner those of its own teams' principals "
    "with role domain-owner, member or consumer; anyone may revoke its own"
)

router = APIRouter(prefix="/tokens", tags=["identity"])


def _token_store(request: Request) -> TokenStore:
    tokens = server_context(request).tokens
    if not isinstance(tokens, TokenStore):
        raise ServiceNotConfigured("token store")
    return tokens


def _control_plane(request: Request) -> ControlPlane:
    return server_context(request).runtime.plane


Tokens = Annotated[TokenStore, Depends(_token_store)]
Plane = Annotated[ControlPlane, Depends(_control_plane)]


class _TokenRights:
    """What one caller may do with tokens, under the rule of this module's docstring."""

    def __init__(self, plane: ControlPlane, caller: Principal) -> None:
        self._plane = plane
        self._caller = caller
        self._teams = (
            domain_scope(plane.store, caller.name, caller.role).teams
            if caller.role is Role.DOMAIN_OWNER
            else frozenset()
        )
        self._teams_of: dict[str, frozenset[str]] = {}  # one lookup per principal when listing

    def may_issue(self, principal: str, role: Role) -> bool:
        """Whether the caller may create (or revoke) a ``role`` token of ``principal``."""
        if self._caller.role is Role.PLATFORM_ADMIN:
            return True
        if self._caller.role is not Role.DOMAIN_OWNER or role not in DELEGABLE_ROLES:
            return False
        # The principal's own teams, read the way the caller's are (account team, or a team).
        theirs = self._teams_of.get(principal)
        if theirs is None:
            theirs = domain_scope(self._plane.store, principal, Role.MEMBER).teams
            self._teams_of[principal] = theirs
        return bool(theirs & self._teams)

    def may_see(self, token: TokenInfo) -> bool:
        """Whether the caller may list and revoke ``token``."""
        return token.principal == self._caller.name or self.may_issue(token.principal, token.role)


def _relay(plane: ControlPlane) -> None:
    # The change is committed with its audit row; a log that cannot take the event now gets
    # it with the next change or server start, so the request still succeeds.
    try:
        plane.relay_events()
    except LogError as exc:
        _LOGGER.warning("mesh events not relayed yet (will retry): %s", exc)


def _refused(status_code: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {status_code: {"model": ErrorReply, "description": description}}


@router.get("", response_model=list[TokenDocument], responses=errors())
def list_tokens(caller: Reader, tokens: Tokens, plane: Plane) -> list[dict[str, Any]]:
    """The tokens the caller may manage, oldest first, never their secrets: every token for
    a platform admin, its teams' principals' and its own for a domain owner, its own for
    anyone else."""
    rights = _TokenRights(plane, caller)
    return [token.document() for token in tokens.list() if rights.may_see(token)]


@router.post(
    "",
    response_model=IssuedTokenDocument,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400)
    | _refused(403, "The caller may not issue this token (`token-change-refused`).")
    | _refused(
        422, "Invalid fields, an empty principal or a past expiry (`invalid-token-request`)."
    ),
)
def create_token(body: TokenBody, caller: Reader, tokens: Tokens, plane: Plane) -> dict[str, Any]:
    """Create a token and answer its secret (shown only in this answer; it is not stored).

    A platform admin may create any token; a domain owner one of role domain-owner, member or
    consumer for a principal of its own teams. Audited as `token.created`.
    """
    if not _TokenRights(plane, caller).may_issue(body.principal, body.role):
        raise TokenChangeRefused(caller.name, "create", body.principal, body.role.value, _RULE)
    issued = tokens.create(
        body.principal,
        body.role,
        expires_at=body.expires_at,
        description=body.description,
        actor=caller.name,
    )
    _relay(plane)
    return issued.info().document() | {"secret": issued.secret}


@router.delete(
    "/{token_id}",
    response_model=TokenDocument,
    responses=errors(404)
    | _refused(403, "The caller may not revoke this token (`token-change-refused`).")
    | _refused(404, "No token has this id (`token-not-found`)."),
)
def revoke_token(token_id: str, caller: Reader, tokens: Tokens, plane: Plane) -> dict[str, Any]:
    """Revoke a token at once: its next request is refused (401) and its web UI sessions end.

    A platform admin may revoke any token, a domain owner those it may create, anyone its
    own. Revoking a revoked token changes nothing. Audited as `token.revoked`.
    """
    token = tokens.get(token_id)
    if not _TokenRights(plane, caller).may_see(token):
        raise TokenChangeRefused(caller.name, "revoke", token.principal, token.role.value, _RULE)
    revoked = tokens.revoke(token_id, actor=caller.name)
    _relay(plane)
    return revoked.document()
