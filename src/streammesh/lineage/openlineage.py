"""OpenLineage run events as the lineage core sees them, and the mapping of their datasets
onto the mesh.

The HTTP boundary validates the JSON (``streammesh.server.api.models.lineage``) and hands over
a :class:`RunEvent`. A dataset whose name is a product topic ``<domain>.<name>.v<N>`` that the
mesh holds is that product, whatever its namespace (Kafka's naming puts the bootstrap server
there); any other dataset is an external system's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

OPENLINEAGE_PRODUCER = "https://github.com/streammesh/streammesh"
"""The ``producer`` URI of the events streammesh exports."""
RUN_EVENT_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
"""The OpenLineage spec version the exported events follow."""
MESH_NAMESPACE = "streammesh"
"""The OpenLineage namespace of the mesh's own applications (jobs) and products (datasets)."""
_RUN_IDS = uuid.UUID("6c1f3d1e-2f5b-4e39-9f0c-6d3b2f8f2a10")


class RunState(StrEnum):
    """An OpenLineage run event's ``eventType``."""

    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ABORT = "ABORT"
    FAIL = "FAIL"
    OTHER = "OTHER"


class DatasetRole(StrEnum):
    """Whether a run read or wrote a dataset."""

    INPUT = "input"
    OUTPUT = "output"


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """An OpenLineage dataset: ``namespace`` (the system, e.g. ``kafka://broker:9092``) and
    ``name`` (e.g. a topic or ``schema.table``)."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class JobRef:
    """An OpenLineage job: a pipeline, a stream processor, a connector."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One validated OpenLineage run event."""

    state: RunState
    time: datetime
    run_id: str
    job: JobRef
    inputs: tuple[DatasetRef, ...]
    outputs: tuple[DatasetRef, ...]
    producer: str


@dataclass(frozen=True, slots=True)
class ObservedJob:
    """What the mesh knows of a job from its run events: its last run and the datasets its
    runs read and wrote."""

    job: JobRef
    last_run_id: str
    last_state: RunState
    producer: str
    first_seen: datetime
    last_seen: datetime
    runs: int
    inputs: tuple[DatasetRef, ...]
    outputs: tuple[DatasetRef, ...]

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API and ``--json`` output."""
        return {
            "namespace": self.job.namespace,
            "name": self.job.name,
            "last_run_id": self.last_run_id,
            "last_state": self.last_state.value,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "runs": self.runs,
            "inputs": [{"namespace": d.namespace, "name": d.name} for d in self.inputs],
            "outputs": [{"namespace": d.namespace, "name": d.name} for d in self.outputs],
        }


def run_event_document(
    *,
    state: RunState,
    time: datetime,
    run_id: str,
    job: JobRef,
    inputs: tuple[DatasetRef, ...],
    outputs: tuple[DatasetRef, ...],
    producer: str = OPENLINEAGE_PRODUCER,
    facets: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The OpenLineage JSON of a run event (the RunEvent shape of the spec); a dataset named
    in ``facets`` (by dataset name) carries those dataset facets."""
    known = facets or {}

    def dataset(ref: DatasetRef) -> dict[str, Any]:
        document: dict[str, Any] = {"namespace": ref.namespace, "name": ref.name}
        if ref.name in known:
            document["facets"] = known[ref.name]
        return document

    return {
        "eventType": state.value,
        "eventTime": time.isoformat(),
        "producer": producer,
        "schemaURL": RUN_EVENT_SCHEMA_URL,
        "run": {"runId": run_id},
        "job": {"namespace": job.namespace, "name": job.name},
        "inputs": [dataset(d) for d in inputs],
        "outputs": [dataset(d) for d in outputs],
    }


def stable_run_id(job: JobRef) -> str:
    """A UUID for a job that has no OpenLineage run of its own (a registered application):
    the same on every export, so consumers of the export do not see a new run each time."""
    return str(uuid.uuid5(_RUN_IDS, f"{job.namespace}/{job.name}"))
