"""Exactly-once stream processing, proven end to end: ``streammesh streams run`` is killed with
``kill -9`` at random moments, round after round, while trades keep arriving, and the final
outputs are exactly what one pass over the input gives.

The script runs two queries over the same trades (keyless, so both go through repartition
topics): a windowed ``COUNT(*)``/``SUM(quantity)`` per symbol over 1-minute tumbling windows,
and a stream-table join of each trade with its user. Each of 20 rounds starts the process,
waits for its ``running`` line, appends a burst of trades a random 0.2-1.5 s later and kills
it (SIGKILL) 0-150 ms after that, and starts the next; a producer thread appends trades (some
out of order) all along, and the process runs with a 1.5 s group session (see
``PREAMBLE``; the processes are forked from a warm interpreter). A last run is left to finish
the input and is stopped with Ctrl-C. Then the outputs are read ``read_committed`` and
compared with the answer computed here from the input: per symbol and window the final count
and sum (none missing, none twice, and the committed counts of a window only ever grow), and
each trade joined exactly once with its user's columns.

On Kafka (tansu) fewer rounds, each killed a random 0.2-1.5 s after its first commit: no trade
may be missing; tansu hands aborted transactions' records to ``read_committed`` readers, so
trades counted or joined twice are the broker's defect there (an ``xfail`` naming it).

The random generator's seed is printed and named in every failure message; set
``STREAMMESH_KILL_SEED`` to run the same input and kill delays again (the kill moments still
depend on the machine's speed).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from streammesh.config import MeshConfig
from streammesh.log import (
    ConsumerOptions,
    EventLog,
    IsolationLevel,
    Record,
    TopicPartition,
    TopicSpec,
    open_log,
)
from streammesh.runtime import MeshRuntime
from tests.support.warm_processes import WarmProcess, WarmStarter

pytestmark = pytest.mark.slow

GROUP_SESSION_MS, GROUP_HEARTBEAT_MS = 1_500, 300
PREAMBLE = f"""
from streammesh.streams.engine.application import StreamApplication
StreamApplication.__init__.__kwdefaults__.update(
    session_timeout_ms={GROUP_SESSION_MS}, heartbeat_interval_ms={GROUP_HEARTBEAT_MS}
)
"""
"""Run by the warm starter before ``streammesh``'s ``main`` is imported (its processes are
forked from it: :mod:`tests.support.warm_processes`): a 1.5 s group session instead of 6 s.
A restarted process gets its partitions once the group has dropped the one killed before
it, so with 6 s most rounds of a second or two would only wait for that
(tests/support/tansu.py shortens sessions likewise)."""
ROUNDS = 20
KAFKA_ROUNDS = 3
COMMIT_TIMEOUT_S = 45.0
PARTITIONS = 3
USERS = 100
SYMBOLS = 200
TRADES = 6_000
FIRST_TRADES = 1_500
"""Trades on the log before the first round; the producer thread appends the rest."""
BURST = 150
"""Trades appended right before each kill (of the rest)."""
WINDOW_MS = 60_000
BASE_MS = (time.time_ns() // 1_000_000 // WINDOW_MS - 10) * WINDOW_MS + 7_000
"""The first trade's timestamp; trade ``n`` is at ``BASE_MS + 50 n`` ms (6,000 trades span
five 1-minute windows), a fifth of them up to 30 s earlier (out of order, well within the
default 24-hour grace). Recent: the topics' 7-day retention would delete older records."""
KILL_AFTER_S = (0.2, 1.5)
START_TIMEOUT_S = 60.0
TANSU_SHOWS_ABORTED = (
    "tansu 0.6 sends no aborted-transaction list in Fetch responses, so librdkafka hands "
    "aborted records to read_committed consumers (the engine's own included: changelogs, "
    "repartition topics); a Kafka broker filters them"
)
FINISH_TIMEOUT_S = 60.0

