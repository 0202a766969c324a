"""A real mesh (``MeshRuntime.open``: embedded log, metadata store on SQLite and on
PostgreSQL) with the input topic ``trades`` of the scripts below."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.log import EventLog, TopicSpec
from streammesh.runtime import MeshRuntime

FILTER = """
CREATE STREAM trades (id VARCHAR KEY, price INT) WITH (kafka_topic='trades', key_format='KAFKA',
  value_format='JSON');
CREATE STREAM big AS SELECT id, price FROM trades WHERE price > 500 EMIT CHANGES;
"""
"""One stateless query: group ``<app>``, sink ``BIG``."""

COUNTS = """
CREATE STREAM trades (id VARCHAR KEY, price INT) WITH (kafka_topic='trades', key_format='KAFKA',
  value_format='JSON');
CREATE TABLE counts AS SELECT id, COUNT(*) AS n FROM trades GROUP BY id EMIT CHANGES;
"""
"""One aggregation: a state store with its changelog topic."""


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MeshRuntime]:
    home = tmp_path / "mesh"
    home.mkdir()
    store_url = (
        f"sqlite:///{home / 'meta.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("migrated_postgres_url")
    )
    config = MeshConfig(home=home, log_url=f"embedded://{home / 'log'}", store_url=store_url)
    with MeshRuntime.open(config) as opened:
        opened.log.create_topic(TopicSpec("trades", partitions=2))
        yield opened


def send(log: EventLog, rows: list[tuple[str, int]]) -> None:
    """Trades ``(id, price)`` on ``trades``, keyed by id."""
    with log.producer() as producer:
        for key, price in rows:
            producer.send("trades", json.dumps({"PRICE": price}).encode(), key=key.encode())
        producer.flush()
