"""Schema registry speed: ``GET /registry/schemas/ids/{id}`` at concurrency 32, and register.

Starts a real ``streammesh up`` on a free loopback port over a fresh embedded mesh (as
``tests/support/streammesh_server.py`` does), registers a few schemas, then:

- ``register``: new versions of one subject, one after another (a 14-field record whose last
  optional field changes each time, so each is a new schema), timed with httpx over one
  keep-alive connection: p50 and p99, once at the mesh's default level (FULL_TRANSITIVE: each
  new version is checked both ways against every earlier one, so the cost grows with the
  versions) and once with the subject at BACKWARD (Confluent's default: the latest only).
- ``read``: 32 keep-alive connections ask for the schemas by id, each waiting for its answer
  before the next request (concurrency 32, no pipelining), spread over client processes
  (raw asyncio sockets, no shared GIL); requests/s, p50, p99.
- ``client``: what one client process can do against a stub server that answers every
  request at once with a canned reply, so the read figure is known not to be the client's.

The machine has 2 cores: the server and the clients share them, so the read figures are a
floor of what the server does alone. See ``benchmarks/README.md``.

    python benchmarks/registry.py --quick --json
    python benchmarks/registry.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_HERE = Path(__file__).resolve().parent
# Standalone script: make the repository's ``tests.support`` and ``logbench`` importable.
for _path in (_HERE, _HERE.parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.support.streammesh_server import StreammeshServer  # noqa: E402

from logbench.results import Row, machine, progress  # noqa: E402

BENCH = "registry"
CONCURRENCY = 32
CLIENT_PROCESSES = 2
SCHEMAS = 20
REGISTER_FIELDS = 12
READ_TARGET = 3000.0
READ_P99_TARGET_MS = 20.0
REGISTER_P50_TARGET_MS = 10.0
_STUB_BODY = b'{"schema":"\\"string\\""}'
_STUB_REPLY = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/vnd.schemaregistry.v1+json\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_STUB_BODY), _STUB_BODY)
)


def _avro(name: str, fields: int, extra: str | None = None) -> str:
    """A record of an id, ``fields`` optional strings and, if named, one more optional field."""
    names = [f"f{i}" for i in range(fields)] + ([extra] if extra else [])
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "bench",
            "fields": [
                {"name": "id", "type": "string"},
                *({"name": field, "type": "string", "default": ""} for field in names),
            ],
        }
    )


@dataclass
class ReadJob:
    """One client process's share of the read load."""

    host: str
    port: int
    token: str
    ids: tuple[int, ...]
    connections: int
    start_at: float
    seconds: float


@dataclass
class ReadOutcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


async def _connection(job: ReadJob, offset: int, outcome: ReadOutcome) -> None:
    reader, writer = await asyncio.open_connection(job.host, job.port)
    requests = [
        (
            f"GET /registry/schemas/ids/{schema_id} HTTP/1.1\r\nHost: {job.host}\r\n"
            f"Authorization: Bearer {job.token}\r\nAccept: application/json\r\n\r\n"
        ).encode()
        for schema_id in job.ids
    ]
    await asyncio.sleep(max(job.start_at - time.time(), 0.0))
    end = job.start_at + job.seconds
    sent = offset
    try:
        while time.time() < end:
            began = time.perf_counter()
            writer.write(requests[sent % len(requests)])
            sent += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            elapsed = (time.perf_counter() - began) * 1000
            if time.time() <= end:  # answers after the end do not count
                outcome.latencies_ms.append(elapsed)
                outcome.statuses[int(head[9:12])] += 1
    finally:
        writer.close()


def run_reads(job: ReadJob) -> ReadOutcome:
    """One client process: ``job.connections`` keep-alive connections, one request each in
    flight, until the time is up."""
    outcome = ReadOutcome()

    async def main() -> None:
        await asyncio.gather(*(_connection(job, i, outcome) for i in range(job.connections)))

    asyncio.run(main())
    return outcome


def _stub_server(port_queue: Any, seconds: float) -> None:
    """A server that answers every request on a connection with a canned reply."""

    class Stub(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            assert isinstance(self.transport, asyncio.Transport)
            self.transport.write(_STUB_REPLY * data.count(b"\r\n\r\n"))

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Stub, "127.0.0.1", 0)
        port_queue.put(server.sockets[0].getsockname()[1])
        await asyncio.sleep(seconds)
        server.close()

    asyncio.run(main())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(round(pct / 100 * (len(ordered) - 1)), len(ordered) - 1)]


def read_load(
    pool: ProcessPoolExecutor,
    host: str,
    port: int,
    token: str,
    ids: tuple[int, ...],
    seconds: float,
) -> ReadOutcome:
    """``CONCURRENCY`` connections over ``CLIENT_PROCESSES`` processes, merged."""
    start_at = time.time() + 0.5
    share = CONCURRENCY // CLIENT_PROCESSES
    jobs = [
        ReadJob(host, port, token, ids, share, start_at, seconds) for _ in range(CLIENT_PROCESSES)
    ]
    merged = ReadOutcome()
    for outcome in pool.map(run_reads, jobs):
        merged.latencies_ms.extend(outcome.latencies_ms)
        merged.statuses.update(outcome.statuses)
    return merged


