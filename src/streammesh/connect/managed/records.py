"""What the mesh records of a connector, and what ``status`` reads back.

A :class:`Connector` is the connector as created (its definition as written, who runs it,
where, whether it should run, its restart generation); a :class:`ConnectorInstance` is one
process or server thread running it, as its last heartbeat said; a :class:`ConnectorStatus`
puts them together, with Kafka Connect's states (``RUNNING``, ``PAUSED``, ``FAILED``,
``UNASSIGNED``) for the REST API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from streammesh.bounded_yaml import load_yaml

__all__ = [
    "Connector",
    "ConnectorInstance",
    "ConnectorStatus",
    "Desired",
    "Placement",
]


class Placement(StrEnum):
    """Where a connector runs."""

    SERVER = "server"
    """Hosted by ``streammesh up``."""
    PROCESS = "process"
    """Its own ``streammesh connect run FILE`` process."""


class Desired(StrEnum):
    """Whether a connector should be running; its workers check it at every heartbeat."""

    RUNNING = "running"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Connector:
    """A connector as recorded in the mesh store.

    Attributes:
        name: The connector's name.
        kind: Its kind (``jdbc-poll``, ``parquet``...): Connect's ``connector.class``.
        role: ``source`` or ``sink``.
        principal: The service account it runs as.
        definition: Its definition as written (YAML, ``${VAR}`` references unsubstituted:
            never a credential).
        placement: Where it runs.
        desired: Whether it should run.
        generation: Bumped by ``restart``: workers of an older generation start over.
        created_by: Who created it.
        created_at: When.
        updated_at: When its record last changed.
        paused_by: Who paused it (``None`` while it should run).
    """

    name: str
    kind: str
    role: str
    principal: str
    definition: str
    placement: Placement
    desired: Desired
    generation: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    paused_by: str | None

    def document(self) -> dict[str, Any]:
        """The definition as a mapping (``name``, ``kind``, ``principal``, ``products``,
        ``config``), ``${VAR}`` references as written."""
        loaded = load_yaml(self.definition)
        return dict(loaded) if isinstance(loaded, Mapping) else {}

    @property
    def products(self) -> tuple[str, ...]:
        """The products a sink reads (from its definition)."""
        return tuple(str(item) for item in self.document().get("products") or ())

    def to_json(self) -> dict[str, Any]:
        """The mesh's own JSON shape of the record (``--json``, the UI)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "type": self.role,
            "principal": self.principal,
            "placement": self.placement.value,
            "desired": self.desired.value,
            "generation": self.generation,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "paused_by": self.paused_by,
            "definition": self.definition,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Connector:
        """The record :meth:`to_json` wrote (a client's copy of the server's)."""
        return cls(
            name=str(document["name"]),
            kind=str(document["kind"]),
            role=str(document["type"]),
            principal=str(document["principal"]),
            definition=str(document.get("definition") or ""),
            placement=Placement(document["placement"]),
            desired=Desired(document["desired"]),
            generation=int(document["generation"]),
            created_by=str(document["created_by"]),
            created_at=datetime.fromisoformat(document["created_at"]),
            updated_at=datetime.fromisoformat(document["updated_at"]),
            paused_by=document.get("paused_by"),
        )


@dataclass(frozen=True, slots=True)
class ConnectorInstance:
    """One process or server thread running a connector, as its last heartbeat said.

    Attributes:
        connector: The connector.
        instance: Its id, unique per run (``<host>-<pid>-<random>``): Connect's worker id.
        host: The host it runs on.
        pid: Its process id.
        placement: ``server`` (hosted by ``up``) or ``process`` (``connect run``).
        state: Its worker's state: ``running``, ``paused``, ``failed`` (backing off before a
            restart), ``created`` (starting).
        started_at: Its first heartbeat.
        heartbeat_at: Its last heartbeat.
        interval_s: Seconds between its heartbeats; alive while its last heartbeat is at most
            three intervals old.
        progress: Its worker's counters (``records_in``, ``records_out``, ``dead_letters``,
            ``lag``, ``position``).
        error: The last error it met (credentials redacted), if any.
    """

    connector: str
    instance: str
    host: str
    pid: int
    placement: Placement
    state: str
    started_at: datetime
    heartbeat_at: datetime
    interval_s: float
    progress: Mapping[str, Any]
    error: str | None

    def alive(self, now: datetime) -> bool:
        """Whether its last heartbeat is at most three intervals old at ``now``."""
        return (now - self.heartbeat_at).total_seconds() <= 3 * self.interval_s

    def to_json(self) -> dict[str, Any]:
        """The JSON shape (``--json``, the ``streammesh`` part of a Connect status)."""
        return {
            "instance": self.instance,
            "host": self.host,
            "pid": self.pid,
            "placement": self.placement.value,
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "heartbeat_at": self.heartbeat_at.isoformat(),
            "interval_s": self.interval_s,
            "progress": dict(self.progress),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, connector: str, document: Mapping[str, Any]) -> ConnectorInstance:
        """The instance :meth:`to_json` wrote."""
        return cls(
            connector=connector,
            instance=str(document["instance"]),
            host=str(document["host"]),
            pid=int(document["pid"]),
            placement=Placement(document["placement"]),
            state=str(document["state"]),
            started_at=datetime.fromisoformat(document["started_at"]),
            heartbeat_at=datetime.fromisoformat(document["heartbeat_at"]),
            interval_s=float(document["interval_s"]),
            progress=dict(document.get("progress") or {}),
            error=document.get("error"),
        )


