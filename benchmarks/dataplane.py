"""The data plane: the SDK's product producer and consumer vs confluent-kafka's serializing clients.

Measures, in one run on one machine, the events/s of writing and reading one data product's
events with the SDK (``mesh.producer(product).send`` + ``flush``, ``mesh.consumer(product,
group).take``) on the ``embedded`` log and on ``kafka`` (a tansu broker this script starts),
and of confluent-kafka's ``SerializingProducer`` / ``DeserializingConsumer`` with its Avro, JSON
Schema and Protobuf serializers on the same broker, the same events and the same registry (the
mesh's, reached through ``tests/support/confluent_registry.py``, which caches schemas by id as
confluent's ``SchemaRegistryClient`` does). Both sides use the same producer settings
(idempotent, acks=all, linger 5 ms, murmur2 partitioning) and string keys.

A second Avro product has the same schema with one ``pii`` and one ``financial`` field, which
the mesh encrypts per entity (1,000 entities); it is written and read (decrypted, as the
operator) beside the unclassified one.

Rows: ``metric`` is ``<log>_<format>_<produce|consume>_throughput``; ``backend`` is who
(``streammesh``, ``streammesh-classified``, ``confluent-kafka``); the ratio rows are
``streammesh/confluent-kafka`` (Kafka) and ``classified/unclassified`` (both logs). See
``benchmarks/README.md``.

    python benchmarks/dataplane.py --quick --json

With ``--cpu``, the figures are instead the SDK's own CPU time per event on the embedded log
(``time.thread_time``, best of 5 passes over the same events, keys and placeholders settled
first): encoding (validate, key, protect, serialize), ``send``, and decoding a record with
its fields revealed as the operator sees them, for the unclassified and the classified Avro
product — steadier than throughput on a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

_HERE = Path(__file__).resolve().parent
# Standalone script: make the repository's ``tests.support`` importable.
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

if TYPE_CHECKING:
    from streammesh.sdk.local import InProcessMesh

BENCH = "dataplane"
DOMAIN = "bench"
ENTITIES = 1_000
QUICK_EVENTS = 10_000
FULL_EVENTS = 100_000
WARMUP_EVENTS = 2_000
_STALL_S = 30.0
_GROUP_SESSION_TIMEOUT_MS = 2_000  # tansu holds a join for about half of it (tests/support)
_GROUP_HEARTBEAT_INTERVAL_MS = 200
_PRODUCER_SETTINGS = {
    # What streammesh's Kafka producer sets (streammesh.log.kafka.settings), so the two
    # clients batch and acknowledge alike.
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "batch.size": 1_048_576,
    "partitioner": "murmur2_random",
}

FORMATS = ("avro", "json", "protobuf")

AVRO_SCHEMA = {
    "type": "record",
    "name": "Trade",
    "namespace": "bench.v1",
    "doc": "A trade of an account.",
    "fields": [
        {"name": "account_id", "type": "string", "doc": "The account; the key."},
        {"name": "symbol", "type": "string", "doc": "What was traded."},
        {"name": "price", "type": "double", "doc": "At what price."},
        {"name": "quantity", "type": "long", "doc": "How many."},
        {"name": "holder", "type": "string", "doc": "Who holds the account."},
        {"name": "settlement", "type": "string", "doc": "Where the trade settles."},
    ],
}
JSON_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Trade",
    "type": "object",
    "additionalProperties": False,
    "required": ["account_id", "symbol", "price", "quantity", "holder", "settlement"],
    "properties": {
        "account_id": {"type": "string"},
        "symbol": {"type": "string", "minLength": 1},
        "price": {"type": "number"},
        "quantity": {"type": "integer", "minimum": 1},
        "holder": {"type": "string"},
        "settlement": {"type": "string"},
    },
}
PROTO_SCHEMA = """syntax = "proto3";
package bench.v1;

message Trade {
  string account_id = 1;
  string symbol = 2;
  double price = 3;
  int64 quantity = 4;
  string holder = 5;
  string settlement = 6;
}
"""
SCHEMA_FILES = {
    "avro": ("trades.avsc", json.dumps(AVRO_SCHEMA, indent=2)),
    "json": ("trades.json", json.dumps(JSON_SCHEMA, indent=2)),
    "protobuf": ("trades.proto", PROTO_SCHEMA),
}
DESCRIPTOR = """name: {name}
owner:
  name: Bench Mark
  email: bench@example.com
