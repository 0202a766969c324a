"""``InProcessTokens``: API tokens on a mesh opened in this process, managed by the mesh's
operator (every token), so tokens can be made before a server ever ran and when all are lost."""

from __future__ import annotations

import builtins
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from streammesh.log import LogError

if TYPE_CHECKING:
    from streammesh.identity import Role
    from streammesh.runtime import MeshRuntime

_LOGGER = logging.getLogger(__name__)


class InProcessTokens:
    """:class:`~streammesh.sdk.tokens.TokensClient` over the runtime's token store.

    Args:
        runtime: The open mesh.
        actor: Who the audit log records as creating and revoking tokens.
    """

    def __init__(self, runtime: MeshRuntime, actor: str) -> None:
        self._runtime = runtime
        self._tokens = runtime.tokens()
        self._actor = actor

    def create(
        self,
        principal: str,
        role: Role,
        *,
        expires_at: datetime | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        issued = self._tokens.create(
            principal, role, expires_at=expires_at, description=description, actor=self._actor
        )
        self._relay()
        return issued.info().document() | {"secret": issued.secret}

    def list(self) -> builtins.list[dict[str, Any]]:
        return [info.document() for info in self._tokens.list()]

    def revoke(self, token_id: str) -> dict[str, Any]:
        revoked = self._tokens.revoke(token_id, actor=self._actor)
        self._relay()
        return revoked.document()

    def _relay(self) -> None:
        # Committed with its audit row; a log that cannot take the event now gets it with the
        # next change or server start.
        try:
            self._runtime.plane.relay_events()
        except LogError as exc:
            _LOGGER.warning("mesh events not relayed yet (will retry): %s", exc)
