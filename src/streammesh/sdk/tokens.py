"""``TokensClient``: API tokens, in-process or through a server.

Every answer is the REST API's JSON document of a token: ``id``, ``principal``, ``role``,
``description``, ``created_at``, ``expires_at``, ``revoked_at``, ``active``; a new token's
also carries its ``secret`` (shown only then, it is not stored). In-process the mesh's
operator manages every token; through a server the token's principal manages what its role
allows (a platform admin every token; a domain owner its teams' principals'; anyone its own).
Creating and revoking is audited and appears on ``_mesh.events``.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from streammesh.identity import Role


class TokensClient(Protocol):
    """Create, list and revoke API tokens.

    Example:
        >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
        ...     issued = mesh.tokens.create("ci-bot", Role.MEMBER, description="domain CI")
        ...     mesh.tokens.revoke(issued["id"])
    """

    def create(
        self,
        principal: str,
        role: Role,
        *,
        expires_at: datetime | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        """Create a token; its document with the ``secret``.

        Raises:
            InvalidTokenRequest: An empty principal or an expiry in the past.
            TokenChangeRefused: Through a server, the caller may not issue this token.
        """
        ...

    def list(self) -> builtins.list[dict[str, Any]]:
        """The tokens the caller may manage, oldest first, never their secrets."""
        ...

    def revoke(self, token_id: str) -> dict[str, Any]:
        """Revoke a token: it is refused from its next request on (revoking a revoked token
        changes nothing).

        Raises:
            TokenNotFound: No token has this id.
            TokenChangeRefused: Through a server, the caller may not revoke it.
        """
        ...