team: bench-team
description: Trades of accounts, for the data-plane benchmark.
alignment: source
kind: measurement
key:
  field: account_id
  type: string
schema: {schema}
version: 1
partitions: s
retention: recent:7d
sla:
  tier: 4
  freshness: 1h
  support_hours: best-effort
  contact: bench@example.com
quality: raw
classifications: {classifications}
status: draft
"""
CLASSIFIED = "\n  holder: [pii]\n  settlement: [financial]"


class BenchmarkFailed(Exception):
    """A measurement could not complete (events missing, a client stalled)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One figure in the shape ``shared/BENCHMARKS.md`` fixes; ``value`` is ``None`` and
    ``not_measured`` says why when the figure could not be measured."""

    metric: str
    backend: str
    value: float | None
    unit: str
    not_measured: str | None = None

    def to_json(self) -> str:
        document: dict[str, object] = {
            "bench": BENCH,
            "metric": self.metric,
            "backend": self.backend,
            "value": self.value,
            "unit": self.unit,
        }
        if self.not_measured is not None:
            document["not_measured"] = self.not_measured
        return json.dumps(document)


def progress(message: str) -> None:
    """Progress goes to stderr so that stdout stays pure JSON lines with ``--json``."""
    print(f"[dataplane] {message}", file=sys.stderr, flush=True)


def machine() -> str:
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load}"
    )


def make_events(count: int) -> list[dict[str, Any]]:
    """Distinct trades of :data:`ENTITIES` accounts, built before any timing."""
    return [
        {
            "account_id": f"acct-{i % ENTITIES:06d}",
            "symbol": ("ACME", "GLOBX", "INITECH", "UMBRL")[i % 4],
            "price": 100.0 + (i % 997) / 8,
            "quantity": 1 + i % 500,
            "holder": f"holder{i % ENTITIES}@example.com",
            "settlement": f"DE89370400440532{i % ENTITIES:06d}",
        }
        for i in range(count)
    ]


def product_name(fmt: str, *, classified: bool = False) -> str:
    return f"{DOMAIN}.trades_{fmt}" + ("_classified" if classified else "")


def confluent_product(fmt: str) -> str:
    """The product confluent-kafka's clients write and read: the same schema as the SDK's
    product of ``fmt`` (its subject is its topic's, as their TopicNameStrategy names it), its
    own topic, so that each side reads back exactly what it wrote."""
    return f"{DOMAIN}.trades_{fmt}_confluent"


def write_products(repo: Path) -> None:
    """The domain folder: per format, the SDK's product and confluent-kafka's twin; and the
    classified Avro product."""
    folder = repo / DOMAIN
    folder.mkdir(parents=True)
    for fmt, (file_name, text) in SCHEMA_FILES.items():
        schema_name = f"{fmt}-{file_name}"
        (folder / schema_name).write_text(text)
        products = [(product_name(fmt), "{}"), (confluent_product(fmt), "{}")]
        if fmt == "avro":
            products.append((product_name(fmt, classified=True), CLASSIFIED))
        for name, classifications in products:
            descriptor = DESCRIPTOR.format(
                name=name, schema=schema_name, classifications=classifications
            )
            (folder / f"{name.split('.')[1]}.yaml").write_text(descriptor)


# --- timing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timed:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """The cyclic garbage collector is off while timing, as ``timeit`` does, for every
    contender alike: a collection walks every event the benchmark holds."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def sdk_produce(mesh: InProcessMesh, product: str, events: list[dict[str, Any]]) -> Timed:
    """``send`` each event, then ``flush``; the producer is built and warmed up untimed."""
    with mesh.producer(product) as producer:
        for event in events[:WARMUP_EVENTS]:
            producer.send(event)
        producer.flush()
        send = producer.send
        with collector_off():
            started = time.perf_counter()
            for event in events:
                send(event)
            producer.flush()
            elapsed = time.perf_counter() - started
    return Timed(len(events), elapsed)


def sdk_consume(mesh: InProcessMesh, product: str, group: str, total: int) -> Timed:
    """Read the product's ``total`` events; the clock starts once the first one is returned
    (the group's join is not timed)."""
    from streammesh.log import ConsumerOptions

    options = ConsumerOptions(
        session_timeout_ms=_GROUP_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=_GROUP_HEARTBEAT_INTERVAL_MS,
    )
    with mesh.consumer(product, group, options=options) as consumer:
        first = consumer.take(1, timeout=_STALL_S)
        if not first:
            raise BenchmarkFailed(f"{product}: no event within {_STALL_S:.0f} s")
        read = 0
        with collector_off():
            started = time.perf_counter()
            while read < total - 1:
                taken = consumer.take(total - 1 - read, timeout=_STALL_S)
                if not taken:
                    raise BenchmarkFailed(f"{product}: read {read + 1} of {total}, then stalled")
                read += len(taken)
            elapsed = time.perf_counter() - started
    return Timed(read, elapsed)


@dataclass(frozen=True, slots=True)
class ConfluentSerdes:
    """confluent-kafka's value serializer and deserializer for one format, and how an
    application turns an event (a dict) into what the serializer takes."""

    serializer: Any
    deserializer: Any
    value_of: Callable[[dict[str, Any]], Any]


def registry_client(registry: Any) -> Any:
    """confluent-kafka's view of the mesh's registry; like ``SchemaRegistryClient`` it caches
    a subject's latest version (``latest.cache.ttl.secs`` unset: for good)."""
    from tests.support.confluent_registry import InProcessRegistryClient

    class CachingClient(InProcessRegistryClient):
        def __init__(self) -> None:
            super().__init__(registry)
            self._latest: dict[tuple[str, str | None], Any] = {}

        def get_latest_version(self, subject_name: str, fmt: str | None = None) -> Any:
            cached = self._latest.get((subject_name, fmt))
            if cached is None:
                cached = self._latest[(subject_name, fmt)] = super().get_latest_version(
                    subject_name, fmt
                )
            return cached

    return CachingClient()


def confluent_serdes(fmt: str, client: Any) -> ConfluentSerdes:
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer

    from streammesh.schemas import SchemaType
    from streammesh.schemas.formats import format_for
    from streammesh.schemas.protobuf.schema import ProtobufSchema

    # The mesh registered the schema when the product was applied: write with that id (the
    # serializer looks it up once).
    conf = {"auto.register.schemas": False}
    if fmt == "avro":
        return ConfluentSerdes(
            AvroSerializer(client, json.dumps(AVRO_SCHEMA), conf=conf),
            AvroDeserializer(client),
            lambda event: event,
        )
    if fmt == "json":
        return ConfluentSerdes(
            JSONSerializer(json.dumps(JSON_SCHEMA), client, conf=conf),
            JSONDeserializer(None, schema_registry_client=client),
            lambda event: event,
        )
    parsed = format_for(SchemaType.PROTOBUF).parse(PROTO_SCHEMA)
    assert isinstance(parsed, ProtobufSchema)
    message_class = parsed.for_message("bench.v1.Trade").message_class
    # The registry holds .proto text and confluent's serializer looks up base64 descriptors:
    # it writes with the subject's latest version (which the client caches), as
    # tests/integration/test_serde_interop.py does.
    return ConfluentSerdes(
        ProtobufSerializer(message_class, client, {**conf, "use.latest.version": True}),
        ProtobufDeserializer(message_class, {}, client),
        # An application builds the generated message from its fields: that is timed.
        lambda event: message_class(**event),
    )


def confluent_produce(
    bootstrap: str, topic: str, serdes: ConfluentSerdes, events: list[dict[str, Any]]
) -> Timed:
    """``SerializingProducer.produce`` each event (serving delivery reports every 1,000 and
    when its queue is full), then ``flush``; built and warmed up untimed."""
    from confluent_kafka import SerializingProducer
    from confluent_kafka.serialization import StringSerializer

    producer = SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            **_PRODUCER_SETTINGS,
            "key.serializer": StringSerializer("utf_8"),
            "value.serializer": serdes.serializer,
        }
    )
    value_of = serdes.value_of

    def send_all(chosen: list[dict[str, Any]]) -> None:
        produce, poll = producer.produce, producer.poll
        for number, event in enumerate(chosen):
            while True:
                try:
                    produce(topic, key=event["account_id"], value=value_of(event))
                    break
                except BufferError:
                    poll(0.05)
            if number % 1000 == 0:
                poll(0)
        if producer.flush(_STALL_S) != 0:
            raise BenchmarkFailed(f"confluent-kafka: {topic}: records left unacknowledged")

    send_all(events[:WARMUP_EVENTS])
    with collector_off():
        started = time.perf_counter()
        send_all(events)
        elapsed = time.perf_counter() - started
    return Timed(len(events), elapsed)


