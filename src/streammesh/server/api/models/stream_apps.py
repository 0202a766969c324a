"""Stream applications: deploy, explain, and the status the lifecycle routes answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_SQL = 128 * 1024
"""The longest script accepted: the SQL parser's own bound (``SqlTooLarge``)."""

MAX_DESCRIPTOR = 256 * 1024
"""The longest descriptor file accepted with a script."""


class DeployBody(BaseModel):
    """A stream application to deploy: the server hosts it (placement ``server``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=200,
        description="The application's name (lowercase letters, digits, dashes): its consumer "
        "group and its node in the lineage graph. Deploying a name again replaces its script.",
        examples=["trending-app"],
    )
    sql: str = Field(
        min_length=1,
        max_length=MAX_SQL,
        description="The ksqlDB statements; a query with WITH (product='d.name') publishes "
        "that data product.",
        examples=[
            "CREATE TABLE trending WITH (product='analytics.trending_stocks') AS SELECT symbol, "
            "SUM(quantity) AS total FROM execution.stocktrades WINDOW TUMBLING (SIZE 15 MINUTES) "
            "GROUP BY symbol EMIT CHANGES;"
        ],
    )
    principal: str | None = Field(
        default=None,
        max_length=200,
        description="The service account it runs as; it needs a read grant on every input "
        "product. Null: the mesh's operator (platform admins and governance only).",
    )
    descriptor: str | None = Field(
        default=None,
        max_length=MAX_DESCRIPTOR,
        description="A descriptor file's YAML for the product a query publishes (its key, "
        "schema and upstreams come from the query).",
    )


class ExplainBody(BaseModel):
    """A script to plan against the mesh without deploying it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        default="explain",
        min_length=1,
        max_length=200,
        description="The application's name, which names its internal topics.",
    )
    sql: str = Field(min_length=1, max_length=MAX_SQL, description="The ksqlDB statements.")
    principal: str | None = Field(
        default=None,
        max_length=200,
        description="A service account whose grants are checked (null: none checked).",
    )
    descriptor: str | None = Field(default=None, max_length=MAX_DESCRIPTOR)


class AppQueryDocument(BaseModel):
    """One persistent query as deployed."""

    id: str
    group: str
    sink: str
    inputs: list[str]
    changelogs: list[str]


class StreamAppDocument(BaseModel):
    """A stream application as recorded."""

    name: str
    sql: str
    descriptor: str | None
    principal: str | None = Field(description="The service account it runs as.")
    placement: Literal["server", "process"] = Field(
        description="`server`: hosted by `streammesh up`; `process`: its own `streams run`."
    )
    desired: Literal["running", "stopped"]
    epoch: int = Field(description="Bumped by each reset.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    stopped_by: str | None
    queries: list[AppQueryDocument]


class InstanceDocument(BaseModel):
    """One live process running the application, as its last heartbeat said."""

    instance: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    interval_s: float
    progress: list[dict[str, object]] = Field(
        description="Each query's progress in that process (counters, rates, its partitions)."
    )
    error: str | None = Field(description="The last error it reported (e.g. before a restart).")


class PartitionLagDocument(BaseModel):
    """How far a query's group is behind on one input partition."""

    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int


class QueryStatusDocument(BaseModel):
    """One query's counters, summed over the live instances, and its lag."""

    id: str
    group: str
    sink: str
    records_in: int
    records_out: int
    dead_letters: int
    late: int
    in_per_s: float
    out_per_s: float
    lag: int
    partitions: list[PartitionLagDocument]
    dead_letter_topic: str = Field(description="Where the query sends what it cannot process.")
    dead_letter_records: int = Field(
        description="The records on that topic now (kept across runs, unlike the counters)."
    )


class AppStatusDocument(BaseModel):
    """An application's record, its live instances, each query's counters and lag, and the
    totals (``queries`` here are the status of each query)."""

    name: str
    sql: str
    descriptor: str | None
    principal: str | None
    placement: Literal["server", "process"]
    desired: Literal["running", "stopped"]
    epoch: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    stopped_by: str | None
    instances: list[InstanceDocument]
    queries: list[QueryStatusDocument]
    alive: int = Field(description="Live instances.")
    records_in: int
    records_out: int
    dead_letters: int = Field(
        description="Records on the application's dead-letter topics (kept across runs)."
    )
    lag: int


class StateStoreDocument(BaseModel):
    """A state store a query creates and its changelog topic."""

    name: str
    changelog: str


class ExplainedSink(BaseModel):
    """What a query writes."""

    name: str
    kind: str
    topic: str


class ExplainedQuery(BaseModel):
    """One persistent query as it would run."""

    id: str
    application: str = Field(description="Its engine application: consumer group.")
    sink: ExplainedSink
    plan: str = Field(description="The plan as a tree.")
    runs: bool = Field(description="Whether the engine runs it.")
    not_supported: str | None
    state_stores: list[StateStoreDocument]
    internal_topics: list[str]


class ExplainDocument(BaseModel):
    """A script planned against the mesh; nothing was changed."""

    application: str
    inputs: list[str]
    outputs: list[str]
    queries: list[ExplainedQuery]
