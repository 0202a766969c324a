"""``AccountsClient``: the mesh's principals (users, service accounts, teams), in-process or
through a server.

Every answer is the REST API's JSON document of a principal: ``name``, ``kind`` (``user``,
``service-account`` or ``team``), ``team``, ``description``, ``created_at``, ``created_by``.
In-process the mesh's operator creates accounts in any team; through a server a domain owner
creates them in its own teams only.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from streammesh.identity import AccountKind


class AccountsClient(Protocol):
    """Create and list users and service accounts (teams are registered with
    ``register_team``).

    Example:
        >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
        ...     mesh.accounts.create(
        ...         "fraud-detector", AccountKind.SERVICE_ACCOUNT, team="risk-team"
        ...     )
    """

    def list(self, *, kind: AccountKind | None = None) -> builtins.list[dict[str, Any]]:
        """Every principal (registered teams included), by name; optionally of one kind."""
        ...

    def get(self, name: str) -> dict[str, Any]:
        """One principal (``AccountNotFound`` when there is none)."""
        ...

    def create(
        self, name: str, kind: AccountKind, *, team: str | None = None, description: str = ""
    ) -> dict[str, Any]:
        """Create a user or a service account (a service account belongs to a team).

        Raises:
            AccountExists: A principal of that name exists.
            InvalidAccount: An invalid name, kind or team (a service account without one).
            OutsideDomain: Through a server, the team is not one of a domain owner's.
        """
        ...
