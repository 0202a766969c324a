"""``InProcessConnectors``: the connectors of a mesh opened in-process, as
:class:`~streammesh.sdk.connectors.ConnectorsClient` says."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streammesh.connect import ConnectorManager, ConnectorPlacement, ConnectorStatus

if TYPE_CHECKING:
    from streammesh.runtime import MeshRuntime

__all__ = ["InProcessConnectors"]


class InProcessConnectors:
    """The connectors of ``runtime``'s mesh, changed as ``actor`` (audited)."""

    def __init__(self, runtime: MeshRuntime, *, actor: str) -> None:
        self._manager = ConnectorManager(
            runtime.store, allowed_paths=runtime.config.connector_folders
        )
        self._actor = actor

    def create(
        self, definition: str, *, placement: str = "server", replace: bool = False
    ) -> ConnectorStatus:
        record, _ = self._manager.create(
            definition,
            actor=self._actor,
            placement=ConnectorPlacement(placement),
            replace=replace,
        )
        return self._manager.status(record.name)

    def names(self) -> list[str]:
        return self._manager.names()

    def statuses(self) -> list[ConnectorStatus]:
        return self._manager.statuses()

    def status(self, name: str) -> ConnectorStatus:
        return self._manager.status(name)

    def config(self, name: str) -> dict[str, Any]:
        return self._manager.config(name)

    def pause(self, name: str) -> ConnectorStatus:
        self._manager.pause(name, actor=self._actor)
        return self._manager.status(name)

    def resume(self, name: str) -> ConnectorStatus:
        self._manager.resume(name, actor=self._actor)
        return self._manager.status(name)

    def restart(self, name: str, *, only_failed: bool = False) -> bool:
        return self._manager.restart(name, actor=self._actor, only_failed=only_failed)

    def delete(self, name: str) -> None:
        self._manager.delete(name, actor=self._actor)
