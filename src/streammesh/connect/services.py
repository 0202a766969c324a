"""What a connector's worker runs on: the mesh's services, and the names of its own topics."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streammesh.access import AccessControl
from streammesh.connect.base import ConnectorContext, DeadLetter
from streammesh.control import ControlPlane
from streammesh.dataplane import DataPlane
from streammesh.lineage import (
    MESH_NAMESPACE,
    OPENLINEAGE_PRODUCER,
    DatasetRef,
    JobRef,
    OpenLineageRuns,
    RunEvent,
    RunState,
)
from streammesh.log import CleanupPolicy, EventLog, TopicNotFound, TopicSpec
from streammesh.registry import SchemaRegistry

__all__ = [
    "WorkerServices",
    "consumer_group",
    "dead_letter_topic",
    "dead_letter_value",
    "external_dataset",
    "offsets_topic",
    "product_dataset",
    "transactional_id",
]


@dataclass(frozen=True, slots=True)
class WorkerServices:
    """The mesh's services a worker uses (``MeshRuntime`` builds it).

    Attributes:
        plane: Products, their schema changes (plan/apply) and registered applications.
        data: Encoding and decoding events as the data plane's producers and consumers do.
        grants: Who may read and write which product.
        log: The event log.
        registry: The schema registry (a sink hands each record's schema text on).
        home: The mesh directory; a connector's state dir is ``<home>/connect/<name>``.
        runs: Where the connector's datasets outside the mesh are recorded for lineage (as
            OpenLineage runs: tables and files read, destinations written); ``None``: not
            recorded.
        store_url: The mesh's metadata store, handed to the connectors it creates.
    """

    plane: ControlPlane
    data: DataPlane
    grants: AccessControl
    log: EventLog
    registry: SchemaRegistry
    home: Path
    runs: OpenLineageRuns | None = None
    store_url: str | None = None

    def context(self, name: str, dead_letter: DeadLetter) -> ConnectorContext:
        """What a connector named ``name`` is created with."""
        return ConnectorContext(
            name, self.state_dir(name), dead_letter, mesh_home=self.home, store_url=self.store_url
        )

    def state_dir(self, name: str) -> Path:
        """The connector's own directory (created)."""
        path = self.home / "connect" / name
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def ensure_topic(self, name: str, *, compacted: bool = False) -> None:
        """Create the one-partition topic ``name`` when missing."""
        try:
            self.log.describe_topic(name)
        except TopicNotFound:
            policy = CleanupPolicy.COMPACT if compacted else CleanupPolicy.DELETE
            retention = None if compacted else 7 * 24 * 3_600_000
            self.log.create_topic(
                TopicSpec(name, partitions=1, cleanup_policy=policy, retention_ms=retention)
            )

    def record_run(
        self,
        connector: str,
        run_id: str,
        inputs: tuple[DatasetRef, ...],
        outputs: tuple[DatasetRef, ...],
    ) -> None:
        """Record for lineage that ``connector`` reads ``inputs`` and writes ``outputs`` (a
        product is a dataset named by its topic; the graph maps it onto the product)."""
        if self.runs is None:
            return
        self.runs.record(
            RunEvent(
                RunState.RUNNING,
                datetime.now(UTC),
                run_id,
                JobRef(MESH_NAMESPACE, connector),
                inputs,
                outputs,
                OPENLINEAGE_PRODUCER,
            )
        )


def external_dataset(kind: str, name: str) -> DatasetRef:
    """A dataset outside the mesh a connector of ``kind`` reads or writes (a table, a folder),
    in the namespace ``connect:<kind>``."""
    return DatasetRef(f"connect:{kind}", name)


def product_dataset(topic: str) -> DatasetRef:
    """A product's topic as a lineage dataset."""
    return DatasetRef(MESH_NAMESPACE, topic)


def offsets_topic(connector: str) -> str:
    """The compacted topic a source's committed position is kept in."""
    return f"{connector}.offsets"


def dead_letter_topic(connector: str) -> str:
    """The topic of what a connector could not turn into events or land."""
    return f"{connector}.dead-letter"


def transactional_id(connector: str) -> str:
    """A source's transactional id: a new worker of the connector fences the old one."""
    return f"connect-{connector}"


def consumer_group(connector: str) -> str:
    """A sink's consumer group (its committed offsets are for lag only)."""
    return f"connect-{connector}"


def dead_letter_value(
    connector: str,
    stream: str,
    reason: str,
    raw: Mapping[str, Any] | None,
    *,
    product: str | None = None,
    where: Mapping[str, Any] | None = None,
) -> bytes:
    """A dead letter as JSON: which connector and stream, why, and the raw input (values
    JSON cannot hold are written as their text)."""
    document: dict[str, Any] = {
        "connector": connector,
        "stream": stream,
        "product": product,
        "reason": reason,
        "raw": dict(raw) if raw is not None else None,
        "at_ms": int(time.time() * 1000),
    }
    if where is not None:
        document["where"] = dict(where)
    return json.dumps(document, default=str, sort_keys=True).encode("utf-8")
