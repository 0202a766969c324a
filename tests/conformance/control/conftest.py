"""Fixtures of the control-plane suite: every test runs on the embedded log with SQLite and
on Kafka (the tansu broker) with PostgreSQL."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.control import ControlPlane, ControlSettings, ProductSource
from streammesh.governance import MeshReview
from streammesh.products.lifecycle import LifecyclePolicy
from streammesh.runtime import MeshRuntime

_counter = itertools.count()

SCHEMA = """{
  "type": "record", "name": "Trade", "namespace": "test",
  "fields": [
    {"name": "trade_id", "type": "string", "doc": "Identifier."},
    {"name": "symbol", "type": "string", "doc": "Ticker."},
    {"name": "price", "type": "double", "doc": "Price."}
  ]
}"""

DESCRIPTOR = """\
name: {name}
owner: {{name: Ada Lovelace, email: ada@example.com}}
team: {team}
description: Trades of the test domain.
alignment: source
kind: measurement
key: {{field: trade_id, type: string}}
schema: trades.avsc
version: {version}
partitions: {partitions}
retention: {retention}
sla: {{tier: 2}}
status: {status}
{extra}"""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["embedded+sqlite", pytest.param("kafka+postgres", marks=pytest.mark.kafka)])
def mesh(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[MeshRuntime]:
    if request.param == "embedded+sqlite":
        config = MeshConfig.load(tmp_path / "mesh")
    else:
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        config = MeshConfig.load(
            tmp_path / "mesh",
            log_url=f"kafka://{bootstrap}",
            store_url=request.getfixturevalue("migrated_postgres_url"),
        )
    opened = MeshRuntime.open(config)
    settings = ControlSettings(
        LifecyclePolicy(timedelta(0), timedelta(days=30)), consumer_active_window=timedelta(days=7)
    )
    plane = ControlPlane(
        opened.store,
        opened.log,
        opened.registry,
        reviews=MeshReview.load,
        settings=settings,
        clock=clock,
    )
    yield dataclasses.replace(opened, plane=plane)
    plane.close()
    opened.close()


@pytest.fixture
def plane(mesh: MeshRuntime) -> ControlPlane:
    return mesh.plane


@pytest.fixture
def domain() -> str:
    # Topics of a broker shared by the whole session: a fresh domain per test keeps them apart.
    return f"dom{next(_counter)}{uuid.uuid4().hex[:6]}"


SourceFactory = Callable[..., ProductSource]


@pytest.fixture
def source(domain: str) -> SourceFactory:
    def make(
        product: str = "trades",
        *,
        version: int = 1,
        partitions: str = "s",
        retention: str = "full-history",
        status: str = "published",
        schema: str = SCHEMA,
        team: str | None = None,
        extra: str = "",
    ) -> ProductSource:
        text = DESCRIPTOR.format(
            name=f"{domain}.{product}",
            team=team or f"{domain}-team",
            version=version,
            partitions=partitions,
            retention=retention,
            status=status,
            extra=extra,
        )
        return ProductSource.parse(text, schema, origin=f"{product}.yaml")

    return make
