"""The lineage graph's jobs and datasets as OpenLineage run events.

Each application node becomes one run event of its job: the datasets upstream of it are the
inputs and those downstream the outputs; products are datasets named by their topic. A job
that OpenLineage told the mesh about keeps its last run id, state and time; an application
the mesh saw register gets a stable run id, ``RUNNING`` while active and ``COMPLETE``
otherwise. A product dataset carries its standard facets (schema, ownership, documentation,
datasource, symlinks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from streammesh.lineage.graph import LineageGraph, Node, NodeKind
from streammesh.lineage.openlineage import (
    MESH_NAMESPACE,
    DatasetRef,
    JobRef,
    ObservedJob,
    RunState,
    run_event_document,
    stable_run_id,
)


def export_events(
    graph: LineageGraph,
    jobs: Sequence[ObservedJob],
    *,
    now: datetime,
    dataset_namespace: str = MESH_NAMESPACE,
    facets: Mapping[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One OpenLineage run event per application of ``graph``, by job namespace and name.

    Args:
        graph: The lineage graph to export.
        jobs: The OpenLineage jobs the mesh recorded (for their run ids and states).
        now: The event time of applications never seen (no activity recorded).
        dataset_namespace: The namespace of the mesh's products as datasets.
        facets: The dataset facets of each product, by topic (see
            :func:`~streammesh.lineage.facets.product_facets`); external datasets have none.
    """
    observed = {(job.job.namespace, job.job.name): job for job in jobs}

    def dataset(node: Node) -> DatasetRef:
        if node.kind is NodeKind.PRODUCT:
            return DatasetRef(dataset_namespace, node.name)
        return DatasetRef(node.namespace or MESH_NAMESPACE, node.name)

    events = []
    for node in graph.nodes.values():
        if node.kind is not NodeKind.APPLICATION:
            continue
        job = JobRef(node.namespace or MESH_NAMESPACE, node.name)
        incoming = graph.upstream_of(node.id)
        outgoing = graph.downstream_of(node.id)
        inputs = tuple(dataset(graph.nodes[edge.source]) for edge in incoming)
        outputs = tuple(dataset(graph.nodes[edge.target]) for edge in outgoing)
        seen = [
            edge.activity.last_seen
            for edge in (*incoming, *outgoing)
            if edge.activity.last_seen is not None
        ]
        run = observed.get((job.namespace, job.name))
        if run is not None:
            state, run_id, time = run.last_state, run.last_run_id, run.last_seen
        else:
            active = any(edge.activity.active for edge in (*incoming, *outgoing))
            state = RunState.RUNNING if active else RunState.COMPLETE
            run_id, time = stable_run_id(job), max(seen) if seen else now
        events.append(
            run_event_document(
                state=state,
                time=time,
                run_id=run_id,
                job=job,
                inputs=inputs,
                outputs=outputs,
                facets=facets or {},
            )
        )
    return sorted(events, key=lambda event: (event["job"]["namespace"], event["job"]["name"]))