SQL = """\
CREATE STREAM trades (tradeid INT, symbol STRING, userid STRING, quantity INT)
  WITH (kafka_topic='{trades}', value_format='JSON');
CREATE TABLE users (userid STRING PRIMARY KEY, regionid STRING, level INT)
  WITH (kafka_topic='{users}', value_format='JSON');
CREATE TABLE counts WITH (kafka_topic='{counts}', value_format='JSON') AS
  SELECT symbol, COUNT(*) AS n, SUM(quantity) AS total
  FROM trades WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY symbol EMIT CHANGES;
CREATE STREAM enriched WITH (kafka_topic='{enriched}', value_format='JSON') AS
  SELECT t.tradeid, t.userid, u.regionid, u.level
  FROM trades t JOIN users u ON t.userid = u.userid EMIT CHANGES;
"""


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one run (suffixed on the shared Kafka broker)."""

    trades: str
    users: str
    counts: str
    enriched: str

    @classmethod
    def named(cls, suffix: str) -> Topics:
        return cls(f"trades{suffix}", f"users{suffix}", f"counts{suffix}", f"enriched{suffix}")


@dataclass(frozen=True, slots=True)
class Trade:
    tradeid: int
    symbol: str
    userid: str
    quantity: int
    timestamp: int

    def value(self) -> bytes:
        return json.dumps(
            {
                "tradeid": self.tradeid,
                "symbol": self.symbol,
                "userid": self.userid,
                "quantity": self.quantity,
            }
        ).encode()


def user_row(userid: str) -> dict[str, Any]:
    n = int(userid[1:])
    return {"regionid": f"REGION_{n % 9}", "level": n % 4}


def make_trades(rng: random.Random) -> list[Trade]:
    trades = []
    for n in range(TRADES):
        late = rng.randint(1, 30_000) if rng.random() < 0.2 else 0
        trades.append(
            Trade(
                tradeid=n,
                symbol=f"S{rng.randrange(SYMBOLS):03d}",
                userid=f"u{rng.randrange(USERS)}",
                quantity=rng.randint(1, 100),
                timestamp=BASE_MS + 50 * n - late,
            )
        )
    return trades


def expected_counts(trades: list[Trade]) -> dict[tuple[str, int], tuple[int, int]]:
    """(symbol, window start) -> (COUNT(*), SUM(quantity)): the batch answer."""
    found: dict[tuple[str, int], tuple[int, int]] = {}
    for trade in trades:
        window = (trade.symbol, trade.timestamp - trade.timestamp % WINDOW_MS)
        count, total = found.get(window, (0, 0))
        found[window] = (count + 1, total + trade.quantity)
    return found


def produce(log: EventLog, topic: str, trades: list[Trade]) -> None:
    with log.producer() as producer:
        for trade in trades:
            producer.send(topic, trade.value(), timestamp_ms=trade.timestamp)
        producer.flush()


class Appender(threading.Thread):
    """Appends trades in small batches at random intervals while the rounds run, spread over
    them (by the end of round ``k`` of ``n``, ``round`` set by the rounds, about ``k/n`` of
    them), and a burst on demand right before a kill, so that the process is busy then."""

    def __init__(
        self, log: EventLog, topic: str, trades: list[Trade], rounds: int, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.log, self.topic, self.trades, self.rounds = log, topic, trades, rounds
        self.round = 0
        self.sent = 0
        self.rng = random.Random(seed)
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._producer = log.producer()

    def send(self, count: int) -> None:
        """Append the next ``count`` trades (fewer at the end) and flush them."""
        with self._lock:
            for trade in self.trades[self.sent : self.sent + count]:
                self._producer.send(self.topic, trade.value(), timestamp_ms=trade.timestamp)
                self.sent += 1
            self._producer.flush()

    def run(self) -> None:
        try:
            while self.sent < len(self.trades):
                if self.sent >= len(self.trades) * (self.round + 1) // self.rounds:
                    time.sleep(0.02)
                    continue
                # About 16 batches a round, one every 0.05-0.2 s.
                self.send(self.rng.randint(1, max(8, len(self.trades) // self.rounds // 16)))
                time.sleep(self.rng.uniform(0.05, 0.2))
        except BaseException as exc:  # re-raised by the test, which joins the thread
            self.error = exc
        finally:
            self._producer.close()


@dataclass
class Killed:
    """What the rounds did, for the failure messages."""

    delays: list[float] = field(default_factory=list)
    committed: list[int] = field(default_factory=list)
    """The input offsets committed by both queries after each round."""
    starts: list[float] = field(default_factory=list)
    """Seconds from each process's start to its ``running`` line (or its first commit)."""
    early_exits: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        delays = ", ".join(f"{delay:.2f}" for delay in self.delays)
        return (
            f"{len(self.delays)} rounds killed {delays} s after their running line (or first "
            f"commit); trades committed after each: {self.committed}"
        )