def confluent_consume(
    bootstrap: str, topic: str, group: str, serdes: ConfluentSerdes, total: int
) -> Timed:
    """``DeserializingConsumer.poll`` until ``total`` events; the clock starts once the
    first one is returned."""
    from confluent_kafka import DeserializingConsumer
    from confluent_kafka.serialization import StringDeserializer

    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": _GROUP_SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": _GROUP_HEARTBEAT_INTERVAL_MS,
            "fetch.wait.max.ms": 100,  # as streammesh's consumer
            "key.deserializer": StringDeserializer("utf_8"),
            "value.deserializer": serdes.deserializer,
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + _STALL_S
        while consumer.poll(0.5) is None:
            if time.monotonic() > deadline:
                raise BenchmarkFailed(f"confluent-kafka: {topic}: no event in {_STALL_S:.0f} s")
        read = 0
        poll = consumer.poll
        with collector_off():
            started = time.perf_counter()
            last = started
            while read < total - 1:
                message = poll(1.0)
                if message is None:
                    if time.perf_counter() - last > _STALL_S:
                        raise BenchmarkFailed(f"confluent-kafka: {topic}: stalled at {read}")
                    continue
                last = time.perf_counter()
                read += 1
            elapsed = time.perf_counter() - started
    finally:
        consumer.close()
    return Timed(read, elapsed)


