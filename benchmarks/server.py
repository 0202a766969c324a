"""The server under a small company's load: REST produce, consume and registry reads at once.

Starts a real ``streammesh up`` on a free loopback port over a fresh embedded mesh (the way
``tests/support/streammesh_server.py`` does), applies one data product, creates tokens, then
runs two scenarios of the same workload, each for a fixed time:

- ``embedded``: producer threads POST batches of 100 events, consumer threads GET events as
  their own consumer groups (``max=500``, ``timeout=1``), registry readers GET
  ``/registry/schemas/ids/{id}``; each kind in its own client process (no shared GIL), with
  httpx. A separate process polls ``/healthz`` every 50 ms throughout.
- ``embedded+long-polls``: the same while 45 caught-up long polls (``wait: 30``, from 12
  tokens, 4 each) wait for a group that never reads.

Reports requests/s, events/s and p50/p99 latency per operation, and the ``/healthz`` poller's
p50/p99/max (the target: under 100 ms). See ``benchmarks/README.md``.

    python benchmarks/server.py --quick --json
    python benchmarks/server.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# Standalone script: make the repository's ``tests.support`` and ``logbench`` importable.
for _path in (_HERE, _HERE.parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import httpx  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.support.streammesh_server import StreammeshServer  # noqa: E402

from logbench.results import Row, machine, progress  # noqa: E402
from streammesh.identity import Role  # noqa: E402

BENCH = "server"
PRODUCT = "execution.stocktrades.v1"
BATCH = 100
CONSUME_MAX = 500
HEALTH_EVERY_S = 0.05
HEALTH_TARGET_MS = 100.0
LONG_POLLS = 45
LONG_POLL_TOKENS = 12
IDLE_S = 3.0

SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Trade",
        "namespace": "acme",
        "fields": [
            {"name": "trade_id", "type": "string", "doc": "Identifier."},
            {"name": "symbol", "type": "string", "doc": "Ticker."},
            {"name": "price", "type": "double", "doc": "Price."},
            {"name": "quantity", "type": "long", "doc": "Shares."},
            {"name": "venue", "type": "string", "doc": "Market identifier code."},
        ],
    }
)
DESCRIPTOR = """\
name: execution.stocktrades
owner: {name: Ada Lovelace, email: ada@example.com}
team: execution-team
description: Executed stock trades, one event per fill.
tags: [trading, equities]
alignment: source
kind: measurement
key: {field: trade_id, type: string}
schema: stocktrades.avsc
version: 1
partitions: s
retention: full-history
sla: {tier: 2}
status: published
"""


@dataclass(frozen=True, slots=True)
class Load:
    """How many client threads of each kind, and for how long."""

    seconds: float
    producers: int = 4
    consumers: int = 2
    registry_readers: int = 4


@dataclass(frozen=True, slots=True)
class Job:
    """What one client process does: ``threads`` threads of ``kind`` in a time window."""

    kind: str
    url: str
    tokens: tuple[str, ...]
    threads: int
    start_at: float  # wall clock, shared by every process
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    """What a client process saw: latencies (s) of answered requests in the window, events
    they carried, and the statuses of every request."""

    kind: str
    latencies: list[float] = field(default_factory=list)
    events: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    """The first answer of each status that is not 200 (to say what went wrong)."""


def _events(worker: int, start: int, batch: int = BATCH) -> list[dict[str, Any]]:
    return [
        {
            "trade_id": f"w{worker}-{start + i}",
            "symbol": ("ACME", "INIT", "GLOBX", "UMBR")[i % 4],
            "price": 100.0 + (i % 50) / 10,
            "quantity": 10 + i % 90,
            "venue": "XNAS",
        }
        for i in range(batch)
    ]


def _request(client: httpx.Client, job: Job, worker: int, sent: int) -> httpx.Response:
    """One request of ``job.kind``."""
    if job.kind == "produce":
        batch = int(job.params.get("batch", BATCH))
        return client.post(
            f"/api/v1/products/{PRODUCT}/events", json={"events": _events(worker, sent, batch)}
        )
    if job.kind == "consume":
        prefix = job.params.get("group_prefix", "bench-reader")
        return client.get(
            f"/api/v1/products/{PRODUCT}/events",
            params={"group": f"{prefix}-{worker}", "max": CONSUME_MAX, "timeout": 1},
        )
    if job.kind == "registry":
        return client.get(f"/registry/schemas/ids/{job.params['schema_id']}")
    if job.kind == "healthz":
        return client.get("/healthz")
    if job.kind == "long-poll":
        return client.post(
            "/api/v1/groups/bench-never-reads/caught-up",
            json={"product": PRODUCT, "offsets": job.params["offsets"], "wait": job.params["wait"]},
        )
    raise ValueError(f"unknown kind {job.kind!r}")


def _events_in(kind: str, answer: httpx.Response) -> int:
    if kind == "produce":
        return int(answer.json()["accepted"])
    if kind == "consume":
        return len(answer.json()["events"])
    return 0


def run_job(job: Job) -> Outcome:
    """Run in a client process: the job's threads until the window closes."""
    outcome = Outcome(job.kind)
    lock = threading.Lock()
    end_at = job.start_at + job.seconds

    first = int(job.params.get("first", 0))

    def work(thread: int) -> None:
        worker = first + thread
        token = job.tokens[worker % len(job.tokens)]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=job.url, headers=headers, timeout=120) as client:
            time.sleep(max(job.start_at - time.time(), 0.0))
            sent = 0
            while time.time() < end_at:
                started = time.perf_counter()
                try:
                    answer = _request(client, job, worker, sent)
                    status, text = str(answer.status_code), answer.text
                except httpx.HTTPError as exc:
                    answer, status, text = None, type(exc).__name__, str(exc)
                elapsed = time.perf_counter() - started
                sent += int(job.params.get("batch", BATCH))
                with lock:
                    outcome.statuses[status] += 1
                    if answer is None or answer.status_code != 200:
                        outcome.samples.setdefault(status, text[:300])
                    elif time.time() <= end_at:
                        outcome.latencies.append(elapsed)
                        outcome.events += _events_in(job.kind, answer)
                if job.kind == "healthz":
                    time.sleep(max(HEALTH_EVERY_S - elapsed, 0.0))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(job.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(round(pct / 100 * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


@dataclass
class Mesh:
    """The running server and what the workload needs from it."""

    server: StreammeshServer
    admin: str
    writers: tuple[str, ...]
    members: tuple[str, ...]
    pollers: tuple[str, ...]
    schema_id: int


def prepare(directory: Path, *extra_args: str) -> Mesh:
    """Start ``streammesh up`` over a fresh mesh, apply the product, create tokens."""
    server = StreammeshServer(directory, *extra_args)
    server.__enter__()
    assert server.admin_token is not None
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    body = {
        "products": [
            {"descriptor": DESCRIPTOR, "schema": SCHEMA, "origin": "execution/trades.yaml"}
        ]
    }
    applied = httpx.post(f"{server.url}/api/v1/apply", json=body, headers=admin, timeout=60)
    applied.raise_for_status()

    def token(name: str, role: Role) -> str:
        created = httpx.post(
            f"{server.url}/api/v1/tokens",
            json={"principal": name, "role": role.value, "description": "benchmarks/server.py"},
            headers=admin,
            timeout=30,
        )
        created.raise_for_status()
        return str(created.json()["secret"])

    writers = tuple(token(f"bench-writer-{i}", Role.PLATFORM_ADMIN) for i in range(2))
    members = tuple(token(f"bench-member-{i}", Role.MEMBER) for i in range(2))
    pollers = tuple(token(f"bench-poller-{i}", Role.MEMBER) for i in range(LONG_POLL_TOKENS))
    # The product's value subject is its only one in this fresh mesh.
    subjects = httpx.get(f"{server.url}/registry/subjects", headers=admin, timeout=30)
    [subject] = subjects.json()
    latest = httpx.get(
        f"{server.url}/registry/subjects/{subject}/versions/latest", headers=admin, timeout=30
    )
    latest.raise_for_status()
    return Mesh(server, server.admin_token, writers, members, pollers, latest.json()["id"])


def _warm_up(mesh: Mesh, load: Load) -> None:
    """Some events to read, and each consumer group registered before the clock runs."""
    with httpx.Client(
        base_url=mesh.server.url,
        headers={"Authorization": f"Bearer {mesh.writers[0]}"},
        timeout=60,
    ) as client:
        produce = Job("produce", mesh.server.url, mesh.writers, 1, 0, 0)
        for start in range(0, 5 * BATCH, BATCH):
            _request(client, produce, 99, start).raise_for_status()
        consume = Job("consume", mesh.server.url, mesh.writers, 1, 0, 0)
        for worker in range(load.consumers):
            _request(client, consume, worker, 0).raise_for_status()


def _end_offsets(mesh: Mesh) -> dict[str, int]:
    answer = httpx.get(
        f"{mesh.server.url}/api/v1/products/{PRODUCT}/metrics",
        headers={"Authorization": f"Bearer {mesh.admin}"},
        timeout=30,
    )
    answer.raise_for_status()
    # Offsets the group "bench-never-reads" will not reach: the polls wait their full time.
    return {str(p["partition"]): p["end_offset"] + 1 for p in answer.json()["partitions"]}


def healthz_handled(mesh: Mesh) -> tuple[float, float]:
    """(seconds, requests) the server spent answering ``/healthz`` so far, by its own
    ``/metrics`` (read from loopback: no token needed by default)."""
    text = httpx.get(f"{mesh.server.url}/metrics", timeout=30).raise_for_status().text
    seconds = count = 0.0
    for family in text_string_to_metric_families(text):
        if family.name != "streammesh_http_request_duration_seconds":
            continue
        for sample in family.samples:
            if sample.labels.get("route") != "/healthz":
                continue
            if sample.name.endswith("_sum"):
                seconds += sample.value
            elif sample.name.endswith("_count"):
                count += sample.value
    return seconds, count


def run_scenario(
    mesh: Mesh, load: Load, pool: ProcessPoolExecutor, *, long_polls: bool
) -> dict[str, Outcome]:
    """One timed window of the workload; the outcomes by kind."""
    url = mesh.server.url
    start_at = time.time() + 1.0  # every process connected by then
    jobs = [
        Job("produce", url, mesh.writers, load.producers, start_at, load.seconds),
        # One principal for every group: a group belongs to whoever registered it.
        Job("consume", url, mesh.writers[:1], load.consumers, start_at, load.seconds),
        Job(
            "registry",
            url,
            mesh.members,
            load.registry_readers,
            start_at,
            load.seconds,
            {"schema_id": mesh.schema_id},
        ),
        Job("healthz", url, (mesh.admin,), 1, start_at, load.seconds),
    ]
    if long_polls:
        # The polls start a second early, so all of them wait while the others are timed.
        polls = Job(
            "long-poll",
            url,
            tuple(t for t in mesh.pollers for _ in range(4))[:LONG_POLLS],
            LONG_POLLS,
            start_at - 1.0,
            load.seconds + 1.0,
            # Waits that end just after the window, so the scenario does not outlast it.
            {"offsets": _end_offsets(mesh), "wait": min(load.seconds + 2.0, 30.0)},
        )
        jobs.append(polls)
    before = healthz_handled(mesh)
    futures: dict[str, Future[Outcome]] = {job.kind: pool.submit(run_job, job) for job in jobs}
    outcomes = {kind: future.result() for kind, future in futures.items()}
    after = healthz_handled(mesh)
    handled = Outcome("healthz-server")
    requests = int(after[1] - before[1])
    # The server's own time per /healthz (from routing to response): the rest of what the
    # poller sees is waiting for a CPU, the GIL or the event loop.
    handled.latencies = [(after[0] - before[0]) / requests] if requests else []
    outcomes[handled.kind] = handled
    return outcomes


def rows_of(outcomes: dict[str, Outcome], backend: str, seconds: float) -> list[Row]:
    rows = []
    for kind, rate_metric in (
        ("produce", "produce"),
        ("consume", "consume"),
        ("registry", "registry_read"),
    ):
        outcome = outcomes[kind]
        ms = [s * 1000 for s in outcome.latencies]
        rows.append(Row(f"{rate_metric}_request_rate", backend, len(ms) / seconds, "requests/s"))
        if kind != "registry":
            rows.append(
                Row(f"{rate_metric}_throughput", backend, outcome.events / seconds, "events/s")
            )
        rows.append(Row(f"{rate_metric}_latency_p50", backend, percentile(ms, 50), "ms"))
        rows.append(Row(f"{rate_metric}_latency_p99", backend, percentile(ms, 99), "ms"))
    health = [s * 1000 for s in outcomes["healthz"].latencies]
    rows.append(Row("healthz_latency_p50", backend, percentile(health, 50), "ms"))
    rows.append(Row("healthz_latency_p99", backend, percentile(health, 99), "ms"))
    rows.append(Row("healthz_latency_max", backend, max(health, default=float("nan")), "ms"))
    handled = [s * 1000 for s in outcomes["healthz-server"].latencies]
    rows.append(Row("healthz_handler_mean", backend, percentile(handled, 50), "ms"))
    return [Row(r.metric, r.backend, r.value, r.unit, bench=BENCH) for r in rows]


def _notes(outcomes: dict[str, Outcome], backend: str) -> list[str]:
    notes = []
    for kind, outcome in outcomes.items():
        if kind == "healthz-server":
            continue
        answered = dict(sorted(outcome.statuses.items()))
        notes.append(f"{backend} {kind}: answers by status {answered}")
        notes.extend(f"  {status}: {text}" for status, text in outcome.samples.items())
    return notes


def _load_average() -> str:
    """The machine's 1-minute load average: other work skews every latency here."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


# -- the remote data plane: batches of 500 from 16 clients, against the SDK in-process ----------

REMOTE_BATCH = 500
REMOTE_CLIENTS = 16
REMOTE_PROCESSES = 4
SDK_GROUP_OPTIONS = {"session_timeout_ms": 6_000, "heartbeat_interval_ms": 500}
"""The SDK's consumer on the test broker: a join takes ~3 s with these, ~22 s with defaults."""


@contextlib.contextmanager
def _log_for(backend: str) -> Iterator[str | None]:
    """``None`` (the embedded log) or the URL of a fresh tansu broker."""
    if backend == "embedded":
        yield None
        return
    from tests.support.tansu import TansuBroker

    with TansuBroker() as broker:
        yield f"kafka://{broker.bootstrap}"


def _merged(outcomes: list[Outcome]) -> Outcome:
    merged = Outcome(outcomes[0].kind)
    for outcome in outcomes:
        merged.latencies.extend(outcome.latencies)
        merged.events += outcome.events
        merged.statuses.update(outcome.statuses)
        for status, text in outcome.samples.items():
            merged.samples.setdefault(status, text)
    return merged


def _remote_window(mesh: Mesh, kind: str, seconds: float, pool: ProcessPoolExecutor) -> Outcome:
    """``REMOTE_CLIENTS`` client threads of ``kind`` in ``REMOTE_PROCESSES`` processes."""
    start_at = time.time() + 1.0
    per = REMOTE_CLIENTS // REMOTE_PROCESSES
    jobs = [
        Job(
            kind,
            mesh.server.url,
            mesh.writers[:1],
            per,
            start_at,
            seconds,
            {"batch": REMOTE_BATCH, "first": 100 + p * per, "group_prefix": "bench-remote"},
        )
        for p in range(REMOTE_PROCESSES)
    ]
    return _merged([f.result() for f in [pool.submit(run_job, job) for job in jobs]])


SINGLE_REQUESTS = 30
SINGLE_BATCH = 100


def _one_client(mesh: Mesh) -> dict[str, list[float]]:
    """Seconds per request of one client alone: ``SINGLE_REQUESTS`` produces of
    ``SINGLE_BATCH`` events one after the other, then as many consumes of ``SINGLE_BATCH``
    by one group with a backlog (its first consume, which joins, not timed)."""
    headers = {"Authorization": f"Bearer {mesh.writers[0]}"}
    path = f"/api/v1/products/{PRODUCT}/events"
    timed: dict[str, list[float]] = {"produce": [], "consume": []}
    with httpx.Client(base_url=mesh.server.url, headers=headers, timeout=90) as client:
        for n in range(SINGLE_REQUESTS):
            started = time.perf_counter()
            client.post(
                path, json={"events": _events(500, n * SINGLE_BATCH, SINGLE_BATCH)}
            ).raise_for_status()
            timed["produce"].append(time.perf_counter() - started)
        params = {"group": "bench-one-client", "max": SINGLE_BATCH, "timeout": 10}
        client.get(path, params=params).raise_for_status()
        for _ in range(SINGLE_REQUESTS):
            started = time.perf_counter()
            client.get(path, params=params).raise_for_status()
            timed["consume"].append(time.perf_counter() - started)
    return timed


def _join_groups(mesh: Mesh, *, produce: bool = False) -> None:
    """One consume per group of the consume window, before its clock: the server's member of
    each group joins then (~3 s on the test broker), as the SDK consumers below join before
    theirs. Each reads one event. With ``produce``, one produce of a full batch per client at
    once instead: the server's pooled producers connect (~1 s each on the test broker) and
    take a first batch of the window's size then, as the SDK's producer below connects before
    its clock. (Until 2026-12-07 17:00 UTC ``produce`` was ignored: the warm-up waited 60 s
    for events to consume instead, and the Kafka window's first requests paid the producers'
    connects, ~1.4 s, which was the window's p99.)"""
    headers = {"Authorization": f"Bearer {mesh.writers[0]}"}

    def first(worker: int) -> None:
        if worker < 0:  # a produce: the server's producer pool grows to the clients' number
            with httpx.Client(base_url=mesh.server.url, headers=headers, timeout=90) as client:
                events = _events(-worker, 0, REMOTE_BATCH)
                client.post(
                    f"/api/v1/products/{PRODUCT}/events", json={"events": events}
                ).raise_for_status()
            return
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=mesh.server.url, headers=headers, timeout=90) as client:
            while time.monotonic() < deadline:
                answer = client.get(
                    f"/api/v1/products/{PRODUCT}/events",
                    params={"group": f"bench-remote-{worker}", "max": 1, "timeout": 10},
                )
                if answer.status_code == 200 and answer.json()["events"]:
                    return

    workers = [-(100 + i) if produce else 100 + i for i in range(REMOTE_CLIENTS)]
    threads = [threading.Thread(target=first, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _sdk_rates(log_url: str | None, directory: Path, events: int) -> tuple[float, float]:
    """(produce, consume) events/s of ``Mesh.open``'s producer (``send_many`` of
    ``REMOTE_BATCH``, flushed) and consumer (``take``) over a mesh of its own, same product
    and events, one thread."""
    from streammesh.log import ConsumerOptions
    from streammesh.sdk import Mesh as Sdk

    repo = directory / "repo"
    repo.mkdir(parents=True)
    (repo / "trades.yaml").write_text(DESCRIPTOR, encoding="utf-8")
    (repo / "stocktrades.avsc").write_text(SCHEMA, encoding="utf-8")
    with Sdk.open(directory / "mesh", log_url=log_url, actor="bench") as sdk:
        sdk.apply([repo])
        batches = [_events(7, start, REMOTE_BATCH) for start in range(0, events, REMOTE_BATCH)]
        with sdk.producer(PRODUCT) as producer:
            started = time.perf_counter()
            for batch in batches:
                producer.send_many(batch)
                producer.flush()  # as a REST produce: durable before the next batch
            produce = events / (time.perf_counter() - started)
        options = ConsumerOptions(**SDK_GROUP_OPTIONS)  # type: ignore[arg-type]
        with sdk.consumer(PRODUCT, "bench-sdk", options=options) as consumer:
            consumer.take(1, timeout=60)  # joined, first fetch done: time the reading
            started = time.perf_counter()
            read = 1 + len(consumer.take(events - 1, timeout=60))
            consume = read / (time.perf_counter() - started)
    return produce, consume


def _connect_rate(mesh: Mesh, events: int) -> float:
    """Events/s of ``Mesh.connect``'s consumer reading ``events`` (one thread)."""
    from streammesh.sdk import Mesh as Sdk

    with Sdk.connect(mesh.server.url, token=mesh.writers[0]) as remote:
        consumer = remote.consumer(PRODUCT, "bench-connect")
        consumer.take(1, timeout=60)  # as above: the first answer holds the group's join
        started = time.perf_counter()
        read = 1 + len(consumer.take(events - 1, timeout=60))
        return read / (time.perf_counter() - started)


def run_remote(backend: str, seconds: float, pool: ProcessPoolExecutor) -> list[Row]:
    """The remote data plane rows of one log: REST produce and consume (``REMOTE_CLIENTS``
    clients, batches of ``REMOTE_BATCH``), the SDK in-process, ``Mesh.connect``."""
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="streammesh-bench-") as directory,
        _log_for(backend) as log_url,
    ):
        extra = () if log_url is None else ("--log", log_url)
        progress(f"{backend}: starting streammesh up ...")
        mesh = prepare(Path(directory) / "mesh", *extra)
        try:
            _join_groups(mesh, produce=True)
            progress(f"{backend}: REST produce, {REMOTE_CLIENTS} clients x {REMOTE_BATCH} ...")
            produced = _remote_window(mesh, "produce", seconds, pool)
            progress(f"{backend}: each group's first consume (its member joins) ...")
            _join_groups(mesh)
            progress(f"{backend}: REST consume, {REMOTE_CLIENTS} groups ...")
            consumed = _remote_window(mesh, "consume", seconds, pool)
            progress(f"{backend}: one client alone, {SINGLE_REQUESTS} produces and consumes ...")
            single = _one_client(mesh)
            sample = min(max(produced.events, REMOTE_BATCH * 4), 50_000)
            progress(f"{backend}: Mesh.connect consumer, {sample} events ...")
            connect = _connect_rate(mesh, sample)
        finally:
            mesh.server.stop()
        for kind, outcome in (("produce", produced), ("consume", consumed)):
            for status, text in outcome.samples.items():
                progress(f"{backend} {kind} {status}: {text}")
    with (
        tempfile.TemporaryDirectory(prefix="streammesh-bench-") as directory,
        _log_for(backend) as log_url,
    ):
        progress(f"{backend}: the SDK in-process, {sample} events ...")
        sdk_produce, sdk_consume = _sdk_rates(log_url, Path(directory), sample)

    rest = f"{backend}:rest"
    for kind, outcome, sdk_rate in (
        ("produce", produced, sdk_produce),
        ("consume", consumed, sdk_consume),
    ):
        rate = outcome.events / seconds
        ms = [s * 1000 for s in outcome.latencies]
        rows.append(Row(f"{kind}_throughput", rest, rate, "events/s", BENCH))
        rows.append(Row(f"{kind}_latency_p50", rest, percentile(ms, 50), "ms", BENCH))
        rows.append(Row(f"{kind}_latency_p99", rest, percentile(ms, 99), "ms", BENCH))
        rows.append(Row(f"{kind}_throughput", f"{backend}:sdk", sdk_rate, "events/s", BENCH))
        rows.append(
            Row(f"{kind}_throughput", f"{backend}:rest/sdk", rate / sdk_rate, "ratio", BENCH)
        )
    for kind, latencies in single.items():
        ms = [x * 1000 for x in latencies]
        for pct in (50, 99):
            rows.append(
                Row(
                    f"{kind}_latency_p{pct}",
                    f"{backend}:rest-1-client",
                    percentile(ms, pct),
                    "ms",
                    BENCH,
                )
            )
    rows.append(Row("consume_throughput", f"{backend}:connect", connect, "events/s", BENCH))
    rows.append(
        Row("consume_throughput", f"{backend}:connect/open", connect / sdk_consume, "ratio", BENCH)
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="6 s per scenario (under 60 s)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--seconds", type=float, help="seconds per scenario (default 6 / 30)")
    parser.add_argument(
        "--remote",
        action="store_true",
        help="only the remote data plane: REST produce/consume with batches of 500 from 16"
        " clients, the SDK in-process and Mesh.connect, on each log of --logs",
    )
    parser.add_argument("--logs", default="embedded,kafka", help="with --remote (comma list)")
    args = parser.parse_args(argv)
    load = Load(seconds=args.seconds or (6.0 if args.quick else 30.0))
    if args.remote:
        return main_remote(
            args.logs.split(","), args.seconds or (4.0 if args.quick else 20.0), args.json
        )

    rows: list[Row] = []
    notes: list[str] = []
    failed = False
    context = multiprocessing.get_context("spawn")
    notes.append(f"load average before the run {_load_average()} (2 cores: 2.0 is busy)")
    with tempfile.TemporaryDirectory(prefix="streammesh-bench-") as directory:
        progress("starting streammesh up over a fresh embedded mesh ...")
        mesh = prepare(Path(directory) / "mesh")
        try:
            _warm_up(mesh, load)
            with ProcessPoolExecutor(max_workers=5, mp_context=context) as pool:
                # Start (and import in) every client process before any clock runs.
                for ready in [pool.submit(time.sleep, 1.0) for _ in range(5)]:
                    ready.result()
                progress(f"idle: {IDLE_S:.0f} s of /healthz alone ...")
                idle = Job("healthz", mesh.server.url, (mesh.admin,), 1, time.time() + 0.5, IDLE_S)
                health = [s * 1000 for s in pool.submit(run_job, idle).result().latencies]
                rows.append(Row("healthz_latency_p50", "idle", percentile(health, 50), "ms", BENCH))
                rows.append(Row("healthz_latency_p99", "idle", percentile(health, 99), "ms", BENCH))
                for backend, long_polls in (("embedded", False), ("embedded+long-polls", True)):
                    progress(f"{backend}: {load.seconds:.0f} s of load ...")
                    outcomes = run_scenario(mesh, load, pool, long_polls=long_polls)
                    rows.extend(rows_of(outcomes, backend, load.seconds))
                    notes.extend(_notes(outcomes, backend))
                    notes.append(f"{backend}: load average after it {_load_average()}")
                    health_max = max(outcomes["healthz"].latencies, default=float("inf"))
                    failed |= health_max * 1000 >= HEALTH_TARGET_MS
        finally:
            code = mesh.server.stop()
            if code != 0:
                progress(f"streammesh up exited with {code}")

    if args.json:
        for row in rows:
            print(row.to_json(), flush=True)
    else:
        console = Console()
        console.print(f"machine: {machine()}; {load.seconds:.0f} s per scenario")
        table = Table(title=BENCH)
        for column in ("metric", "backend", "value", "unit"):
            table.add_column(column, justify="right" if column == "value" else "left")
        for row in rows:
            value = f"{row.value:,.1f}" if row.unit == "ms" else f"{row.value:,.0f}"
            table.add_row(row.metric, row.backend, value, row.unit)
        console.print(table)
        for note in notes:
            console.print(f"[dim]{note}[/dim]")
    for note in notes:
        if args.json:
            progress(note)
    if failed:
        progress(f"/healthz took {HEALTH_TARGET_MS:.0f} ms or more at least once (see max)")
    return 0


def main_remote(logs: list[str], seconds: float, as_json: bool) -> int:
    """The ``--remote`` rows (see :func:`run_remote`)."""
    rows: list[Row] = []
    progress(f"load average before the run {_load_average()} (2 cores: 2.0 is busy)")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=REMOTE_PROCESSES, mp_context=context) as pool:
        for ready in [pool.submit(time.sleep, 0.5) for _ in range(REMOTE_PROCESSES)]:
            ready.result()
        for backend in logs:
            rows.extend(run_remote(backend, seconds, pool))
    progress(f"load average after the run {_load_average()}")
    if as_json:
        for row in rows:
            print(row.to_json(), flush=True)
        return 0
    console = Console()
    console.print(f"machine: {machine()}; {seconds:.0f} s per window")
    table = Table(title=f"{BENCH} --remote")
    for column in ("metric", "backend", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        value = f"{row.value:,.2f}" if row.unit in ("ms", "ratio") else f"{row.value:,.0f}"
        table.add_row(row.metric, row.backend, value, row.unit)
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
