"""What the mesh records of a stream application, and what ``status`` reads back.

A :class:`StreamApp` is the application as deployed (its script, who runs it, where, whether
it should run, its epoch); an :class:`Instance` is one process running it, as its last
heartbeat said; an :class:`AppStatus` puts them together with each query's counters and the
lag of each input partition, read from the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "AppQuery",
    "AppStatus",
    "Desired",
    "Instance",
    "PartitionLag",
    "Placement",
    "QueryStatus",
    "StreamApp",
]


class Placement(StrEnum):
    """Where an application runs."""

    SERVER = "server"
    """Hosted by ``streammesh up``."""
    PROCESS = "process"
    """Its own ``streammesh streams run`` process (or several)."""


class Desired(StrEnum):
    """Whether an application should be running; its processes check it every interval."""

    RUNNING = "running"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class AppQuery:
    """One persistent query of an application, as it was when deployed.

    Attributes:
        id: The query's id (``CSAS_TRENDING_0``).
        group: Its engine application: consumer group and transactional id.
        sink: The topic it writes.
        inputs: The topics it reads (a join's both sides), without internal topics.
        changelogs: The changelog topics of its state stores.
    """

    id: str
    group: str
    sink: str
    inputs: tuple[str, ...]
    changelogs: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape (REST API, ``--json``, the store)."""
        return {
            "id": self.id,
            "group": self.group,
            "sink": self.sink,
            "inputs": list(self.inputs),
            "changelogs": list(self.changelogs),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> AppQuery:
        """The query :meth:`to_json` wrote."""
        return cls(
            str(document["id"]),
            str(document["group"]),
            str(document["sink"]),
            tuple(str(topic) for topic in document["inputs"]),
            tuple(str(topic) for topic in document["changelogs"]),
        )


@dataclass(frozen=True, slots=True)
class StreamApp:
    """A stream application as recorded in the mesh store.

    Attributes:
        name: The application's name (its consumer group, its node in the lineage graph).
        sql: The script.
        principal: The service account it runs as (``None``: the mesh's operator).
        placement: Where it runs.
        desired: Whether it should be running.
        epoch: Bumped by ``reset``: a process's local state from an older epoch is wiped.
        created_by: Who deployed it first.
        created_at: When it was deployed first.
        updated_at: When its record last changed.
        stopped_by: Who stopped it (``None`` while it should run).
        queries: Its persistent queries as deployed.
        descriptor: The descriptor file given with the script (YAML), if any.
    """

    name: str
    sql: str
    principal: str | None
    placement: Placement
    desired: Desired
    epoch: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    stopped_by: str | None
    queries: tuple[AppQuery, ...] = ()
    descriptor: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape (REST API, ``--json``)."""
        return {
            "name": self.name,
            "sql": self.sql,
            "descriptor": self.descriptor,
            "principal": self.principal,
            "placement": self.placement.value,
            "desired": self.desired.value,
            "epoch": self.epoch,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "stopped_by": self.stopped_by,
            "queries": [query.to_json() for query in self.queries],
        }


@dataclass(frozen=True, slots=True)
class Instance:
    """One process running an application, as its last heartbeat said.

    Attributes:
        app: The application.
        instance: The process's id, unique per run (``<host>-<pid>-<random>``).
        host: The host it runs on.
        pid: Its process id.
        started_at: Its first heartbeat.
        heartbeat_at: Its last heartbeat.
        interval_s: Seconds between its heartbeats; it is alive while its last heartbeat is
            at most three intervals old.
        progress: Its queries' progress (``QueryProgress`` as JSON), as of ``heartbeat_at``.
        error: The last error it reported, if any.
    """

    app: str
    instance: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    interval_s: float
    progress: tuple[Mapping[str, Any], ...]
    error: str | None

    def alive(self, now: datetime) -> bool:
        """Whether its last heartbeat is at most three intervals old at ``now``."""
        return (now - self.heartbeat_at).total_seconds() <= 3 * self.interval_s

    def to_json(self) -> dict[str, Any]:
        """The JSON shape (REST API, ``--json``)."""
        return {
            "instance": self.instance,
            "host": self.host,
            "pid": self.pid,
            "started_at": self.started_at.isoformat(),
            "heartbeat_at": self.heartbeat_at.isoformat(),
            "interval_s": self.interval_s,
            "progress": [dict(item) for item in self.progress],
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class PartitionLag:
    """How far a query's group is behind on one input partition.

    Attributes:
        topic: The input topic.
        partition: The partition.
        committed: The group's committed offset (``None``: nothing committed yet).
        end: The partition's end offset.
    """

    topic: str
    partition: int
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        """Records not processed yet (from the beginning when nothing is committed)."""
        return max(0, self.end - (self.committed or 0))

    def to_json(self) -> dict[str, Any]:
        """The JSON shape (REST API, ``--json``)."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "committed": self.committed,
            "end": self.end,
            "lag": self.lag,
        }


@dataclass(frozen=True, slots=True)
class QueryStatus:
    """One query's counters, summed over the live instances, and its lag.

    Attributes:
        id: The query's id.
        group: Its consumer group.
        sink: The topic it writes.
        records_in: Input records read by the live instances since they started.
        records_out: Records they wrote to the sink.
        dead_letters: Records they sent to the dead-letter topic.
        late: Rows they dropped after a window's grace period.
        in_per_s: Input records per second, as of their last heartbeats.
        out_per_s: Output records per second, as of their last heartbeats.
        partitions: The lag of each input partition (read from the log now).
        dead_letter_topic: Where the query sends what it cannot process.
        dead_letter_records: The records on that topic now, whoever wrote them and when
            (``0`` before the query first ran).
    """

    id: str
    group: str
    sink: str
    records_in: int
    records_out: int
    dead_letters: int
    late: int
    in_per_s: float
    out_per_s: float
    partitions: tuple[PartitionLag, ...]
    dead_letter_topic: str = ""
    dead_letter_records: int = 0

    @property
    def lag(self) -> int:
        """Input records not processed yet, over every input partition."""
        return sum(item.lag for item in self.partitions)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape (REST API, ``--json``)."""
        return {
            "id": self.id,
            "group": self.group,
            "sink": self.sink,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "dead_letters": self.dead_letters,
            "late": self.late,
            "in_per_s": self.in_per_s,
            "out_per_s": self.out_per_s,
            "lag": self.lag,
            "partitions": [item.to_json() for item in self.partitions],
            "dead_letter_topic": self.dead_letter_topic,
            "dead_letter_records": self.dead_letter_records,
        }


@dataclass(frozen=True, slots=True)
class AppStatus:
    """An application's record, its live instances, and each query's counters and lag.

    Attributes:
        app: The record.
        instances: The live instances (a heartbeat within three of their intervals).
        queries: Per query, counters summed over the live instances and the lag per input
            partition.
    """

    app: StreamApp
    instances: tuple[Instance, ...]
    queries: tuple[QueryStatus, ...]

    @property
    def records_in(self) -> int:
        """Input records read by the live instances."""
        return sum(query.records_in for query in self.queries)

    @property
    def records_out(self) -> int:
        """Records written by the live instances."""
        return sum(query.records_out for query in self.queries)

    @property
    def dead_letters(self) -> int:
        """Records on the application's dead-letter topics (kept across runs and resets,
        unlike the live instances' counters)."""
        return sum(query.dead_letter_records for query in self.queries)

    @property
    def lag(self) -> int:
        """Input records not processed yet, over every query."""
        return sum(query.lag for query in self.queries)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape (REST API, ``--json``): the record's fields, then ``instances``,
        ``queries`` and the totals."""
        return {
            **self.app.to_json(),
            "instances": [instance.to_json() for instance in self.instances],
            "queries": [query.to_json() for query in self.queries],
            "alive": len(self.instances),
            "records_in": self.records_in,
            "records_out": self.records_out,
            "dead_letters": self.dead_letters,
            "lag": self.lag,
        }
