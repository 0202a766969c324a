"""The source worker's transactions on Kafka (the session's tansu broker): a source run twice
writes each position exactly once, resuming from ``<name>.offsets`` (read_committed)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.connect import WorkerOptions, parse_definition, unregister_kind
from streammesh.identity import AccountKind
from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh
from tests.integration.connect import worker_doubles
from tests.integration.connect.test_worker import order_numbers, read_topic
from tests.unit.cli.invoking import invoke_cli


@pytest.fixture(autouse=True)
def _doubles() -> Iterator[None]:
    worker_doubles.register()
    yield
    unregister_kind("test-counter")


@pytest.mark.kafka
def test_a_source_on_kafka_writes_each_position_once_across_restarts(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    domain = f"k{uuid.uuid4().hex[:8]}"  # the broker is shared by the session's tests
    assert invoke_cli("init", domain, "--dir", str(tmp_path / "repo")).exit_code == 0
    folder = tmp_path / "repo" / domain
    product = f"{domain}.orders"
    name = f"{domain}-counter"
    config = MeshConfig.load(tmp_path / "mesh", log_url=f"kafka://{kafka_bootstrap}")
    with MeshRuntime.open(config) as runtime:
        InProcessMesh(runtime, actor="owner").apply([folder])
        runtime.access.create_account(
            "ingest", AccountKind.SERVICE_ACCOUNT, team=f"{domain}-team", description="", actor="a"
        )
        options = WorkerOptions(poll_timeout_s=0.05)
        for total in (120, 200):
            text = json.dumps(
                {
                    "name": name,
                    "kind": "test-counter",
                    "principal": "ingest",
                    "config": {"products": [product], "total": total, "batch": 15},
                }
            )
            with runtime.connect.worker(parse_definition(text), options) as worker:
                worker.run(lambda total=total: worker.progress().position == {"n": total})
        assert order_numbers(runtime, product) == list(range(1, 201))
        offsets = read_topic(runtime, f"{name}.offsets")
        assert json.loads(offsets[-1].value or b"") == {"position": {"n": 200}}
