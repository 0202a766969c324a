"""``ConnectService``: the connectors of one mesh, as the runtime hands them out.

Built once by :class:`~streammesh.runtime.MeshRuntime` (``runtime.connect``); the command line
(``streammesh connect run``) and a server hosting connectors both ask it for workers.
"""

from __future__ import annotations

from pathlib import Path

from streammesh.connect.definition import ConnectorDefinition, read_definition
from streammesh.connect.services import WorkerServices
from streammesh.connect.worker import Worker, WorkerOptions

__all__ = ["ConnectService"]


class ConnectService:
    """Connector definitions and the workers that run them."""

    def __init__(self, services: WorkerServices) -> None:
        self._services = services

    def read(self, path: str | Path) -> ConnectorDefinition:
        """The definition in file ``path``, validated (``${NAME}`` from the environment).

        Raises:
            DefinitionInvalid: every problem, at its line and column.
        """
        return read_definition(path)

    def worker(
        self, definition: ConnectorDefinition, options: WorkerOptions | None = None
    ) -> Worker:
        """A worker of ``definition``, not started yet (``run`` or ``start`` start it)."""
        return Worker(definition, self._services, options)
