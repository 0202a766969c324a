"""A mesh for the monitoring tests: ``execution.trades`` (measurements, 4 partitions,
freshness 15m, availability 99%) and ``customers.profiles`` (state, compacted, freshness 15m),
on the embedded log and SQLite (or a given store), with a settable clock."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streammesh.config import MeshConfig
from streammesh.control import ProductSource
from streammesh.log import ConsumerOptions, TopicPartition
from streammesh.products.loading import parse_descriptor
from streammesh.runtime import MeshRuntime
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS

TRADES = "execution.trades.v1"
PROFILES = "customers.profiles.v1"
GROUP_OPTIONS = {
    "session_timeout_ms": GROUP_SESSION_TIMEOUT_MS,
    "heartbeat_interval_ms": GROUP_HEARTBEAT_INTERVAL_MS,
}

_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Row",
        "fields": [{"name": "id", "type": "string", "doc": "Identifier."}],
    }
)


def descriptor_text(name: str, team: str, kind: str, sla: str, partitions: str = "s") -> str:
    return (
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: Rows for monitoring tests.\n"
        "alignment: source\n"
        f"kind: {kind}\n"
        "key: {field: id, type: string}\n"
        "schema: rows.avsc\n"
        f"partitions: {partitions}\n"
        f"sla: {sla}\n"
        "status: published\n"
    )


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    @property
    def ms(self) -> int:
        return int(self.now.timestamp() * 1000)


def open_observed_mesh(
    home: Path, *, log_url: str | None = None, store_url: str | None = None
) -> MeshRuntime:
    """The mesh with both products applied."""
    home.mkdir(parents=True, exist_ok=True)
    config = MeshConfig.load(home, log_url=log_url, store_url=store_url)
    mesh = MeshRuntime.open(config)
    sources = [
        ProductSource(
            parse_descriptor(
                descriptor_text(
                    "execution.trades",
                    "execution-team",
                    "measurement",
                    "{tier: 2, freshness: 15m, availability: 99}",
                )
            ),
            _SCHEMA,
            "trades",
        ),
        ProductSource(
            parse_descriptor(
                descriptor_text(
                    "customers.profiles",
                    "customers-team",
                    "state",
                    "{tier: 2, freshness: 15m}",
                    "xs",
                )
            ),
            _SCHEMA,
            "profiles",
        ),
    ]
    mesh.plane.apply(sources, actor="admin")
    return mesh


def produce(
    mesh: MeshRuntime, topic: str, partition: int, count: int, *, at_ms: int, size: int = 100
) -> None:
    """``count`` records of ``size`` value bytes and a 2-byte key to one partition."""
    with mesh.log.producer() as producer:
        for _ in range(count):
            producer.send(topic, b"x" * size, key=b"k1", partition=partition, timestamp_ms=at_ms)
        producer.flush(10)


def commit(mesh: MeshRuntime, group: str, topic: str, offsets: dict[int, int]) -> None:
    """Commit ``offsets`` for ``group`` as a consumer that read up to them would."""
    options = ConsumerOptions(group=group, auto_commit=False, **GROUP_OPTIONS)
    with mesh.log.consumer(options) as consumer:
        partitions = [TopicPartition(topic, p) for p in offsets]
        consumer.assign(partitions)
        consumer.commit({TopicPartition(topic, p): o for p, o in offsets.items()})
