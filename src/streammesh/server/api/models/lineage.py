"""Lineage graphs, impact analysis and OpenLineage run events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AnyUrl, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from streammesh.lineage import DatasetRef, EdgeKind, JobRef, NodeKind, Origin, RunEvent, RunState

Name = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class NodeDocument(BaseModel):
    """A product version, an application (or OpenLineage job) or an external dataset."""

    id: str = Field(
        description="`product:<name>.v<N>`, `application:<name>`, "
        "`application:<namespace>/<job>` or `dataset:<namespace>/<name>`."
    )
    kind: NodeKind
    name: str
    namespace: str | None = Field(description="OpenLineage namespace (none for the mesh's own).")
    team: str | None = Field(description="The owning team, when known.")
    contact: str | None = Field(description="An e-mail of the owners, when known.")
    status: str | None = Field(description="A product's lifecycle status.")


class ActivityDocument(BaseModel):
    """What is known of an edge's traffic."""

    last_seen: datetime | None
    active: bool | None = Field(description="Seen within the consumer-active window.")
    lag: int | None = Field(
        description="Records the consumer group has still to read, by committed offsets."
    )
    rate: float | None = Field(description="Events per second, when measured.")


class EdgeDocument(BaseModel):
    """A downstream-pointing edge (`source` is upstream of `target`)."""

    source: str
    target: str
    kind: EdgeKind
    origins: list[Origin] = Field(description="Where the edge was learnt.")
    activity: ActivityDocument


class LineageGraphDocument(BaseModel):
    """Nodes and edges: the whole mesh or a product's neighbourhood."""

    center: str | None = Field(
        description="The node id of the product asked about (none for the whole mesh)."
    )
    nodes: list[NodeDocument]
    edges: list[EdgeDocument]


class DependentDocument(BaseModel):
    """An application or product downstream of a product."""

    kind: Literal["application", "product"]
    name: str
    team: str | None
    contact: str | None = Field(description="An e-mail to notify, when known.")
    depth: int = Field(description="Hops from the product; 1 is directly downstream.")


class ImpactDocument(BaseModel):
    """Everything downstream of a product, nearest first."""

    product: str = Field(description="The product analysed, `<name>.v<N>`.")
    dependents: list[DependentDocument]


class _OpenLineagePart(BaseModel):
    # OpenLineage events carry facets and fields of later spec versions: keep what is known.
    model_config = ConfigDict(extra="ignore")


class OpenLineageFacet(BaseModel):
    """A facet of any kind: the spec's ``BaseFacet`` requires ``_producer`` and
    ``_schemaURL``; the rest is the facet's own and kept as sent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    producer: AnyUrl = Field(alias="_producer", description="URI of the code that made it.")
    schemaURL: AnyUrl = Field(alias="_schemaURL", description="URL of the facet's spec.")


Facets = Annotated[
    dict[Name, OpenLineageFacet],
    Field(
        default_factory=dict, description="Facets by name, each with `_producer` and `_schemaURL`."
    ),
]


class OpenLineageRun(_OpenLineagePart):
    runId: uuid.UUID = Field(description="The run's UUID.")
    facets: Facets


class OpenLineageJob(_OpenLineagePart):
    namespace: Name = Field(description="The job's namespace, e.g. `airflow`.")
    name: Name = Field(description="The job's name, unique in its namespace.")
    facets: Facets


class OpenLineageDataset(_OpenLineagePart):
    namespace: Name = Field(
        description="The dataset's system, e.g. `kafka://broker:9092` or `s3://bucket`."
    )
    name: Name = Field(
        description="The dataset's name; a product topic `<name>.v<N>` is that product."
    )
    facets: Facets
    inputFacets: Facets
    outputFacets: Facets

    def reference(self) -> DatasetRef:
        return DatasetRef(self.namespace, self.name)


class OpenLineageRunEvent(_OpenLineagePart):
    """An OpenLineage `RunEvent` (spec 2-0-x): the state of a job's run and the datasets it
    reads and writes."""

    eventType: RunState = Field(
        default=RunState.OTHER, description="START, RUNNING, COMPLETE, ABORT, FAIL or OTHER."
    )
    eventTime: AwareDatetime = Field(description="When the event happened, with its offset.")
    producer: AnyUrl = Field(description="URI of the code that produced the event.")
    schemaURL: AnyUrl = Field(description="URL of the OpenLineage spec version followed.")
    run: OpenLineageRun
    job: OpenLineageJob
    inputs: list[OpenLineageDataset] = Field(default_factory=list)
    outputs: list[OpenLineageDataset] = Field(default_factory=list)

    def event(self) -> RunEvent:
        """The lineage core's view of this event."""
        return RunEvent(
            state=self.eventType,
            time=self.eventTime,
            run_id=str(self.run.runId),
            job=JobRef(self.job.namespace, self.job.name),
            inputs=tuple(dataset.reference() for dataset in self.inputs),
            outputs=tuple(dataset.reference() for dataset in self.outputs),
            producer=str(self.producer),
        )


class OpenLineageDatasetDocument(BaseModel):
    namespace: str
    name: str


class OpenLineageExportedDataset(OpenLineageDatasetDocument):
    facets: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="A product's standard dataset facets: `schema`, `ownership`, "
        "`documentation`, `datasource` and `symlinks` (none on external datasets).",
    )


class OpenLineageRunDocument(BaseModel):
    runId: str


class OpenLineageJobDocument(BaseModel):
    namespace: str
    name: str


class OpenLineageEventDocument(BaseModel):
    """An exported OpenLineage `RunEvent`."""

    eventType: RunState
    eventTime: datetime
    producer: str
    schemaURL: str
    run: OpenLineageRunDocument
    job: OpenLineageJobDocument
    inputs: list[OpenLineageExportedDataset]
    outputs: list[OpenLineageExportedDataset]


class ObservedJobDocument(BaseModel):
    """A job as the mesh knows it after an event: its last run and every dataset seen."""

    namespace: str
    name: str
    last_run_id: str
    last_state: RunState
    first_seen: datetime
    last_seen: datetime
    runs: int = Field(description="Runs seen (distinct run ids, in arrival order).")
    inputs: list[OpenLineageDatasetDocument]
    outputs: list[OpenLineageDatasetDocument]