_TASK_STATES = {"running": "RUNNING", "paused": "PAUSED", "failed": "FAILED"}


@dataclass(frozen=True, slots=True)
class ConnectorStatus:
    """A connector's record and its live instances.

    Attributes:
        connector: The record.
        instances: The live instances (a heartbeat within three of their intervals).
    """

    connector: Connector
    instances: tuple[ConnectorInstance, ...]

    @property
    def state(self) -> str:
        """Kafka Connect's connector state: ``PAUSED`` when asked to pause; else ``RUNNING``
        when a live instance runs it, ``FAILED`` when every live instance failed (each backs
        off, then restarts), ``UNASSIGNED`` when none is alive."""
        if self.connector.desired is Desired.PAUSED:
            return "PAUSED"
        if not self.instances:
            return "UNASSIGNED"
        if all(item.state == "failed" for item in self.instances):
            return "FAILED"
        return "RUNNING"

    @property
    def records_in(self) -> int:
        """Records read by the live instances since they started."""
        return sum(int(item.progress.get("records_in") or 0) for item in self.instances)

    @property
    def records_out(self) -> int:
        """Records written (source) or landed (sink) by the live instances."""
        return sum(int(item.progress.get("records_out") or 0) for item in self.instances)

    @property
    def dead_letters(self) -> int:
        """Records the live instances sent to ``<name>.dead-letter``."""
        return sum(int(item.progress.get("dead_letters") or 0) for item in self.instances)

    @property
    def lag(self) -> int | None:
        """A sink's records still to land, as its instances last reported (``None`` for a
        source, or before a sink reported)."""
        lags = [item.progress.get("lag") for item in self.instances]
        found = [int(value) for value in lags if value is not None]
        return sum(found) if found else None

    @property
    def last_error(self) -> str | None:
        """The last error a live instance reported (credentials redacted), else why a
        product's capture stopped (a refused schema change)."""
        errors = [item.error for item in self.instances if item.error]
        if errors:
            return errors[-1]
        for item in self.instances:
            stopped = item.progress.get("stopped")
            if isinstance(stopped, Mapping) and stopped:
                product, reason = next(iter(stopped.items()))
                return f"{product}: {reason}"
        return None

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> ConnectorStatus:
        """The status :meth:`to_json` wrote (the ``streammesh`` object of a Connect status)."""
        record = Connector.from_json(document)
        instances = tuple(
            ConnectorInstance.from_json(record.name, item) for item in document["instances"]
        )
        return cls(record, instances)

    def connect_status(self) -> dict[str, Any]:
        """Kafka Connect's ``GET /connectors/{name}/status`` document, plus the mesh's own
        ``streammesh`` object (placement, desired state, counters, lag, last error,
        instances) that Connect tooling ignores."""
        worker = self.instances[0].instance if self.instances else ""
        tasks: list[dict[str, Any]] = []
        for index, item in enumerate(self.instances):
            state = _TASK_STATES.get(item.state, "UNASSIGNED")
            if self.connector.desired is Desired.PAUSED and state == "RUNNING":
                state = "PAUSED"
            task: dict[str, Any] = {"id": index, "state": state, "worker_id": item.instance}
            if state == "FAILED":
                task["trace"] = item.error or "failed"
            tasks.append(task)
        connector: dict[str, Any] = {"state": self.state, "worker_id": worker}
        if self.state == "FAILED":
            connector["trace"] = self.last_error or "failed"
        return {
            "name": self.connector.name,
            "connector": connector,
            "tasks": tasks,
            "type": self.connector.role,
            "streammesh": self.to_json(),
        }

    def to_json(self) -> dict[str, Any]:
        """The mesh's own document (``connect status --json``, the ``streammesh`` object of
        the Connect status)."""
        return {
            **self.connector.to_json(),
            "state": self.state,
            "products": list(self.connector.products),
            "alive": len(self.instances),
            "records_in": self.records_in,
            "records_out": self.records_out,
            "dead_letters": self.dead_letters,
            "lag": self.lag,
            "last_error": self.last_error,
            "instances": [item.to_json() for item in self.instances],
        }