def wait_running(process: WarmProcess, seed: int) -> None:
    """Until the process prints its ``running`` line (it then polls its inputs)."""
    assert process.stdout is not None
    line = b""
    deadline = time.monotonic() + START_TIMEOUT_S
    ready = threading.Event()

    def read() -> None:
        nonlocal line
        assert process.stdout is not None
        line = process.stdout.readline()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(max(0.0, deadline - time.monotonic()))
    if not line.startswith(b"running "):
        process.kill()
        _, errors = process.communicate()
        pytest.fail(
            f"seed {seed}: streams run did not start: {line.decode()!r} {errors.decode()[-2000:]}"
        )


def kill_rounds(
    starter: WarmStarter,
    setup: Setup,
    log: EventLog,
    rounds: int,
    rng: random.Random,
    appender: Appender,
    *,
    after_commit: bool,
) -> Killed:
    """Start, kill -9 a random 0.2-1.5 s after the ``running`` line (``after_commit``: after the
    process's first commit, i.e. once it has its partitions), ``rounds`` times."""
    killed = Killed()
    for number in range(rounds):
        appender.round = number
        before = committed_trades(log, setup)
        started = time.monotonic()
        process = starter.start(setup.command)
        try:
            wait_running(process, setup.seed)
            if after_commit:
                wait_for_commit(log, setup, process, before)
            killed.starts.append(time.monotonic() - started)
            delay = rng.uniform(*KILL_AFTER_S)
            time.sleep(delay)
            # A burst of trades, then the kill within 0-150 ms: the process is reading,
            # processing or committing them (a process idle between trickles proves little).
            appender.send(BURST)
            time.sleep(jitter := rng.uniform(0.0, 0.15))
            if process.poll() is not None:
                killed.early_exits.append(process.communicate()[1].decode()[-2000:])
            killed.delays.append(delay + jitter)
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.communicate()
        killed.committed.append(committed_trades(log, setup))
    assert killed.early_exits == [], f"seed {setup.seed}: streams run ended by itself"
    print(f"started in {', '.join(f'{s:.2f}' for s in killed.starts)} s")
    print(f"trades committed after each round: {killed.committed}")
    return killed


def wait_for_commit(log: EventLog, setup: Setup, process: WarmProcess, before: int) -> None:
    deadline = time.monotonic() + COMMIT_TIMEOUT_S
    while committed_trades(log, setup) <= before:
        assert process.poll() is None, f"seed {setup.seed}: streams run ended by itself"
        assert time.monotonic() < deadline, f"seed {setup.seed}: nothing committed in time"
        time.sleep(0.1)


def committed_trades(log: EventLog, setup: Setup) -> int:
    """The input offsets both queries committed, summed over partitions and queries."""
    return sum(
        offset or 0
        for group in setup.groups
        for offset in log.committed_offsets(group, setup.topics.trades).values()
    )


def read_committed(log: EventLog, topic: str) -> list[Record]:
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    options = ConsumerOptions(isolation_level=IsolationLevel.READ_COMMITTED, auto_commit=False)
    records: list[Record] = []
    with log.consumer(options) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()
        ends = reader.end_offsets(partitions)
        deadline = time.monotonic() + 30
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            records.extend(reader.poll(timeout=0.2))
    return records


@dataclass(frozen=True, slots=True)
class Outputs:
    """What the two queries committed."""

    counts: dict[tuple[str, int], list[tuple[int, int]]]
    """(symbol, window start) -> every committed (N, TOTAL), in order."""
    joined: dict[int, list[dict[str, Any]]]
    """Trade id -> every committed joined row of it."""


def read_outputs(log: EventLog, topics: Topics) -> Outputs:
    counts: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for record in read_committed(log, topics.counts):
        assert record.key is not None and record.value is not None
        # ksqlDB's windowed key: the KAFKA-format symbol, then the window start (8 bytes).
        window = (record.key[:-8].decode(), int.from_bytes(record.key[-8:], "big"))
        value = json.loads(record.value)
        counts[window].append((value["N"], value["TOTAL"]))
    joined: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in read_committed(log, topics.enriched):
        # A stream-table join's output is keyed by the join value: USERID is the key.
        row = {"USERID": (record.key or b"").decode(), **json.loads(record.value or b"null")}
        joined[row["TRADEID"]].append(row)
    return Outputs(dict(counts), dict(joined))


