"""Test doubles of the connector CONTRACT (not of any real system), for the worker's tests:

- ``test-counter``: a source that counts. Record ``n`` is the order ``o-<n>`` of one of its
  products (``products[n % len(products)]``), its position ``{"n": n}``; it can make some
  records break the schema (``invalid_every``), hand some rows to ``context.dead_letter``
  (``dead_every``), derive given schemas (``schemas``) and fail on start with a message that
  quotes its secret (as a careless driver would).
- ``test-landing``: a sink that keeps the records it flushes, with the offsets they cover,
  in one JSON file of its state dir (replaced atomically: data and offsets together).

``python -m tests.integration.connect.worker_doubles ARGS`` is ``streammesh ARGS`` with both
kinds registered (for ``connect run`` in a process of its own).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from streammesh.connect import (
    ConnectError,
    ConnectorContext,
    Position,
    SinkRecord,
    SourceRecord,
    register_kind,
)


class CounterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    products: list[str] = ["sales.orders"]
    total: int = 100
    batch: int = 10
    pause_s: float = 0.0
    invalid_every: int = 0
    dead_every: int = 0
    extra: dict[str, Any] = {}
    schemas: dict[str, str] = {}
    password: SecretStr | None = None
    fail_on_start: bool = False


class CounterSource:
    def __init__(self, config: CounterConfig, context: ConnectorContext) -> None:
        self.config = config
        self.context = context
        self.n = 0
        self.committed_at: Position | None = None

    def start(self, position: Position | None) -> None:
        if self.config.fail_on_start:
            secret = self.config.password.get_secret_value() if self.config.password else ""
            raise ConnectError(f"could not connect to postgresql://app:{secret}@db/shop")
        self.n = int(position["n"]) if position is not None else 0

    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        config = self.config
        if config.pause_s:
            time.sleep(config.pause_s)
        records: list[SourceRecord] = []
        while self.n < config.total and len(records) < config.batch:
            self.n += 1
            n = self.n
            if config.dead_every and n % config.dead_every == 0:
                self.context.dead_letter("orders", f"row {n} cannot convert", {"n": n})
                continue
            product = config.products[n % len(config.products)]
            status: object = (
                7 if config.invalid_every and n % config.invalid_every == 0 else "placed"
            )
            value = {
                "orders_id": f"o-{n}",
                "customer_email": f"user{n}@example.com",
                "status": status,
                "updated_at": datetime(2026, 12, 7, tzinfo=UTC),
                **config.extra,
            }
            records.append(
                SourceRecord(product, f"o-{n}", value, {"n": n}, stream=f"table-{product}")
            )
        if not records and not config.pause_s:
            time.sleep(min(timeout, 0.05))
        return records

    def committed(self, position: Position) -> None:
        self.committed_at = position
        (self.context.state_dir / "committed.json").write_text(json.dumps(dict(position)))

    def schemas(self) -> Mapping[str, str]:
        return self.config.schemas

    def close(self) -> None:
        pass


class LandingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = "landed.json"


class LandingSink:
    def __init__(self, config: LandingConfig, context: ConnectorContext) -> None:
        self.path = context.state_dir / config.file
        self.buffer: list[dict[str, Any]] = []
        self.offsets: dict[str, int] = {}

    def open(self) -> Mapping[tuple[str, int], int]:
        stored = landed(self.path)
        self.offsets = dict(stored["offsets"])
        return {_partition(name): offset for name, offset in self.offsets.items()}

    def put(self, records: Sequence[SinkRecord]) -> None:
        for record in records:
            self.buffer.append(
                {
                    "product": record.product,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "key": record.key,
                    "value": record.value,
                    "schema_id": record.schema_id,
                    "schema_name": json.loads(record.schema)["name"],
                }
            )
            self.offsets[f"{record.topic}:{record.partition}"] = record.offset + 1

    def flush(self) -> Mapping[tuple[str, int], int]:
        stored = landed(self.path)
        document = {"records": stored["records"] + self.buffer, "offsets": self.offsets}
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(document, default=str))
        os.replace(partial, self.path)  # the records and their offsets, together
        self.buffer = []
        return {_partition(name): offset for name, offset in self.offsets.items()}

    def close(self) -> None:
        pass


def landed(path: Path) -> dict[str, Any]:
    """What a landing sink has flushed: ``{"records": [...], "offsets": {...}}``."""
    if not path.exists():
        return {"records": [], "offsets": {}}
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _partition(name: str) -> tuple[str, int]:
    topic, _, number = name.rpartition(":")
    return topic, int(number)


COUNTER = SimpleNamespace(
    KIND="test-counter", ROLE="source", Config=CounterConfig, create=CounterSource
)
LANDING = SimpleNamespace(
    KIND="test-landing", ROLE="sink", Config=LandingConfig, create=LandingSink
)


def register() -> None:
    """Register both doubles as connector kinds."""
    register_kind(COUNTER)
    register_kind(LANDING)


if __name__ == "__main__":
    register()
    from streammesh.cli.main import run

    sys.exit(run(sys.argv[1:]))