# --- the run --------------------------------------------------------------------------------


class Run:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.rates: dict[tuple[str, str], float] = {}
        self.missing: dict[tuple[str, str], str] = {}
        self.notes: list[str] = []

    def measure(self, metric: str, backend: str, action: Callable[[], list[Timed]]) -> bool:
        """Record the median of ``action``'s repetitions; ``False`` if it failed."""
        try:
            timings = action()
        except Exception as exc:  # a failure must not hide the other figures; show it
            if not isinstance(exc, BenchmarkFailed):
                traceback.print_exc(file=sys.stderr)
            reason = f"failed: {type(exc).__name__}: {exc}"
            self.missing[(metric, backend)] = reason
            self.rows.append(Row(metric, backend, None, "events/s", reason))
            progress(f"{metric} {backend}: not measured: {reason}")
            return False
        rate = statistics.median(t.rate for t in timings)
        self.rates[(metric, backend)] = rate
        self.rows.append(Row(metric, backend, round(rate, 1), "events/s"))
        each = ", ".join(f"{t.events:,} in {t.seconds:.3f} s" for t in timings)
        note = f"{metric} {backend}: {rate:,.0f}/s ({each})"
        self.notes.append(note)
        progress(note)
        return True

    def ratio(self, metric: str, ours: str, theirs: str, name: str) -> None:
        mine, other = self.rates.get((metric, ours)), self.rates.get((metric, theirs))
        if mine is not None and other is not None:
            self.rows.append(Row(metric, name, round(mine / other, 3), "ratio"))
            return
        reasons = [self.missing[(metric, b)] for b in (ours, theirs) if (metric, b) in self.missing]
        self.rows.append(Row(metric, name, None, "ratio", "; ".join(reasons) or "a side failed"))

    def cpu(self, metric: str, backend: str, micros: float) -> None:
        """Record a CPU time per event (µs); its ratio row compares events per CPU second."""
        self.rates[(metric, backend)] = 1 / micros
        self.rows.append(Row(metric, backend, round(micros, 2), "us/event"))
        progress(f"{metric} {backend}: {micros:.2f} µs CPU per event")


def group_name(name: str, repetition: int) -> str:
    """A fresh consumer group (a valid application name) per reader and repetition."""
    return f"{name.replace('.', '_')}_{repetition}"


@dataclass(frozen=True, slots=True)
class Repetitions:
    """How many times each figure is measured (its median is reported): writing is cheap to
    repeat; each reading needs a fresh consumer group (a join of ~1 s on tansu)."""

    produce: int
    consume: int


def repeated(times: int, action: Callable[[int], Timed]) -> Callable[[], list[Timed]]:
    return lambda: [action(repetition) for repetition in range(times)]