def missing(outputs: Outputs, trades: list[Trade]) -> list[str]:
    """What one pass over ``trades`` outputs and ``outputs`` lacks: windows not counted or
    counted short, trades not joined, joined rows not of their trade and user."""
    problems = []
    expected = expected_counts(trades)
    final = {window: changes[-1] for window, changes in outputs.counts.items()}
    absent = sorted(set(expected) - set(final))
    if absent:
        problems.append(f"{len(absent)} windows missing, e.g. {absent[:3]}")
    short = sorted(
        w for w in set(final) & set(expected) if any(map(int.__lt__, final[w], expected[w]))
    )
    if short:
        problems.append(
            f"{len(short)} windows with a (count, sum) short of the input's, e.g. "
            + ", ".join(f"{w}: {final[w]} instead of {expected[w]}" for w in short[:3])
        )
    not_joined = sorted({trade.tradeid for trade in trades} - set(outputs.joined))
    if not_joined:
        problems.append(f"{len(not_joined)} trades not joined, e.g. {not_joined[:5]}")
    by_id = {trade.tradeid: trade for trade in trades}
    wrong = [
        row
        for n, rows in outputs.joined.items()
        for row in rows
        if n not in by_id
        or row != {"USERID": by_id[n].userid, "TRADEID": n, **upper(user_row(by_id[n].userid))}
    ]
    if wrong:
        problems.append(f"{len(wrong)} joined rows not of a trade and its user, e.g. {wrong[:2]}")
    return problems


def repeated(outputs: Outputs, trades: list[Trade]) -> list[str]:
    """What ``outputs`` holds beyond one pass over ``trades``: windows counted over, or whose
    committed count went back, windows no trade falls in, trades joined more than once."""
    problems = []
    expected = expected_counts(trades)
    final = {window: changes[-1] for window, changes in outputs.counts.items()}
    extra = sorted(set(final) - set(expected))
    if extra:
        problems.append(f"{len(extra)} windows no trade falls in, e.g. {extra[:3]}")
    over = sorted(
        w for w in set(final) & set(expected) if any(map(int.__gt__, final[w], expected[w]))
    )
    if over:
        problems.append(
            f"{len(over)} windows with a (count, sum) over the input's, e.g. "
            + ", ".join(f"{w}: {final[w]} instead of {expected[w]}" for w in over[:3])
        )
    # EMIT CHANGES: each committed update of a window counts one more trade, so a count that
    # does not grow is an event counted again (even if the final count were right).
    again = sorted(
        window
        for window, changes in outputs.counts.items()
        if any(later[0] <= earlier[0] for earlier, later in itertools.pairwise(changes))
    )
    if again:
        problems.append(
            f"{len(again)} windows whose committed count did not only grow, e.g. "
            f"{again[0]}: {outputs.counts[again[0]]}"
        )
    twice = sorted(n for n, rows in outputs.joined.items() if len(rows) > 1)
    if twice:
        problems.append(f"{len(twice)} trades joined more than once, e.g. {twice[:5]}")
    return problems


def upper(row: dict[str, Any]) -> dict[str, Any]:
    return {name.upper(): value for name, value in row.items()}


@dataclass(frozen=True, slots=True)
class Setup:
    """A mesh whose log holds the users and the first trades."""

    home: Path
    command: list[str]
    groups: tuple[str, ...]
    """The consumer groups of the two queries (``<APP>-<query id>``)."""
    topics: Topics
    trades: list[Trade]
    seed: int


def prepare(home: Path, log: EventLog, log_option: list[str], suffix: str, tmp: Path) -> Setup:
    seed = int(os.environ.get("STREAMMESH_KILL_SEED") or random.randrange(2**32))
    print(f"kill loop seed {seed}")  # shown by pytest with a failure
    topics = Topics.named(suffix)
    for topic in (topics.trades, topics.users):
        log.create_topic(TopicSpec(topic, partitions=PARTITIONS))
    with log.producer() as producer:
        for n in range(USERS):
            userid = f"u{n}"
            value = json.dumps(user_row(userid)).encode()
            # Older than every trade: a join task takes records in time order, so each trade
            # finds its user.
            producer.send(
                topics.users, value, key=userid.encode(), timestamp_ms=BASE_MS - WINDOW_MS
            )
        producer.flush()
    trades = make_trades(random.Random(seed))
    produce(log, topics.trades, trades[:FIRST_TRADES])
    name = f"kill-loop{suffix}"
    sql = tmp / "kill-loop.sql"
    sql.write_text(_sql(topics), encoding="utf-8")
    command = [
        *log_option,
        "streams",
        "run",
        str(sql),
        "--name",
        name,
        "--mesh",
        str(home),
        "--interval",
        "0.5",
    ]
    groups = (f"{name}-ctas_counts_0", f"{name}-csas_enriched_1")
    return Setup(home, command, groups, topics, trades, seed)


def _sql(topics: Topics) -> str:
    return SQL.format(
        trades=topics.trades, users=topics.users, counts=topics.counts, enriched=topics.enriched
    )


