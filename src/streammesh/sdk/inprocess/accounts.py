"""``InProcessAccounts``: users and service accounts on a mesh opened in this process, created
by the mesh's operator (in any team)."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streammesh.identity import AccountKind
    from streammesh.runtime import MeshRuntime


class InProcessAccounts:
    """:class:`~streammesh.sdk.accounts.AccountsClient` over the runtime's accounts.

    Args:
        runtime: The open mesh.
        actor: Who the audit log records as creating accounts.
    """

    def __init__(self, runtime: MeshRuntime, actor: str) -> None:
        self._runtime = runtime
        self._actor = actor

    def list(self, *, kind: AccountKind | None = None) -> builtins.list[dict[str, Any]]:
        return [account.document() for account in self._runtime.access.accounts.list(kind=kind)]

    def get(self, name: str) -> dict[str, Any]:
        return self._runtime.access.accounts.get(name).document()

    def create(
        self, name: str, kind: AccountKind, *, team: str | None = None, description: str = ""
    ) -> dict[str, Any]:
        # No caller: the operator is not held to the domain scope of a token's principal.
        account = self._runtime.access.create_account(
            name, kind, team=team, description=description, actor=self._actor
        )
        return account.document()
