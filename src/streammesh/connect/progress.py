"""What a running connector reports: its counters, position or lag, and last error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from streammesh.connect.kinds import Role

__all__ = ["PartitionLag", "WorkerProgress", "WorkerState"]


class WorkerState(StrEnum):
    """Where a worker is in its life."""

    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PartitionLag:
    """How many records of one partition a sink has still to land.

    Attributes:
        topic: The product's topic.
        partition: The partition.
        position: The next offset the sink reads.
        end: The partition's end (its last stable offset, read_committed).
    """

    topic: str
    partition: int
    position: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.position)


@dataclass(frozen=True, slots=True)
class WorkerProgress:
    """A snapshot of a connector's worker (safe to read from another thread).

    Attributes:
        connector: The connector's name.
        kind: Its kind.
        role: Source or sink.
        state: Created, running, stopped or failed.
        records_in: Records taken from the source's poll, or read from the products.
        records_out: Events committed to products (source), or records handed to the sink.
        dead_letters: Records sent to ``<name>.dead-letter``.
        last_error: The last error met (credentials redacted), ``None`` if none.
        position: A source's last committed position.
        lag: A sink's lag per partition.
        stopped: Per product a source no longer writes, why (its schema change was
            refused); its records go to the dead-letter topic.
    """

    connector: str
    kind: str
    role: Role
    state: WorkerState = WorkerState.CREATED
    records_in: int = 0
    records_out: int = 0
    dead_letters: int = 0
    last_error: str | None = None
    position: Mapping[str, Any] | None = None
    lag: tuple[PartitionLag, ...] = ()
    stopped: Mapping[str, str] = field(default_factory=dict)

    @property
    def total_lag(self) -> int:
        """The sink's lag summed over its partitions."""
        return sum(item.lag for item in self.lag)
