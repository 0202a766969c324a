"""Lag by offsets on a real Kafka-protocol broker with PostgreSQL as the metadata store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.control import ProductSource
from streammesh.log import ConsumerOptions
from streammesh.observe import MeshMonitor, SloLedger
from streammesh.products.loading import parse_descriptor
from streammesh.runtime import MeshRuntime
from tests.unit.observe.meshes import GROUP_OPTIONS, descriptor_text, produce

pytestmark = pytest.mark.kafka

SCHEMA = '{"type": "record", "name": "Row", "fields": [{"name": "id", "type": "string"}]}'


@pytest.fixture
def mesh(tmp_path: Path, kafka_bootstrap: str, migrated_postgres_url: str) -> Iterator[MeshRuntime]:
    config = MeshConfig.load(
        tmp_path / "mesh", log_url=f"kafka://{kafka_bootstrap}", store_url=migrated_postgres_url
    )
    with MeshRuntime.open(config) as opened:
        yield opened


def test_lag_before_and_after_a_group_consumes(mesh: MeshRuntime) -> None:
    # Topics of a broker shared by the whole session: a fresh domain keeps them apart.
    name = f"obs{uuid.uuid4().hex[:8]}.trades"
    text = descriptor_text(name, "obs-team", "measurement", "{tier: 2, freshness: 15m}")
    mesh.plane.apply([ProductSource(parse_descriptor(text), SCHEMA, name)], actor="admin")
    product = f"{name}.v1"
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    produce(mesh, product, 0, 5, at_ms=now_ms)
    produce(mesh, product, 2, 3, at_ms=now_ms)
    monitor = MeshMonitor(mesh.plane, mesh.log, SloLedger(mesh.store))
    ends = monitor.product_metrics(product).end_offsets
    assert ends == {0: 5, 1: 0, 2: 3, 3: 0}

    [before] = monitor.lag("kafka-readers", product)
    assert (before.total, before.caught_up) == (8, False)
    assert not monitor.caught_up("kafka-readers", product, {0: 5, 2: 3}).caught_up

    options = ConsumerOptions(group="kafka-readers", auto_commit=False, **GROUP_OPTIONS)
    with mesh.log.consumer(options) as consumer:
        consumer.subscribe([product])
        read = 0
        for _ in range(60):
            read += len(consumer.poll(0.5))
            if read >= 8:
                break
        consumer.commit()
    assert read == 8

    [after] = monitor.lag("kafka-readers", product)
    assert (after.total, after.caught_up) == (0, True)
    assert [p.committed for p in after.partitions if p.end] == [5, 3]
    answer = monitor.caught_up("kafka-readers", product, {0: 5, 2: 3}, wait_s=5)
    assert answer.caught_up and answer.behind == {}
    assert [lag.product for lag in monitor.lag("kafka-readers")] == [product]
