"""Stream processing: streammesh's engine vs Quix Streams, two pipelines, end to end.

Measures, in one run on one machine, the events/s of (a) a filter + projection pipeline and
(b) a 1-minute tumbling count per key over 10,000 keys: streammesh's ``StreamApplication``
running ksqlDB statements on the ``embedded`` log and on ``kafka`` (a tansu broker this script
starts), and the same two pipelines written with Quix Streams on the same broker. Both tools
read the same input topic (JSON values, string keys). The last rows are the
``streammesh/quixstreams`` ratios (both on the broker). See ``benchmarks/README.md``.

    python benchmarks/streams.py --quick --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

_HERE = Path(__file__).resolve().parent
# Standalone script: make ``streamsbench`` and the repository's ``tests.support`` importable.
for _path in (_HERE, _HERE.parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from streammesh.log import TopicSpec  # noqa: E402
from streamsbench.workload import (  # noqa: E402
    PARTITIONS,
    PIPELINE_SQL,
    SOURCE_SQL,
    SOURCE_TOPIC,
    WARMUP_EVENTS,
    WARMUP_TOPIC,
    Events,
    make_events,
)

if TYPE_CHECKING:
    from streammesh.log import Consumer, ConsumerOptions, EventLog, Record

BENCH = "streams"
PIPELINES = {
    "filter_project": "filter_project_throughput",
    "tumbling_count": "tumbling_count_throughput",
}
QUICK_EVENTS = 40_000
FULL_EVENTS = 300_000
_STALL_S = 30.0
_QUIX_RUNNER = _HERE / "streamsbench" / "quix_runner.py"
_QUIX_VENV_PYTHON = _HERE.parent / ".venv-quix" / "bin" / "python"


class BenchmarkFailed(Exception):
    """A measurement could not complete (outputs missing, a tool stalled or crashed)."""


class NotMeasured(Exception):
    """A figure that cannot be measured on this code or machine, with the reason."""


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
    print(message, file=sys.stderr, flush=True)


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


# --- the input ------------------------------------------------------------------------------


def produce_events(log: EventLog, events: Events) -> None:
    """Write the events to a fresh ``bench.events`` topic of ``PARTITIONS`` partitions, and
    the first :data:`WARMUP_EVENTS` of them to ``bench.warmup`` (read by the untimed runs)."""
    from streammesh.log import TopicSpec

    with log.producer() as producer:
        for topic, chosen in (
            (WARMUP_TOPIC, events.events[:WARMUP_EVENTS]),
            (SOURCE_TOPIC, events.events),
        ):
            log.create_topic(TopicSpec(topic, partitions=PARTITIONS, retention_ms=None))
            for event in chosen:
                producer.send(topic, event.value, key=event.key, timestamp_ms=event.timestamp_ms)
        producer.flush()


def count_records(log: EventLog, topic: str) -> int:
    """How many committed records ``topic`` holds (a transaction's markers are not counted)."""
    from streammesh.log import ConsumerOptions, IsolationLevel, TopicPartition

    partitions = [TopicPartition(topic, p) for p in range(log.describe_topic(topic).partitions)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    count = 0
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning(partitions)
        ends = reader.end_offsets(partitions)
        deadline = time.monotonic() + _STALL_S
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            count += len(reader.poll(timeout=0.2))
            if time.monotonic() > deadline:
                raise BenchmarkFailed(f"could not read {topic} to its end")
    return count


# --- streammesh -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timed:
    events: int
    seconds: float
    outputs: int
    before_clock: float = 0.0
    """streammesh: the wait for the first events and the opening of its tasks, which the
    clock counted before 2026-12-07 16:40 (Quix's never did)."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds


class ClockedLog:
    """The benchmark's log as ``StreamApplication`` sees it: every call goes to ``log``, and
    the application's group consumer notes when its poll first returns records of ``topic``
    — the moment the first events enter the pipeline, where the Quix runner's clock starts
    too (its first message handed to the dataframe).

    Quix opens its state stores when the group assigns it partitions, before its first
    message; ``StreamApplication`` opens its tasks (state stores, changelog topics) after the
    poll that brings the assignment. When that poll brings the first events too, they are
    held back for one poll, so that the tasks open before the clock starts on both sides.
    """

    def __init__(self, log: EventLog, topic: str) -> None:
        self._log = log
        self.topic = topic
        self.first: float | None = None
        self.held = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._log, name)

    def consumer(self, options: ConsumerOptions | None = None) -> Consumer:
        consumer = self._log.consumer(options)
        if options is None or options.group is None:
            return consumer
        return _ClockedConsumer(consumer, self)  # type: ignore[return-value]


class _ClockedConsumer:
    """A consumer that notes its first records of the clock's topic (see ``ClockedLog``)."""

    def __init__(self, consumer: Consumer, clock: ClockedLog) -> None:
        self._consumer = consumer
        self._clock = clock
        self._held: list[Record] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._consumer, name)

    def poll(self, timeout: float = 1.0, max_records: int | None = None) -> list[Record]:
        clock = self._clock
        if self._held:
            records, self._held = self._held, []
        else:
            before = self._consumer.assignment()
            records = self._consumer.poll(timeout=timeout, max_records=max_records)
            if records and clock.first is None and self._consumer.assignment() != before:
                self._held = records  # the application opens its new tasks first
                clock.held = True
                return []
        if records and clock.first is None and records[0].topic == clock.topic:
            clock.first = time.perf_counter()
        return records


def run_streammesh(log: EventLog, pipeline: str, name: str, events: int) -> Timed:
    """Run the pipeline's statement with ``StreamApplication`` until every event is processed.

    First an untimed run of the same statement over ``bench.warmup`` (imports, first calls).
    The clock starts when the application's consumer returns the first events (after the
    consumer group's join and the first fetch, as in the Quix runner, whose clock starts
    when the first message enters its pipeline) and stops when the transaction holding the
    last event has committed its outputs with its input offsets (the engine keeps a
    transaction open across polls for its commit interval, 100 ms; ``commit()`` ends the
    last one, as Quix's last checkpoint does).
    """
    _application_run(log, pipeline, f"{name}-warmup", WARMUP_TOPIC, min(events, WARMUP_EVENTS))
    return _application_run(log, pipeline, name, SOURCE_TOPIC, events)


def _application_run(log: EventLog, pipeline: str, name: str, source: str, events: int) -> Timed:
    from streammesh.streams.engine import StreamApplication, UnsupportedPlan
    from streammesh.streams.planner import plan_statements
    from streammesh.streams.sql import parse_statements

    sink = f"{name}.out"
    sql = SOURCE_SQL.format(source=source) + PIPELINE_SQL[pipeline].format(sink=sink)
    script = plan_statements(parse_statements(sql), text=sql)
    clock = ClockedLog(log, source)
    try:
        application = StreamApplication(clock, script.queries[0], name)  # type: ignore[arg-type]
    except UnsupportedPlan as exc:
        raise NotMeasured(f"the engine refuses the statement: {exc}") from exc
    with application:
        application.start()
        processed = 0
        # Where the clock started before 2026-12-07 16:40: the poll_once that read the
        # first events (its wait for them and the tasks it opened included).
        start: float | None = None
        last_progress = time.perf_counter()
        while processed < events:
            before = time.perf_counter()
            read = application.poll_once()
            processed += read
            now = time.perf_counter()
            if start is None and (clock.first is not None or clock.held):
                start = before
            if read:
                last_progress = now
            elif now - last_progress > _STALL_S:
                raise BenchmarkFailed(
                    f"{name} processed {processed} of {events} events, then stalled"
                )
        application.commit()
        end = time.perf_counter()
        assert start is not None and clock.first is not None
        elapsed = end - clock.first
        guarantee = application.guarantee
    outputs = count_records(log, sink)
    before_clock = clock.first - start
    progress(
        f"  {name}: {guarantee}, {processed:,} events in {elapsed:.3f} s, {outputs:,} outputs"
        f" (+ {before_clock:.3f} s before the clock: the first fetch and opening tasks;"
        f" {processed / (elapsed + before_clock):,.0f}/s on the clock used before 16:40)"
    )
    return Timed(processed, elapsed, outputs, before_clock)


# --- Quix Streams ---------------------------------------------------------------------------


def quix_python(given: str | None) -> str:
    """The interpreter that has ``quixstreams``: ``--quix-python``, else ``.venv-quix``, else
    this one if it has it.

    Raises:
        NotMeasured: none of them has it.
    """
    candidates = [given] if given else [str(_QUIX_VENV_PYTHON), sys.executable]
    for candidate in candidates:
        if not Path(candidate).exists():
            continue
        found = subprocess.run(
            [candidate, "-c", "import quixstreams; print(quixstreams.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode == 0:
            progress(f"quixstreams {found.stdout.strip()} in {candidate}")
            return candidate
    raise NotMeasured(
        "quixstreams is not installed (it pins confluent-kafka < 2.13, so it gets its own"
        " environment: python -m venv .venv-quix && .venv-quix/bin/pip install quixstreams)"
    )


def run_quix(
    python: str,
    bootstrap: str,
    pipeline: str,
    name: str,
    events: int,
    workdir: Path,
    emit: str = "final",
    guarantee: str = "exactly-once",
) -> dict[str, float]:
    """Run the Quix Streams version of ``pipeline`` in its own process; its timing."""
    command = [
        python,
        str(_QUIX_RUNNER),
        "--bootstrap",
        bootstrap,
        "--pipeline",
        pipeline,
        "--input",
        SOURCE_TOPIC,
        "--output",
        f"{name}.out",
        "--events",
        str(events),
        "--group",
        name,
        "--state-dir",
        str(workdir / name),
        "--emit",
        emit,
        "--guarantee",
        guarantee,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise BenchmarkFailed(f"quix runner exited {done.returncode}: {done.stderr[-2000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchmarkFailed(f"quix runner printed no result: {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


# --- the run --------------------------------------------------------------------------------


class Run:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.rates: dict[tuple[str, str], float] = {}
        self.missing: dict[tuple[str, str], str] = {}
        self.notes: list[str] = []

    def measured(self, pipeline: str, backend: str, timed: Timed) -> None:
        metric = PIPELINES[pipeline]
        self.rates[(pipeline, backend)] = timed.rate
        self.rows.append(Row(metric, backend, round(timed.rate, 1), "events/s"))
        note = (
            f"{pipeline} on {backend}: {timed.events:,} events in {timed.seconds:.3f} s"
            f" ({timed.rate:,.0f}/s), {timed.outputs:,} outputs"
        )
        self.notes.append(note)
        progress(note)

    def not_measured(self, pipeline: str, backend: str, reason: str) -> None:
        self.missing[(pipeline, backend)] = reason
        self.rows.append(Row(PIPELINES[pipeline], backend, None, "events/s", reason))
        progress(f"{pipeline} on {backend}: not measured: {reason}")

    def ratios(self) -> None:
        """``streammesh/quixstreams`` (both exactly-once), then the same against Quix's own
        default guarantee, ``streammesh/quixstreams-at-least-once``."""
        for other in ("quixstreams", "quixstreams-at-least-once"):
            for pipeline, metric in PIPELINES.items():
                self._ratio(pipeline, metric, other)

    def _ratio(self, pipeline: str, metric: str, other: str) -> None:
        backend = f"streammesh/{other}"
        ours, theirs = self.rates.get((pipeline, "kafka")), self.rates.get((pipeline, other))
        if ours is not None and theirs is not None:
            self.rows.append(Row(metric, backend, round(ours / theirs, 3), "ratio"))
            return
        reasons = [
            f"{side}: {self.missing[(pipeline, side)]}"
            for side in ("kafka", other)
            if (pipeline, side) in self.missing
        ]
        reason = "; ".join(reasons) or "a side failed"
        self.rows.append(Row(metric, backend, None, "ratio", reason))


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


def quix_action(
    log: EventLog,
    python: str,
    bootstrap: str,
    pipeline: str,
    emit: str,
    count: int,
    workdir: Path,
    guarantee: str = "exactly-once",
) -> Callable[[], Timed]:
    """The measurement of the Quix Streams version of ``pipeline`` (``emit``: final/current;
    ``guarantee``: Quix's ``processing_guarantee``)."""
    name = f"quix-{pipeline}-{emit}-{guarantee}"

    def action() -> Timed:
        log.create_topic(TopicSpec(f"{name}.out", partitions=PARTITIONS))
        result = run_quix(python, bootstrap, pipeline, name, count, workdir, emit, guarantee)
        progress(
            f"  {name}: {guarantee}, {result['events']:,} events in {result['seconds']:.3f} s"
            f" (of which {result['stop_to_return_seconds']:.3f} s from the last event's"
            " processing to run() returning: last commit, close)"
        )
        return Timed(int(result["events"]), result["seconds"], count_records(log, f"{name}.out"))

    return action


def measure(
    run: Run, pipeline: str, backend: str, action: Callable[[], Timed], expected: int
) -> bool:
    """Record one figure; ``False`` if it failed unexpectedly. ``expected``: how many outputs
    the filter pipeline must write (each tool is checked, not only timed)."""
    try:
        timed = action()
        if pipeline == "filter_project" and timed.outputs != expected:
            raise BenchmarkFailed(f"{timed.outputs} outputs, expected {expected}")
        run.measured(pipeline, backend, timed)
    except NotMeasured as exc:
        run.not_measured(pipeline, backend, str(exc))
    except BenchmarkFailed as exc:
        run.not_measured(pipeline, backend, f"failed: {exc}")
        return False
    except Exception as exc:  # a bug must not hide the other figures; show it in full
        traceback.print_exc(file=sys.stderr)
        run.not_measured(pipeline, backend, f"failed: {type(exc).__name__}: {exc}")
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small run, under 60 s")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--events", type=int, help="input events per pipeline")
    parser.add_argument("--quix-python", help="the interpreter that has quixstreams")
    args = parser.parse_args(argv)
    count = args.events or (QUICK_EVENTS if args.quick else FULL_EVENTS)

    started = time.perf_counter()
    progress(f"making {count:,} events over 10,000 keys")
    events = make_events(count)
    run = Run()
    ok = True
    with tempfile.TemporaryDirectory(prefix="streams-bench-") as directory:
        workdir = Path(directory)
        from streammesh.log import open_log

        # The embedded log: streammesh only (Quix Streams needs a Kafka broker).
        log = open_log(f"embedded://{workdir / 'embedded'}")
        try:
            produce_events(log, events)
            for pipeline in PIPELINES:
                ok &= measure(
                    run,
                    pipeline,
                    "embedded",
                    lambda p=pipeline: run_streammesh(log, p, f"sm-{p}", count),
                    events.passing_filter,
                )
        finally:
            log.close()

        # Kafka: streammesh and Quix Streams on the same broker, same input topic.
        try:
            with broker() as bootstrap:
                progress(f"tansu at {bootstrap}")
                log = open_log(f"kafka://{bootstrap}")
                try:
                    produce_events(log, events)
                    try:
                        python: str | None = quix_python(args.quix_python)
                    except NotMeasured as exc:
                        python, missing = None, str(exc)
                    for pipeline in PIPELINES:
                        ok &= measure(
                            run,
                            pipeline,
                            "kafka",
                            lambda p=pipeline: run_streammesh(log, p, f"sm-{p}", count),
                            events.passing_filter,
                        )
                        if python is None:
                            run.not_measured(pipeline, "quixstreams", missing)
                            continue
                        # The brief's pipeline (b) is Quix's .final(); .current() (one
                        # output per update, as EMIT CHANGES) is shown beside it. The ratio
                        # is against Quix with exactly-once, as streammesh runs; Quix's own
                        # default, at-least-once, is shown beside it too.
                        variants = [("quixstreams", "final", "exactly-once")]
                        if pipeline == "tumbling_count":
                            variants.append(("quixstreams-current", "current", "exactly-once"))
                        variants.append(("quixstreams-at-least-once", "final", "at-least-once"))
                        for backend, emit, guarantee in variants:
                            action = quix_action(
                                log, python, bootstrap, pipeline, emit, count, workdir, guarantee
                            )
                            ok &= measure(run, pipeline, backend, action, events.passing_filter)
                finally:
                    log.close()
        except BenchmarkFailed as exc:
            ok = False
            progress(f"kafka: FAILED: {exc}")
    run.ratios()
    total = time.perf_counter() - started
    if args.json:
        for row in run.rows:
            print(row.to_json(), flush=True)
    else:
        print_table(run, count, total)
    progress(f"machine: {machine()}")
    progress(f"done in {total:.1f} s")
    return 0 if ok else 1


def print_table(run: Run, count: int, total: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"{count:,} JSON events over 10,000 string keys, {PARTITIONS} partitions; whole run"
        f" {total:.1f} s"
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
        elif row.unit == "ratio":
            value = f"{row.value:,.2f}"
        else:
            value = f"{row.value:,.0f}"
        table.add_row(row.metric, row.backend, value, row.unit)
    console.print(table)
    for number, reason in enumerate(reasons, 1):
        console.print(f"({number}) {reason}")
    for note in run.notes:
        console.print(f"[dim]{note}[/dim]")


if __name__ == "__main__":
    sys.exit(main())