def client_capacity(pool: ProcessPoolExecutor, seconds: float) -> float:
    """Requests/s one client process makes at concurrency 32 against the stub server."""
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    stub = context.Process(target=_stub_server, args=(ports, seconds + 5.0), daemon=True)
    stub.start()
    try:
        port = ports.get(timeout=30)
        job = ReadJob("127.0.0.1", port, "x", (1,), CONCURRENCY, time.time() + 0.5, seconds)
        outcome = pool.submit(run_reads, job).result()
        return len(outcome.latencies_ms) / seconds
    finally:
        stub.kill()
        stub.join()


def register_latencies(
    url: str, headers: dict[str, str], count: int, level: str | None
) -> list[float]:
    """Milliseconds per registration of ``count`` new versions of one subject, one after
    another, the subject at compatibility ``level`` (``None``: the mesh's default)."""
    subject = f"bench.evolving-{(level or 'default').lower().replace('_', '-')}-value"
    latencies = []
    with httpx.Client(base_url=f"{url}/registry", headers=headers, timeout=30) as client:
        if level is not None:
            client.put(f"/config/{subject}", json={"compatibility": level}).raise_for_status()
        for version in range(count):
            # The same size each time: the previous version's extra field gives way to a new
            # one (compatible both ways, as each has a default).
            body = {"schema": _avro("Evolving", REGISTER_FIELDS, f"extra{version}")}
            began = time.perf_counter()
            answer = client.post(f"/subjects/{subject}/versions", json=body)
            latencies.append((time.perf_counter() - began) * 1000)
            answer.raise_for_status()
    return latencies


def register_schemas(url: str, headers: dict[str, str]) -> tuple[int, ...]:
    """``SCHEMAS`` schemas under their own subjects; their ids."""
    ids = []
    with httpx.Client(base_url=f"{url}/registry", headers=headers, timeout=30) as client:
        for number in range(SCHEMAS):
            body = {"schema": _avro(f"Read{number}", number % 5)}
            answer = client.post(f"/subjects/bench.read{number}-value/versions", json=body)
            answer.raise_for_status()
            ids.append(int(answer.json()["id"]))
    return tuple(ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="8 s of reads (under 60 s)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--seconds", type=float, help="seconds of reads (default 8 / 30)")
    args = parser.parse_args(argv)
    seconds = args.seconds or (8.0 if args.quick else 30.0)
    registrations = 50 if args.quick else 100

    rows: list[Row] = []
    notes: list[str] = []
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="streammesh-bench-") as directory,
        ProcessPoolExecutor(max_workers=CLIENT_PROCESSES, mp_context=context) as pool,
    ):
        for ready in [pool.submit(time.sleep, 0.5) for _ in range(CLIENT_PROCESSES)]:
            ready.result()  # client processes started (and imported) before any clock runs
        progress(f"one client process against a stub server: {min(seconds, 5.0):.0f} s ...")
        capacity = client_capacity(pool, min(seconds, 5.0))
        rows.append(Row("read_request_rate", "client-capacity", capacity, "requests/s", BENCH))

        progress("starting streammesh up over a fresh embedded mesh ...")
        with StreammeshServer(Path(directory) / "mesh") as server:
            assert server.admin_token is not None
            headers = {"Authorization": f"Bearer {server.admin_token}"}
            ids = register_schemas(server.url, headers)
            for level, backend in ((None, "full-transitive"), ("BACKWARD", "backward")):
                progress(f"register ({backend}): {registrations} new versions in turn ...")
                registered = register_latencies(server.url, headers, registrations, level)
                for pct in (50, 99):
                    value = percentile(registered, pct)
                    rows.append(Row(f"register_latency_p{pct}", backend, value, "ms", BENCH))
            address = urlsplit(server.url)
            assert address.hostname is not None and address.port is not None
            read_load(pool, address.hostname, address.port, server.admin_token, ids, 1.0)
            progress(
                f"read: {seconds:.0f} s of GET /registry/schemas/ids/{{id}} at {CONCURRENCY} ..."
            )
            outcome = read_load(
                pool, address.hostname, address.port, server.admin_token, ids, seconds
            )
        rate = len(outcome.latencies_ms) / seconds
        rows.append(Row("read_request_rate", "streammesh-up", rate, "requests/s", BENCH))
        rows.append(
            Row(
                "read_latency_p50",
                "streammesh-up",
                percentile(outcome.latencies_ms, 50),
                "ms",
                BENCH,
            )
        )
        rows.append(
            Row(
                "read_latency_p99",
                "streammesh-up",
                percentile(outcome.latencies_ms, 99),
                "ms",
                BENCH,
            )
        )
        notes.append(f"read answers by status: {dict(sorted(outcome.statuses.items()))}")
        if capacity < 2 * rate:
            notes.append("the client process is close to its own limit: the read rate is a floor")

    if args.json:
        for row in rows:
            print(row.to_json(), flush=True)
    else:
        console = Console()
        console.print(
            f"machine: {machine()}; {seconds:.0f} s of reads at concurrency {CONCURRENCY}"
        )
        table = Table(title=BENCH)
        for column in ("metric", "backend", "value", "unit"):
            table.add_column(column, justify="right" if column == "value" else "left")
        for row in rows:
            value = f"{row.value:,.1f}" if row.unit == "ms" else f"{row.value:,.0f}"
            table.add_row(row.metric, row.backend, value, row.unit)
        console.print(table)
        for note in notes:
            console.print(f"[dim]{note}[/dim]")
    if args.json:
        for note in notes:
            progress(note)
    return 0 if set(outcome.statuses) == {200} else 1


if __name__ == "__main__":
    raise SystemExit(main())
