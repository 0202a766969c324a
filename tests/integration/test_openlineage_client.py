"""The official ``openlineage-python`` client posts run events to a real ``streammesh up``
unchanged (its own classes, facets included, its API-key auth), and the runs join the
lineage graph and the export."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated import (
    column_lineage_dataset,
    documentation_job,
    input_statistics_input_dataset,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    schema_dataset,
)
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

from tests.support.streammesh_server import StreammeshServer
from tests.unit.lineage.world import TRADES, open_world

KAFKA = "kafka://broker:9092"
WAREHOUSE = "postgres://warehouse:5432"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[StreammeshServer]:
    open_world(tmp_path / "mesh").close()
    with StreammeshServer(tmp_path / "mesh") as running:
        yield running


def _client(server: StreammeshServer) -> OpenLineageClient:
    assert server.admin_token is not None
    config = HttpConfig(
        url=server.url,
        endpoint="api/v1/openlineage",
        auth=ApiKeyTokenProvider({"api_key": server.admin_token}),
        retry={"total": 0},
    )
    return OpenLineageClient(transport=HttpTransport(config))


def _event(state: RunState, run_id: str) -> RunEvent:
    now = datetime.now(UTC)
    return RunEvent(
        eventType=state,
        eventTime=now.isoformat(),
        run=Run(
            runId=run_id,
            facets={"nominalTime": nominal_time_run.NominalTimeRunFacet(now.isoformat())},
        ),
        job=Job(
            namespace="airflow",
            name="trades_to_warehouse",
            facets={
                "documentation": documentation_job.DocumentationJobFacet("Copies trades."),
                "jobType": job_type_job.JobTypeJobFacet("BATCH", "AIRFLOW", "TASK"),
            },
        ),
        inputs=[
            InputDataset(
                namespace=KAFKA,
                name=f"{TRADES}.v1",
                facets={
                    "schema": schema_dataset.SchemaDatasetFacet(
                        fields=[schema_dataset.SchemaDatasetFacetFields("id", "string")]
                    )
                },
                inputFacets={
                    "inputStatistics": (
                        input_statistics_input_dataset.InputStatisticsInputDatasetFacet(rowCount=10)
                    )
                },
            )
        ],
        outputs=[
            OutputDataset(
                namespace=WAREHOUSE,
                name="dw.trades",
                facets={
                    "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(
                        fields={
                            "id": column_lineage_dataset.Fields(
                                inputFields=[
                                    column_lineage_dataset.InputField(KAFKA, f"{TRADES}.v1", "id")
                                ]
                            )
                        }
                    )
                },
                outputFacets={
                    "outputStatistics": (
                        output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                            rowCount=10
                        )
                    )
                },
            )
        ],
        producer="https://github.com/OpenLineage/OpenLineage/tree/main/client/python",
    )


def test_the_official_client_posts_runs_that_join_lineage_and_export(
    server: StreammeshServer,
) -> None:
    client = _client(server)
    run_id = str(uuid.uuid4())
    client.emit(_event(RunState.START, run_id))
    client.emit(_event(RunState.COMPLETE, run_id))

    headers = {"Authorization": f"Bearer {server.admin_token}"}
    graph = httpx.get(
        f"{server.url}/api/v1/lineage", params={"product": TRADES}, headers=headers
    ).json()
    job = "application:airflow/trades_to_warehouse"
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert (f"product:{TRADES}.v1", job) in edges

    exported = httpx.get(f"{server.url}/api/v1/openlineage/export", headers=headers).json()
    (event,) = [e for e in exported if e["job"]["name"] == "trades_to_warehouse"]
    assert event["eventType"] == "COMPLETE" and event["run"]["runId"] == run_id
    (trades,) = event["inputs"]
    assert trades["name"] == f"{TRADES}.v1"
    assert {"schema", "ownership", "documentation", "datasource", "symlinks"} <= set(
        trades["facets"]
    )
    assert event["outputs"] == [{"namespace": WAREHOUSE, "name": "dw.trades"}]
