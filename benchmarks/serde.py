"""Serializer throughput: streammesh's serde vs bare fastavro / jsonschema-rs vs confluent-kafka.

Measures, in one run on one machine, serialize and deserialize throughput (records/s, one
thread) of a 10-field trade record:

- Avro: streammesh's ``Serializer``/``Deserializer`` (validation + fastavro + wire-format
  header), bare ``fastavro.schemaless_writer``/``schemaless_reader`` (the limit: no
  validation, no header), and confluent-kafka's ``AvroSerializer``/``AvroDeserializer``.
- JSON Schema: streammesh's ``Serializer``/``Deserializer`` (both validate), bare
  ``jsonschema-rs`` validation + ``orjson.dumps``/``orjson.loads`` (the limit: no header, no
  path for errors), and confluent-kafka's ``JSONSerializer``/``JSONDeserializer`` (both
  validate by default, with ``jsonschema``; they encode with orjson when it is installed).

Both registries are the in-process SQL registry (``SqlSchemaRegistry`` on a SQLite file in a
temporary directory). confluent-kafka's serdes reach it through ``InProcessRegistryClient``
(``tests/support/confluent_registry.py``), which caches schemas by id as the real
``SchemaRegistryClient`` does, so neither side pays a registry round trip per record. The
last rows are the streammesh/fastavro (or streammesh/jsonschema-rs) and
streammesh/confluent-kafka ratios. See ``benchmarks/README.md``.

    python benchmarks/serde.py --quick --json
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# Standalone script: make the repository's ``tests.support`` importable.
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import fastavro  # noqa: E402
import jsonschema_rs  # noqa: E402
import orjson  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.json_schema import (  # noqa: E402
    JSONDeserializer,
    JSONSerializer,
)
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.support.confluent_registry import InProcessRegistryClient  # noqa: E402

from streammesh.registry.base import SchemaSubmission  # noqa: E402
from streammesh.registry.sql import SqlSchemaRegistry  # noqa: E402
from streammesh.schemas.base import SchemaType  # noqa: E402
from streammesh.serde import Deserializer, RegistryResolver, Serializer  # noqa: E402
from streammesh.store import open_store  # noqa: E402

BENCH = "serde"
TOPIC = "bench.trades.v1"
SUBJECT = f"{TOPIC}-value"

AVRO_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Trade",
        "namespace": "bench",
        "fields": [
            {"name": "trade_id", "type": "long"},
            {"name": "symbol", "type": "string"},
            {"name": "price", "type": "double"},
            {"name": "quantity", "type": "int"},
            {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}},
            {"name": "venue", "type": "string"},
            {"name": "account", "type": "string"},
            {"name": "timestamp", "type": "long"},
            {"name": "fee", "type": "double"},
            {"name": "settled", "type": "boolean"},
        ],
    }
)
JSON_SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Trade",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "trade_id",
            "symbol",
            "price",
            "quantity",
            "side",
            "venue",
            "account",
            "timestamp",
            "fee",
            "settled",
        ],
        "properties": {
            "trade_id": {"type": "integer"},
            "symbol": {"type": "string"},
            "price": {"type": "number"},
            "quantity": {"type": "integer"},
            "side": {"enum": ["BUY", "SELL"]},
            "venue": {"type": "string"},
            "account": {"type": "string"},
            "timestamp": {"type": "integer"},
            "fee": {"type": "number"},
            "settled": {"type": "boolean"},
        },
    }
)


@dataclass(frozen=True, slots=True)
class Row:
    """One figure, in the shape ``shared/BENCHMARKS.md`` fixes."""

    metric: str
    backend: str
    value: float
    unit: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "bench": BENCH,
                "metric": self.metric,
                "backend": self.backend,
                "value": self.value,
                "unit": self.unit,
            }
        )


@dataclass(frozen=True, slots=True)
class Contender:
    """One implementation: a serialize and a deserialize function over one record."""

    backend: str
    serialize: Callable[[Any], bytes]
    deserialize: Callable[[bytes], Any]


def make_events(count: int) -> list[dict[str, Any]]:
    """Distinct trade events, built before any timing."""
    return [
        {
            "trade_id": 1_000_000 + i,
            "symbol": ("ACME", "GLOBX", "INITECH", "UMBRL")[i % 4],
            "price": 100.0 + (i % 997) / 8,
            "quantity": 1 + i % 500,
            "side": "BUY" if i % 2 else "SELL",
            "venue": ("XNYS", "XNAS", "XLON")[i % 3],
            "account": f"acct-{i % 1000:06d}",
            "timestamp": 1_790_000_000_000 + i,
            "fee": (i % 13) / 100,
            "settled": i % 5 == 0,
        }
        for i in range(count)
    ]


def timed_pass(function: Callable[[Any], Any], inputs: Sequence[Any]) -> float:
    """Records/s of one pass of ``function`` over ``inputs``.

    The cyclic garbage collector is off during the pass, as ``timeit`` does: otherwise a
    collection triggered by one contender's allocations walks every event and payload held
    by the benchmark, and lands on whichever contender happens to run at that moment.
    """
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        for item in inputs:
            function(item)
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    return len(inputs) / elapsed


def avro_contenders(resolver: RegistryResolver, client: InProcessRegistryClient) -> list[Contender]:
    parsed = fastavro.parse_schema(json.loads(AVRO_SCHEMA))

    def bare_write(event: Any) -> bytes:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, event)
        return buffer.getvalue()

    def bare_read(payload: bytes) -> Any:
        return fastavro.schemaless_reader(io.BytesIO(payload), parsed, None)

    context = SerializationContext(TOPIC, MessageField.VALUE)
    confluent_write = AvroSerializer(client, AVRO_SCHEMA, conf={"auto.register.schemas": False})
    confluent_read = AvroDeserializer(client)
    return [
        Contender("fastavro", bare_write, bare_read),
        Contender(
            "streammesh",
            Serializer(resolver, SUBJECT).serialize,
            Deserializer(resolver).deserialize,
        ),
        Contender(
            "confluent-kafka",
            lambda event: confluent_write(event, context),
            lambda data: confluent_read(data, context),
        ),
    ]


def json_contenders(resolver: RegistryResolver, client: InProcessRegistryClient) -> list[Contender]:
    validator = jsonschema_rs.Draft7Validator(json.loads(JSON_SCHEMA), validate_formats=False)

    def bare_write(event: Any) -> bytes:
        validator.validate(event)
        return orjson.dumps(event)

    def bare_read(payload: bytes) -> Any:
        event = orjson.loads(payload)
        validator.validate(event)
        return event

    context = SerializationContext(TOPIC, MessageField.VALUE)
    confluent_write = JSONSerializer(JSON_SCHEMA, client, conf={"auto.register.schemas": False})
    confluent_read = JSONDeserializer(None, schema_registry_client=client)
    return [
        Contender("jsonschema-rs", bare_write, bare_read),
        Contender(
            "streammesh",
            Serializer(resolver, SUBJECT).serialize,
            Deserializer(resolver).deserialize,
        ),
        Contender(
            "confluent-kafka",
            lambda event: confluent_write(event, context),
            lambda data: confluent_read(data, context),
        ),
    ]


@contextmanager
def registries(schema_type: SchemaType, schema: str) -> Iterator[tuple[RegistryResolver, Any]]:
    """A fresh SQLite registry holding ``schema`` under the benchmark subject."""
    with tempfile.TemporaryDirectory(prefix="streammesh-serde-bench-") as workdir:
        store = open_store(f"sqlite:///{workdir}/meta.db")
        try:
            registry = SqlSchemaRegistry(store)
            registry.register(SUBJECT, SchemaSubmission(schema, schema_type))
            yield RegistryResolver(registry), InProcessRegistryClient(registry)
        finally:
            store.close()


def measure(
    format_name: str, contenders: list[Contender], events: list[Any], repetitions: int
) -> list[Row]:
    """Median records/s per contender and direction, then the streammesh ratios.

    The passes are interleaved (one pass of every contender per round), so a burst of load
    from elsewhere on the machine slows all of them alike instead of one.
    """
    payloads: dict[str, list[bytes]] = {}
    for contender in contenders:
        payloads[contender.backend] = [contender.serialize(event) for event in events]
        if contender.deserialize(payloads[contender.backend][0]) != events[0]:
            raise SystemExit(f"{format_name}/{contender.backend}: a round trip changed the event")
    samples: dict[tuple[str, str], list[float]] = {}
    for round_number in range(repetitions):
        progress(f"{format_name}: round {round_number + 1}/{repetitions}")
        for contender in contenders:
            for metric, function, inputs in (
                ("serialize_throughput", contender.serialize, events),
                ("deserialize_throughput", contender.deserialize, payloads[contender.backend]),
            ):
                rate = timed_pass(function, inputs)
                samples.setdefault((metric, contender.backend), []).append(rate)
    rates = {key: statistics.median(values) for key, values in samples.items()}
    rows = [
        Row(f"{format_name}_{metric}", backend, value, "records/s")
        for (metric, backend), value in rates.items()
    ]
    limit = contenders[0].backend
    for metric in ("serialize_throughput", "deserialize_throughput"):
        for other in (limit, "confluent-kafka"):
            ratio = rates[(metric, "streammesh")] / rates[(metric, other)]
            rows.append(Row(f"{format_name}_{metric}", f"streammesh/{other}", ratio, "ratio"))
    return rows


def progress(message: str) -> None:
    print(f"[serde] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer records (under 60 s)")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout")
    parser.add_argument("--records", type=int, help="records per pass (default 20k, quick 5k)")
    args = parser.parse_args(argv)
    count = args.records or (5_000 if args.quick else 20_000)
    repetitions = 9 if args.quick else 15
    events = make_events(count)

    rows: list[Row] = []
    with registries(SchemaType.AVRO, AVRO_SCHEMA) as (resolver, client):
        rows += measure("avro", avro_contenders(resolver, client), events, repetitions)
    with registries(SchemaType.JSON, JSON_SCHEMA) as (resolver, client):
        rows += measure("json", json_contenders(resolver, client), events, repetitions)

    if args.json:
        for row in rows:
            print(row.to_json(), flush=True)
    else:
        print_table(rows, count, repetitions)
    return 0


def print_table(rows: list[Row], count: int, repetitions: int) -> None:
    console = Console()
    console.print(
        f"{count:,} distinct 10-field trade records per pass, median of {repetitions} passes"
    )
    table = Table(title=BENCH)
    for column in ("metric", "backend", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        value = f"{row.value:,.2f}" if row.unit == "ratio" else f"{row.value:,.0f}"
        table.add_row(row.metric, row.backend, value, row.unit)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
