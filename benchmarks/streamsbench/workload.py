"""The events both tools process: JSON values keyed by 10,000 string keys, in event-time order."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

KEYS = 10_000
PARTITIONS = 4
SPAN_MS = 2 * 60_000
"""Event time covered by the input: two 1-minute windows per key."""
BASE_MS = 1_796_083_200_000
"""2026-12-01T00:00:00Z, the first event's timestamp."""

SOURCE_TOPIC = "bench.events"
WARMUP_TOPIC = "bench.warmup"
WARMUP_EVENTS = 1_000
"""Untimed: a long-running application has its modules imported and its code warm."""

# ksqlDB's statements; the Quix Streams runner (quix_runner.py) does the same in Python.
SOURCE_SQL = (
    "CREATE STREAM events (k STRING KEY, id BIGINT, region STRING, price DOUBLE, qty INT)"
    " WITH (kafka_topic='{source}', value_format='JSON');\n"
)
PIPELINE_SQL = {
    "filter_project": (
        "CREATE STREAM filtered WITH (kafka_topic='{sink}') AS"
        " SELECT k, id, price * qty AS total, LCASE(region) AS region"
        " FROM events WHERE price > 500 AND qty > 2500;"
    ),
    "tumbling_count": (
        "CREATE TABLE counts WITH (kafka_topic='{sink}') AS"
        " SELECT k, COUNT(*) AS n FROM events"
        " WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY k EMIT CHANGES;"
    ),
}


@dataclass(frozen=True, slots=True)
class Event:
    key: bytes
    value: bytes
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class Events:
    events: list[Event]
    passing_filter: int
    """How many events the filter keeps (the expected output count of pipeline a)."""


def make_events(count: int, seed: int = 12) -> Events:
    """``count`` events, keys drawn uniformly from :data:`KEYS` keys, timestamps rising
    evenly over :data:`SPAN_MS`; about a quarter pass ``price > 500 AND qty > 2500``."""
    rng = random.Random(seed)
    events: list[Event] = []
    passing = 0
    for index in range(count):
        price = round(rng.uniform(1.0, 1000.0), 2)
        qty = rng.randint(1, 5000)
        value = {
            "id": index,
            "region": f"REGION_{rng.randint(1, 9)}",
            "price": price,
            "qty": qty,
        }
        passing += price > 500 and qty > 2500
        key = f"user-{rng.randrange(KEYS):05d}".encode()
        timestamp = BASE_MS + index * SPAN_MS // count
        events.append(Event(key, json.dumps(value).encode(), timestamp))
    return Events(events, passing)