def bench_log(
    run: Run,
    where: str,
    mesh: InProcessMesh,
    events: list[dict[str, Any]],
    repetitions: Repetitions,
    bootstrap: str | None,
) -> bool:
    """Every product on one log: per format the SDK, then (on Kafka) confluent-kafka; the
    classified Avro product just before the unclassified one, so that the two sides of
    each ratio are measured seconds apart (the machine's load drifts)."""
    ok = True
    classified = product_name("avro", classified=True)
    backend = "streammesh-classified"
    for fmt in FORMATS:
        if fmt == "avro":
            ok &= bench_sdk(run, where, mesh, "avro", classified, backend, events, repetitions)
        ok &= bench_sdk(run, where, mesh, fmt, product_name(fmt), "streammesh", events, repetitions)
        if bootstrap is not None:
            ok &= bench_confluent(run, mesh, fmt, bootstrap, events, repetitions)
    for direction in ("produce", "consume"):
        metric = f"{where}_avro_{direction}_throughput"
        run.ratio(metric, backend, "streammesh", "classified/unclassified")
    return ok


def bench_sdk(
    run: Run,
    where: str,
    mesh: InProcessMesh,
    fmt: str,
    product: str,
    backend: str,
    events: list[dict[str, Any]],
    repetitions: Repetitions,
) -> bool:
    """The SDK writing the events (each repetition appends them), then reading them all
    back (each repetition in a fresh group)."""
    total = (WARMUP_EVENTS + len(events)) * repetitions.produce
    ok = run.measure(
        f"{where}_{fmt}_produce_throughput",
        backend,
        repeated(repetitions.produce, lambda _: sdk_produce(mesh, product, events)),
    )
    return ok & run.measure(
        f"{where}_{fmt}_consume_throughput",
        backend,
        repeated(
            repetitions.consume,
            lambda r: sdk_consume(mesh, product, group_name(product, r), total),
        ),
    )


def bench_confluent(
    run: Run,
    mesh: InProcessMesh,
    fmt: str,
    bootstrap: str,
    events: list[dict[str, Any]],
    repetitions: Repetitions,
) -> bool:
    """confluent-kafka's clients on the twin product, and the ratios to the SDK's."""
    serdes = confluent_serdes(fmt, registry_client(mesh.local.registry))
    topic = mesh.product(confluent_product(fmt)).topic
    total = (WARMUP_EVENTS + len(events)) * repetitions.produce
    produce, consume = f"kafka_{fmt}_produce_throughput", f"kafka_{fmt}_consume_throughput"
    ok = run.measure(
        produce,
        "confluent-kafka",
        repeated(
            repetitions.produce, lambda _: confluent_produce(bootstrap, topic, serdes, events)
        ),
    )
    ok &= run.measure(
        consume,
        "confluent-kafka",
        repeated(
            repetitions.consume,
            lambda r: confluent_consume(bootstrap, topic, group_name(topic, r), serdes, total),
        ),
    )
    run.ratio(produce, "streammesh", "confluent-kafka", "streammesh/confluent-kafka")
    run.ratio(consume, "streammesh", "confluent-kafka", "streammesh/confluent-kafka")
    return ok


CPU_PASSES = 5


def cpu_per_event(action: Callable[[], None], count: int) -> float:
    """The µs of this thread's CPU per event of ``action`` (over ``count`` events): the best
    of :data:`CPU_PASSES`, with the collector off."""
    best = float("inf")
    for _ in range(CPU_PASSES):
        with collector_off():
            started = time.thread_time()
            action()
            best = min(best, time.thread_time() - started)
    return best / count * 1e6


def over(action: Callable[[Any], object], items: list[Any]) -> Callable[[], None]:
    """One pass of ``action`` over every item, its results dropped."""

    def one_pass() -> None:
        for item in items:
            action(item)

    return one_pass


