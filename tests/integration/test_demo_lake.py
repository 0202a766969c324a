"""The demo's Parquet sink of page views: recorded by the seed with its own service account
and read grant, run as recorded, its files answer the DuckDB query the summary prints."""

from __future__ import annotations

import re
import shlex
import threading
import time
from pathlib import Path

import duckdb
import pytest

from streammesh.access import AccessService, AccessState
from streammesh.connect import ConnectorDesired, ConnectorManager, ConnectorPlacement, WorkerOptions
from streammesh.demo import LAKE
from streammesh.identity import AccountKind
from streammesh.sdk import Mesh
from tests.unit.cli.invoking import invoke_cli


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-lake") / "mesh"


@pytest.fixture(scope="module")
def summary(home: Path) -> str:
    result = invoke_cli("demo", "--mesh", str(home), "--no-serve", "--duration", "2")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _query(summary: str) -> str:
    line = re.search(r"^  (duckdb -c .*)$", summary, re.MULTILINE)
    assert line, summary
    command = shlex.split(line.group(1))
    assert command[:2] == ["duckdb", "-c"]
    return command[2]


def test_the_seed_records_the_parquet_sink_for_the_server_with_a_read_grant(
    home: Path, summary: str
) -> None:
    assert (
        "Parquet sink pageviews-lake (placement server): lands edge.pageviews.v2 under "
        f"{home / 'lake'}/" in summary
    )
    with Mesh.open(home) as mesh:
        connector = ConnectorManager(mesh.local.store).connector(LAKE.name)
        assert connector.placement is ConnectorPlacement.SERVER
        assert connector.desired is ConnectorDesired.RUNNING
        assert connector.kind == "parquet" and connector.principal == LAKE.name
        access = AccessService(mesh.local.store, mesh.local.plane)
        account = access.accounts.find(LAKE.name)
        assert account is not None and account.kind is AccountKind.SERVICE_ACCOUNT
        assert account.team == "web-analytics"
        [request] = access.list(product="edge.pageviews.v2", principal=LAKE.name)
        assert request.state is AccessState.APPROVED


def test_duckdb_reads_every_page_view_the_recorded_sink_landed(home: Path, summary: str) -> None:
    with Mesh.open(home) as mesh:
        manager = ConnectorManager(mesh.local.store)
        definition = manager.definition(manager.connector(LAKE.name))
        described = mesh.local.log.describe_topic("edge.pageviews.v2")
        views = sum(described.end_offsets.values())
        assert views > 0
        worker = mesh.local.connect.worker(definition, WorkerOptions(flush_interval_s=0.2))
        deadline = time.monotonic() + 30
        thread = threading.Thread(
            target=worker.run,
            args=(lambda: worker.progress().records_out >= views or time.monotonic() > deadline,),
        )
        thread.start()
        thread.join(40)
        worker.close()
        assert worker.progress().last_error is None
    assert list((home / "lake").rglob("*.parquet"))
    [(total,)] = duckdb.sql(f"SELECT sum(views) FROM ({_query(summary)})").fetchall()
    assert total == views