def run_loop(setup: Setup, log: EventLog, rounds: int, *, after_commit: bool = False) -> Killed:
    """The kill rounds with trades arriving, then a last run to the end of the input."""
    rng = random.Random(setup.seed)
    appender = Appender(
        log, setup.topics.trades, setup.trades[FIRST_TRADES:], rounds, setup.seed + 1
    )
    appender.start()
    with WarmStarter("streammesh.cli.main:main", preamble=PREAMBLE) as starter:
        killed = kill_rounds(starter, setup, log, rounds, rng, appender, after_commit=after_commit)
        appender.round = rounds
        appender.join(timeout=60)
        assert appender.error is None, f"seed {setup.seed}: the producer failed: {appender.error}"
        assert not appender.is_alive(), f"seed {setup.seed}: the producer did not finish"
        last = starter.start(setup.command)
        return _finish(setup, log, last, killed)


def _finish(setup: Setup, log: EventLog, last: WarmProcess, killed: Killed) -> Killed:
    """Let the last process run to the end of the input, then stop it with Ctrl-C."""
    try:
        wait_running(last, setup.seed)
        deadline = time.monotonic() + FINISH_TIMEOUT_S
        while time.monotonic() < deadline:
            # Finished when every trade is joined and every window counted in full; what was
            # output more than once is checked once the process has stopped.
            if not missing(read_outputs(log, setup.topics), setup.trades):
                break
            if last.poll() is not None:
                break
            time.sleep(0.5)
        last.send_signal(signal.SIGINT)
        printed, errors = last.communicate(timeout=30)
    finally:
        if last.poll() is None:
            last.kill()
            last.communicate()
    assert last.returncode == 0, f"seed {setup.seed}: {printed.decode()} {errors.decode()}"
    return killed


@pytest.fixture
def mesh(tmp_path: Path) -> Path:
    home = tmp_path / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)):
        pass
    return home


def test_kill_9_loop_on_the_embedded_log_counts_and_joins_every_trade_once(
    mesh: Path, tmp_path: Path
) -> None:
    with MeshRuntime.open(MeshConfig.load(mesh)) as runtime:
        setup = prepare(mesh, runtime.log, [], "", tmp_path)
        killed = run_loop(setup, runtime.log, ROUNDS)
        outputs = read_outputs(runtime.log, setup.topics)
    problems = missing(outputs, setup.trades) + repeated(outputs, setup.trades)
    assert problems == [], f"seed {setup.seed}, {killed}: {problems}"
    # A restarted process gets its partitions once the group has dropped the killed one, so a
    # round may end before it commits anything; most must have been killed busy.
    busy = sum(b > a for a, b in itertools.pairwise([0, *killed.committed]))
    assert busy >= ROUNDS // 2, f"seed {setup.seed}: only {busy} rounds committed: {killed}"


@dataclass(frozen=True, slots=True)
class KafkaLoop:
    setup: Setup
    killed: Killed
    outputs: Outputs


@pytest.fixture(scope="module")
def kafka_loop(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> KafkaLoop:
    """The kill loop run once on the session's tansu broker; the tests check its outputs."""
    tmp = tmp_path_factory.mktemp("kafka-kill-loop")
    home = tmp / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)):
        pass
    url = f"kafka://{kafka_bootstrap}"
    log = open_log(url)
    try:
        setup = prepare(home, log, ["--log", url], f"-{uuid.uuid4().hex[:8]}", tmp)
        killed = run_loop(setup, log, KAFKA_ROUNDS, after_commit=True)
        outputs = read_outputs(log, setup.topics)
    finally:
        log.close()
    return KafkaLoop(setup, killed, outputs)


@pytest.mark.kafka
def test_kill_9_loop_on_kafka_misses_no_trade(kafka_loop: KafkaLoop) -> None:
    problems = missing(kafka_loop.outputs, kafka_loop.setup.trades)
    assert problems == [], f"seed {kafka_loop.setup.seed}, {kafka_loop.killed}: {problems}"


@pytest.mark.kafka
def test_kill_9_loop_on_kafka_counts_and_joins_no_trade_twice(kafka_loop: KafkaLoop) -> None:
    problems = repeated(kafka_loop.outputs, kafka_loop.setup.trades)
    if problems:
        # Not a strict xfail marker: whether a kill leaves an aborted transaction with records
        # on the broker depends on the moment, and some runs have none (then this passes).
        pytest.xfail(f"{TANSU_SHOWS_ABORTED}: seed {kafka_loop.setup.seed}: {problems}")