def bench_cpu(run: Run, mesh: InProcessMesh, events: list[dict[str, Any]]) -> None:
    """Per-event CPU of the SDK's encoding, ``send`` and decoding (with reveal), for the
    unclassified and the classified Avro product, and their ratios."""
    from streammesh.dataplane import ProductDecoder, ProductEncoder, protection_for
    from streammesh.log import Record
    from streammesh.serde import RegistryResolver

    runtime = mesh.local
    resolver = RegistryResolver(runtime.registry)
    backends = (("streammesh", False), ("streammesh-classified", True))
    for backend, classified in backends:
        product = mesh.product(product_name("avro", classified=classified))
        protection = protection_for(runtime.keys, runtime.policies, product)
        encode = ProductEncoder(resolver, product.contract, protection=protection).encode_fields
        encoded = [encode(event) for event in events]  # keys made, placeholders chosen
        cpu = cpu_per_event(over(encode, events), len(events))
        run.cpu("embedded_avro_encode_cpu", backend, cpu)
        with mesh.producer(product.reference) as producer:
            send_all = over(producer.send, events)
            send_all()
            producer.flush()
            run.cpu("embedded_avro_send_cpu", backend, cpu_per_event(send_all, len(events)))
        records = [
            Record(product.topic, 0, offset, key, value, tuple(headers.items()), 0)
            for offset, (key, value, headers) in enumerate(encoded)
        ]
        decoder = ProductDecoder(
            product.contract, resolver, protection, clear=True, principal="bench"
        )
        decode_all = over(decoder.event, records)
        decode_all()  # each entity's key handout audited once, untimed
        run.cpu("embedded_avro_decode_cpu", backend, cpu_per_event(decode_all, len(records)))
    for what in ("encode", "send", "decode"):
        metric = f"embedded_avro_{what}_cpu"
        run.ratio(metric, "streammesh-classified", "streammesh", "classified/unclassified")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small run, under 60 s")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--events", type=int, help="events per measurement")
    parser.add_argument(
        "--repetitions",
        type=int,
        help="repetitions per figure, median reported (default 3; --quick: 3 writes, 1 read)",
    )
    parser.add_argument(
        "--logs", default="embedded,kafka", help="which logs to measure (embedded,kafka)"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="per-event CPU of the SDK (embedded log, Avro, unclassified and classified) instead",
    )
    args = parser.parse_args(argv)
    count = args.events or (QUICK_EVENTS if args.quick else FULL_EVENTS)
    if args.repetitions:
        repetitions = Repetitions(args.repetitions, args.repetitions)
    else:
        repetitions = Repetitions(3, 1 if args.quick else 3)
    logs = [name.strip() for name in args.logs.split(",") if name.strip()]
    if args.cpu:
        logs = ["embedded"]

    started = time.perf_counter()
    events = make_events(count)
    run = Run()
    ok = True
    from streammesh.sdk import Mesh

    with tempfile.TemporaryDirectory(prefix="dataplane-bench-") as directory:
        workdir = Path(directory)
        write_products(workdir / "repo")
        for where in logs:
            try:
                with contextlib.ExitStack() as stack:
                    bootstrap: str | None = None
                    if where == "kafka":
                        bootstrap = stack.enter_context(broker())
                        progress(f"tansu at {bootstrap}")
                    log_url = None if bootstrap is None else f"kafka://{bootstrap}"
                    mesh = stack.enter_context(
                        Mesh.open(workdir / where, log_url=log_url, actor="bench")
                    )
                    mesh.apply([workdir / "repo" / DOMAIN])
                    if args.cpu:
                        bench_cpu(run, mesh, events)
                        continue
                    ok &= bench_log(run, where, mesh, events, repetitions, bootstrap)
            except BenchmarkFailed as exc:
                ok = False
                progress(f"{where}: FAILED: {exc}")
    total = time.perf_counter() - started
    if args.json:
        for row in run.rows:
            print(row.to_json(), flush=True)
    else:
        print_table(run, count, repetitions, total)
    progress(f"machine: {machine()}")
    progress(f"done in {total:.1f} s")
    return 0 if ok else 1


@contextlib.contextmanager
def broker() -> Iterator[str]:
    """A tansu broker on a free loopback port (memory storage), as the test suite starts it."""
    from tests.support.tansu import BrokerStartError, TansuBroker

    try:
        tansu = TansuBroker()
        tansu.start()
    except BrokerStartError as exc:
        raise BenchmarkFailed(str(exc)) from exc
    try:
        yield tansu.bootstrap
    finally:
        tansu.stop()


def print_table(run: Run, count: int, repetitions: Repetitions, total: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"{count:,} events of {ENTITIES:,} entities per measurement, median of"
        f" {repetitions.produce} writes and {repetitions.consume} reads;"
        f" whole run {total:.1f} s"
    )
    console.print(f"machine: {machine()}")
    table = Table(title=BENCH)
    for column in ("metric", "backend", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    reasons: list[str] = []
    for row in run.rows:
        if row.value is None:
            reasons.append(f"{row.metric} {row.backend}: not measured: {row.not_measured}")
            value = f"not measured ({len(reasons)})"
        elif row.unit in ("ratio", "us/event"):
            value = f"{row.value:,.2f}"
        else:
            value = f"{row.value:,.0f}"
        table.add_row(row.metric, row.backend, value, row.unit)
    console.print(table)
    for number, reason in enumerate(reasons, 1):
        console.print(f"({number}) {reason}")


if __name__ == "__main__":
    sys.exit(main())
