"""Event-log throughput and latency: embedded vs Kafka (tansu) vs the raw-file limit.

Measures, in one run on one machine: produce throughput (keyed 200-byte records, one durable
flush at the end), consume throughput (one consumer reading them all back), and
produce-to-consume latency p50/p99 at a steady 5,000 events/s, for the ``embedded`` backend,
the ``kafka`` backend against a tansu broker this script starts, and ``raw-file`` (the same
records appended to a plain file with one fsync per batch). The last rows are the
embedded/kafka ratios. See ``benchmarks/README.md`` for what each figure means.

    python benchmarks/log_throughput.py --quick --json
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Standalone script: make ``logbench`` and the repository's ``tests.support`` importable.
for _path in (_HERE, _HERE.parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from logbench import raw_file  # noqa: E402
from logbench.latency import Latency, measure_latency  # noqa: E402
from logbench.results import Note, Row, print_json, print_table, progress  # noqa: E402
from logbench.throughput import (  # noqa: E402
    BenchmarkFailed,
    Timed,
    create_topic,
    measure_consume,
    measure_produce,
)
from logbench.workload import FULL, PARTITIONS, QUICK, KeyValue, Workload, make_records  # noqa: E402

BACKENDS = ("raw-file", "embedded", "kafka")


class Run:
    """Collects rows and notes while the measurements proceed."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.notes: list[Note] = []
        self.produce: dict[str, float] = {}
        self.consume: dict[str, float] = {}

    def throughput(self, backend: str, produced: list[Timed], consumed: list[Timed]) -> None:
        """Record the median of the repetitions (each on a fresh topic or file)."""
        produce = statistics.median(t.rate for t in produced)
        consume = statistics.median(t.rate for t in consumed)
        self.produce[backend] = produce
        self.consume[backend] = consume
        self.rows.append(Row("produce_throughput", backend, round(produce, 1), "events/s"))
        self.rows.append(Row("consume_throughput", backend, round(consume, 1), "events/s"))
        for label, runs in (("produced", produced), ("consumed", consumed)):
            each = ", ".join(f"{t.seconds:.3f} s ({t.rate:,.0f}/s)" for t in runs)
            self.notes.append(Note(backend, f"{label} {runs[0].events:,} records in {each}"))
        progress(f"{backend}: produce {produce:,.0f}/s, consume {consume:,.0f}/s (medians)")

    def latency(self, backend: str, latency: Latency) -> None:
        self.rows.append(Row("latency_p50", backend, round(latency.p50_ms, 3), "ms"))
        self.rows.append(Row("latency_p99", backend, round(latency.p99_ms, 3), "ms"))
        self.notes.append(
            Note(
                backend,
                (
                    f"latency over {latency.measured:,} records after warm-up "
                    f"({latency.sent:,} sent at {latency.send_rate:,.0f}/s), "
                    f"max {latency.max_ms:.1f} ms"
                ),
            )
        )
        progress(f"{backend}: latency p50 {latency.p50_ms:.2f} ms, p99 {latency.p99_ms:.2f} ms")

    def ratios(self) -> None:
        for metric, rates in (
            ("produce_throughput", self.produce),
            ("consume_throughput", self.consume),
        ):
            if "embedded" in rates and "kafka" in rates:
                ratio = rates["embedded"] / rates["kafka"]
                self.rows.append(Row(metric, "embedded/kafka", round(ratio, 3), "ratio"))


def bench_raw_file(run: Run, workdir: Path, records: list[KeyValue], workload: Workload) -> None:
    """The raw limit: the records framed into a plain file in ``workdir``."""
    progress("raw-file: measuring")
    produced, consumed = [], []
    for repetition in range(workload.repetitions):
        path = workdir / f"raw-{repetition}.log"
        produced.append(raw_file.measure_produce(path, records))
        consumed.append(raw_file.measure_consume(path, len(records)))
        path.unlink()
    run.throughput("raw-file", produced, consumed)
    run.latency("raw-file", raw_file.measure_latency(workdir / "raw-latency.log", workload))


