"""``ConnectorsClient``: the connectors of the mesh — create one from its definition, list
them, read one's status and config, pause, resume, restart and delete it.

The same operations in-process
(:class:`~streammesh.sdk.inprocess.connectors.InProcessConnectors`, on the mesh's store) and
through a server (:class:`~streammesh.sdk.remote.connectors.RemoteConnectors`, over
``/connect`` in Kafka Connect's shapes); both answer
:class:`~streammesh.connect.ConnectorStatus` records and raise the same errors
(``UnknownConnector``, ``ConnectorExists``, ``DefinitionInvalid``, ``SecretInClear`` ...).
Named ``connectors`` because ``Mesh.connect`` opens a remote mesh.

Example:
    >>> with Mesh.connect(url, token=token) as mesh:  # doctest: +SKIP
    ...     mesh.connectors.create(Path("orders-cdc.yaml").read_text())
    ...     mesh.connectors.status("orders-cdc").state
"""

from __future__ import annotations

from typing import Any, Protocol

from streammesh.connect import ConnectorStatus

__all__ = ["ConnectorsClient"]


class ConnectorsClient(Protocol):
    """The connectors of one mesh."""

    def create(
        self, definition: str, *, placement: str = "server", replace: bool = False
    ) -> ConnectorStatus:
        """Record the connector defined by YAML ``definition`` (its ``${VAR}`` references
        kept as written and resolved where it runs); with ``replace``, replace the
        definition of the one of that name. Placed on the ``server``, ``streammesh up``
        runs it; ``process``: a ``connect run`` process does.

        Raises:
            DefinitionInvalid: the definition breaks a rule.
            SecretInClear: a password written in clear.
            ConnectorExists: the name is taken and ``replace`` is false.
        """
        ...

    def names(self) -> list[str]:
        """Every connector's name, sorted."""
        ...

    def statuses(self) -> list[ConnectorStatus]:
        """Every connector's status (record, live instances), by name."""
        ...

    def status(self, name: str) -> ConnectorStatus:
        """One connector's status (``UnknownConnector`` when there is none)."""
        ...

    def config(self, name: str) -> dict[str, Any]:
        """One connector's Kafka Connect config (references as written)."""
        ...

    def pause(self, name: str) -> ConnectorStatus:
        """Ask its workers to finish their batch and poll no more."""
        ...

    def resume(self, name: str) -> ConnectorStatus:
        """Let a paused connector run again from where it stopped."""
        ...

    def restart(self, name: str, *, only_failed: bool = False) -> bool:
        """Make its workers close and start again; whether a restart was asked
        (``only_failed``: only when it is failed)."""
        ...

    def delete(self, name: str) -> None:
        """Remove it; its workers stop at their next heartbeat (its products, offsets and
        dead letters are kept)."""
        ...
