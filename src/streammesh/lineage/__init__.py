"""Lineage: the graph source → product → application → product → sink, built from what the
mesh sees happen (registered applications, access grants, declared upstreams and ports,
OpenLineage run events), impact analysis over it, and OpenLineage import and export.

Edges point downstream. Errors are the control plane's (``ProductNotFound`` for an unknown
product); OpenLineage events are validated at the HTTP boundary before they get here.
"""

from __future__ import annotations

from streammesh.lineage.builder import MeshLineage
from streammesh.lineage.export import export_events
from streammesh.lineage.graph import (
    Activity,
    Direction,
    Edge,
    EdgeKind,
    LineageGraph,
    Node,
    NodeKind,
    Origin,
    application_id,
    dataset_id,
    product_id,
)
from streammesh.lineage.impact_analysis import Dependent, dependents, impact
from streammesh.lineage.lag import group_lag
from streammesh.lineage.openlineage import (
    MESH_NAMESPACE,
    OPENLINEAGE_PRODUCER,
    RUN_EVENT_SCHEMA_URL,
    DatasetRef,
    JobRef,
    ObservedJob,
    RunEvent,
    RunState,
    run_event_document,
)
from streammesh.lineage.runs import OpenLineageRuns

__all__ = [
    "MESH_NAMESPACE",
    "OPENLINEAGE_PRODUCER",
    "RUN_EVENT_SCHEMA_URL",
    "Activity",
    "DatasetRef",
    "Dependent",
    "Direction",
    "Edge",
    "EdgeKind",
    "JobRef",
    "LineageGraph",
    "MeshLineage",
    "Node",
    "NodeKind",
    "ObservedJob",
    "OpenLineageRuns",
    "Origin",
    "RunEvent",
    "RunState",
    "application_id",
    "dataset_id",
    "dependents",
    "export_events",
    "group_lag",
    "impact",
    "product_id",
    "run_event_document",
]