def bench_log(
    run: Run, backend: str, url: str, records: list[KeyValue], workload: Workload
) -> None:
    """Throughput on one topic, then latency on a second one, of the log at ``url``.

    The latency topic lives in the same log as the throughput data, as it would in
    production: a log with history behind it, not an empty one.
    """
    from streammesh.log import open_log

    progress(f"{backend}: measuring at {url}")
    log = open_log(url)
    try:
        produced, consumed = [], []
        for repetition in range(workload.repetitions):
            topic = f"bench.throughput-{repetition}.v1"
            partitions = create_topic(log, topic)
            produced.append(measure_produce(log, topic, records))
            # The warm-up records (one per partition) are read back too.
            consumed.append(measure_consume(log, partitions, len(records) + PARTITIONS))
        run.throughput(backend, produced, consumed)
        create_topic(log, "bench.latency.v1")
        run.latency(backend, measure_latency(log, url, "bench.latency.v1", workload))
    finally:
        log.close()


@contextlib.contextmanager
def log_url(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of a fresh log of ``backend``; for Kafka, a broker that lives as long as this."""
    if backend == "embedded":
        yield f"embedded://{workdir / 'embedded'}"
    else:
        # The test suite's launcher: a tansu broker on a free loopback port, memory storage.
        from tests.support.tansu import BrokerStartError, TansuBroker

        try:
            broker = TansuBroker()
            broker.start()
        except BrokerStartError as exc:
            raise BenchmarkFailed(str(exc)) from exc
        try:
            yield f"kafka://{broker.bootstrap}"
        finally:
            broker.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small run, under 60 s")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help=f"comma-separated subset of {', '.join(BACKENDS)}",
    )
    parser.add_argument("--records", type=int, help="records for the throughput runs")
    parser.add_argument("--latency-seconds", type=float, help="measured seconds of latency run")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="directory for the files (default: a temporary directory, removed afterwards)",
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    workload = QUICK if args.quick else FULL
    if args.records or args.latency_seconds:
        workload = Workload(
            records=args.records or workload.records,
            latency_rate=workload.latency_rate,
            latency_seconds=args.latency_seconds or workload.latency_seconds,
            latency_warmup_seconds=workload.latency_warmup_seconds,
            repetitions=workload.repetitions,
        )

    started = time.perf_counter()
    progress(f"making {workload.records:,} records")
    records = make_records(workload.records)
    run = Run()
    failed = False
    with contextlib.ExitStack() as stack:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            workdir = Path(tempfile.mkdtemp(prefix="log_throughput-", dir=args.workdir))
        else:
            workdir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="log_throughput-"))
            )
        for backend in backends:
            try:
                if backend == "raw-file":
                    bench_raw_file(run, workdir, records, workload)
                else:
                    with log_url(backend, workdir) as url:
                        bench_log(run, backend, url, records, workload)
            except (BenchmarkFailed, ImportError) as exc:
                failed = True
                progress(f"{backend}: FAILED: {exc}")
            except Exception:
                # A backend bug must not hide the other backends' figures; show it in full.
                failed = True
                progress(f"{backend}: FAILED with an unexpected error:")
                traceback.print_exc(file=sys.stderr)
    run.ratios()
    total = time.perf_counter() - started
    if args.json:
        print_json(run.rows)
    else:
        print_table(
            run.rows,
            run.notes,
            (
                f"{workload.records:,} records of 200 bytes, {PARTITIONS} partitions, "
                f"median of {workload.repetitions} repetitions; latency at "
                f"{workload.latency_rate:,}/s for {workload.latency_seconds:g} s after "
                f"{workload.latency_warmup_seconds:g} s warm-up; whole run {total:.1f} s"
            ),
        )
    progress(f"done in {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
