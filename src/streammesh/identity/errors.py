"""Errors of identity: tokens that cannot be issued or found."""

from __future__ import annotations

from streammesh.errors import MeshError


class IdentityError(MeshError):
    """Base of every identity error."""


class TokenNotFound(IdentityError):
    def __init__(self, token_id: str) -> None:
        self.token_id = token_id
        super().__init__(f"token '{token_id}' not found; `streammesh token list` shows the ids")


class InvalidTokenRequest(IdentityError):
    """A token that cannot be issued as asked (empty principal, expiry in the past, ...)."""

    exit_code = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot create the token: {reason}")


class AccountNotFound(IdentityError):
    """No user or service account of that name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"principal '{name}' not found; 'streammesh accounts list' shows them, "
            f"'streammesh accounts create {name} --kind ...' creates it"
        )


class AccountExists(IdentityError):
    """An account of that name exists already."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"principal '{name}' exists already; pick another name")


class InvalidAccount(IdentityError):
    """An account that cannot be created as asked."""

    exit_code = 2

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"cannot create principal '{name}': {reason}")


class TokenChangeRefused(IdentityError):
    """The caller may not create, revoke or see this token (HTTP 403).

    Attributes:
        actor: Who asked.
        action: ``create`` or ``revoke``.
        principal: The principal of the token.
        role: The role of the token.
        reason: What the rule allows instead.
    """

    def __init__(self, actor: str, action: str, principal: str, role: str, reason: str) -> None:
        self.actor = actor
        self.action = action
        self.principal = principal
        self.role = role
        self.reason = reason
        super().__init__(
            f"'{actor}' may not {action} a {role} token of '{principal}': {reason}; "
            "nothing was changed"
        )
