"""``ConnectorManager``: create, change, list, inspect, pause, resume, restart and delete the
connectors the mesh records, and the heartbeats of the workers running them.

A connector is recorded with its definition as written (``${VAR}`` references kept, never a
credential: :func:`~streammesh.connect.managed.configs.check_credentials` refuses a password
in clear), validated as a worker would read it (its kind, its kind's settings, its service
account). Its workers — a thread of ``streammesh up`` (placement ``server``) or a ``connect
run`` process (placement ``process``) — heartbeat every interval; the answer tells them to
go on, pause, start over (a new generation after ``restart`` or a changed definition) or
stop (deleted).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from streammesh.bounded_yaml import load_yaml
from streammesh.connect.definition import ConnectorDefinition, parse_definition
from streammesh.connect.managed.configs import (
    check_credentials,
    connect_config,
    definition_from_config,
)
from streammesh.connect.managed.paths import check_paths
from streammesh.connect.managed.records import (
    Connector,
    ConnectorStatus,
    Desired,
    Placement,
)
from streammesh.connect.managed.store import ConnectorStore
from streammesh.identity import AccountNotFound, AccountStore
from streammesh.store import MetadataStore

__all__ = ["ConnectorManager"]


class ConnectorManager:
    """The connectors of one mesh (see the module).

    Args:
        store: The mesh's metadata store.
        environ: Where ``${VAR}`` references are looked up when a definition is validated
            (default: this process's environment, read at each call).
        clock: The current time (tests set it).
        allowed_paths: The folders a connector placed on the server may name (see
            :mod:`streammesh.connect.managed.paths`); ``None``: not checked here (the
            server's host checks again before it runs one).
    """

    def __init__(
        self,
        store: MetadataStore,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        allowed_paths: Sequence[Path] | None = None,
    ) -> None:
        self._allowed_paths = None if allowed_paths is None else tuple(allowed_paths)
        self._store = store
        self._records = ConnectorStore(store)
        self._environ = environ
        self._clock = clock

    # -- changes ---------------------------------------------------------------------------

    def create(
        self,
        text: str,
        *,
        actor: str,
        origin: str = "<definition>",
        placement: Placement | str = Placement.SERVER,
        replace: bool = False,
    ) -> tuple[Connector, bool]:
        """Record the connector defined by YAML ``text`` (or, with ``replace``, replace the
        definition of the one of that name); the record and whether it was created.

        Raises:
            DefinitionInvalid: the definition breaks a rule (every problem at its line).
            SecretInClear: a password written in clear.
            AccountNotFound: its principal is no account of the mesh.
            ConnectorExists: the name is taken and ``replace`` is false.
            PathNotAllowed: placed on the server, it names a path outside the allowed folders.
        """
        document = _document(text)
        settings = document.get("config")
        settings = settings if isinstance(settings, Mapping) else {}
        name = str(document.get("name") or origin)
        check_credentials(name, settings)  # before a validator could quote a password
        definition = self.parse(text, origin=origin)
        check_credentials(definition.name, settings, definition.kind)
        if AccountStore(self._store).find(definition.principal) is None:
            raise AccountNotFound(definition.principal)
        if Placement(placement) is Placement.SERVER and self._allowed_paths is not None:
            check_paths(definition, self._allowed_paths)
        return self._records.save(
            definition.name,
            kind=definition.kind.name,
            role=str(definition.role),
            principal=definition.principal,
            definition=text,
            placement=Placement(placement),
            actor=actor,
            at=self._clock(),
            create_only=not replace,
        )

    def put_config(
        self, name: str, config: Mapping[str, Any], *, actor: str, create_only: bool = False
    ) -> tuple[Connector, bool]:
        """Create or replace ``name`` from a Kafka Connect config (``PUT .../config``, or
        ``POST /connectors`` with ``create_only``); the record and whether it was created.

        Raises:
            ConnectorConfigInvalid: a reserved key missing or wrong.
            DefinitionInvalid, SecretInClear, AccountNotFound, ConnectorExists: as
                :meth:`create`.
        """
        text, placement = definition_from_config(name, config)
        if placement is None:
            existing = self._records.find(name)
            placement = existing.placement if existing is not None else Placement.SERVER
        return self.create(
            text,
            actor=actor,
            origin=f"connector {name!r}",
            placement=placement,
            replace=not create_only,
        )

    def pause(self, name: str, *, actor: str) -> Connector:
        """Ask ``name``'s workers to finish their batch and poll no more (idempotent).

        Raises:
            UnknownConnector: there is none.
        """
        return self._records.set_desired(name, Desired.PAUSED, actor=actor, at=self._clock())

    def resume(self, name: str, *, actor: str) -> Connector:
        """Let a paused ``name`` run again, from where it stopped (idempotent).

        Raises:
            UnknownConnector: there is none.
        """
        return self._records.set_desired(name, Desired.RUNNING, actor=actor, at=self._clock())

    def restart(self, name: str, *, actor: str, only_failed: bool = False) -> bool:
        """Make ``name``'s workers close and start again from their last commit; whether a
        restart was asked (``only_failed``: only when it is failed).

        Raises:
            UnknownConnector: there is none.
        """
        if only_failed and self.status(name).state != "FAILED":
            return False
        note = "restart of a failed connector" if only_failed else "restart"
        self._records.restart(name, actor=actor, at=self._clock(), note=note)
        return True

    def delete(self, name: str, *, actor: str) -> Connector:
        """Remove ``name``; its workers stop at their next heartbeat. Its products, offsets
        and dead-letter topics are kept. The record it had.

        Raises:
            UnknownConnector: there is none.
        """
        return self._records.delete(name, actor=actor, at=self._clock())

    # -- reading ---------------------------------------------------------------------------

    def connectors(self) -> list[Connector]:
        """Every connector's record, by name."""
        return self._records.connectors()

    def names(self) -> list[str]:
        """Every connector's name, sorted."""
        return [item.name for item in self._records.connectors()]

    def connector(self, name: str) -> Connector:
        """The record of ``name``.

        Raises:
            UnknownConnector: there is none.
        """
        return self._records.connector(name)

    def config(self, name: str) -> dict[str, Any]:
        """``name``'s Kafka Connect config (references as written).

        Raises:
            UnknownConnector: there is none.
        """
        return connect_config(self._records.connector(name))

    def status(self, name: str) -> ConnectorStatus:
        """``name``'s record and live instances.

        Raises:
            UnknownConnector: there is none.
        """
        record = self._records.connector(name)
        now = self._clock()
        live = [item for item in self._records.instances(name) if item.alive(now)]
        return ConnectorStatus(record, tuple(live))

    def statuses(self) -> list[ConnectorStatus]:
        """Every connector's status, by name."""
        now = self._clock()
        live: dict[str, list[Any]] = {}
        for item in self._records.instances():
            if item.alive(now):
                live.setdefault(item.connector, []).append(item)
        return [
            ConnectorStatus(record, tuple(live.get(record.name, ())))
            for record in self._records.connectors()
        ]

    def definition(self, connector: Connector) -> ConnectorDefinition:
        """``connector``'s definition, read with ``${VAR}`` resolved here (for its worker).

        Raises:
            DefinitionInvalid: a variable is not set here, or the kind changed.
        """
        return self.parse(connector.definition, origin=f"connector {connector.name!r}")

    def parse(self, text: str, *, origin: str) -> ConnectorDefinition:
        """Validate definition ``text`` with ``${VAR}`` from this manager's environment.

        Raises:
            DefinitionInvalid: every problem at its line and column.
        """
        environ = os.environ if self._environ is None else self._environ
        return parse_definition(text, origin=origin, environ=environ)

    # -- workers ---------------------------------------------------------------------------

    def heartbeat(
        self,
        name: str,
        instance: str,
        *,
        host: str,
        pid: int,
        placement: Placement,
        state: str,
        interval_s: float,
        progress: Mapping[str, Any],
        error: str | None,
    ) -> Connector:
        """Record that ``instance`` runs ``name`` in ``state``; the record (its ``desired``
        and ``generation`` say what to do next).

        Raises:
            UnknownConnector: ``name`` was deleted.
        """
        return self._records.heartbeat(
            name,
            instance,
            host=host,
            pid=pid,
            placement=placement,
            state=state,
            interval_s=interval_s,
            progress=progress,
            error=error,
            at=self._clock(),
        )

    def leave(self, name: str, instance: str) -> None:
        """Forget ``instance`` of ``name``: it stopped."""
        self._records.leave(name, instance)


def _document(text: str) -> dict[str, Any]:
    try:
        loaded = load_yaml(text)  # bounded: no alias bombs
    except yaml.YAMLError:  # parse_definition names the problem at its line
        return {}
    return dict(loaded) if isinstance(loaded, Mapping) else {}
