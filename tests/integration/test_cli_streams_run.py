"""``streammesh streams run`` and ``streams explain`` as real processes over a real embedded
mesh: products applied from descriptors, events produced with the SDK, the output product
consumed, Ctrl-C, a restart without duplicates, grants, and SQL errors.

A run that is stopped or interrupted is a process of its own, forked from the warm interpreter
the server tests start from (no second import of the services); a command that only refuses
(bad SQL, a missing grant) runs in-process."""

from __future__ import annotations

import json
import os
import pty
import queue
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from streammesh.access import Caller
from streammesh.config import MeshConfig
from streammesh.control import read_product_sources
from streammesh.identity import AccountKind, Role
from streammesh.log import ConsumerOptions, IsolationLevel, TopicNotFound
from streammesh.runtime import MeshRuntime
from streammesh.sdk import Mesh
from tests.support.processes import streammesh_command
from tests.support.streammesh_server import warm_streammesh
from tests.support.warm_processes import WarmProcess
from tests.unit.cli.invoking import invoke_cli

STREAMMESH = streammesh_command()
PROGRESS = ("--interval", "0.3")
"""A progress line every 0.3 s: a test waits for the one that shows its events were read."""
ADMIN = Caller("admin", Role.PLATFORM_ADMIN)
ACCOUNT = "big-trades-sa"

_TRADES = {
    "type": "record",
    "name": "Trade",
    "namespace": "execution",
    "fields": [
        {"name": "symbol", "type": "string", "doc": "Ticker."},
        {"name": "quantity", "type": "int", "doc": "Shares."},
        {"name": "price", "type": "int", "doc": "Price in cents."},
    ],
}
_DESCRIPTOR = """\
name: execution.trades
owner: {name: Ada Lovelace, email: ada@example.com}
team: trading-team
description: Trades for stream tests.
alignment: source
kind: measurement
key: {field: symbol, type: string}
schema: trades.avsc
partitions: xs
retention: recent:7d
sla: {tier: 2}
status: published
"""

BIG_TRADES = """\
CREATE STREAM big WITH (product='analytics.big_trades') AS
  SELECT symbol, price, quantity
  FROM execution.trades
  WHERE price > 500 EMIT CHANGES;
"""

BIG_TRADES_TOPIC = """\
CREATE STREAM big WITH (kafka_topic='big_trades', value_format='JSON') AS
  SELECT symbol, price, quantity
  FROM execution.trades
  WHERE price > 500 EMIT CHANGES;
"""

PLAIN_FILTER = """\
CREATE STREAM trades (id INT KEY, price INT) WITH (kafka_topic='plain_trades', value_format='JSON');
CREATE STREAM expensive AS SELECT id, price FROM trades WHERE price > 500 EMIT CHANGES;
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A mesh with the published product ``execution.trades`` and the service account."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "trades.avsc").write_text(json.dumps(_TRADES), encoding="utf-8")
    (repo / "trades.yaml").write_text(_DESCRIPTOR, encoding="utf-8")
    home = tmp_path / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        for domain, team in (("execution", "trading-team"), ("analytics", "analytics-team")):
            runtime.plane.register_domain(domain, description=None, actor="admin")
            runtime.plane.register_team(
                team, domain=domain, email=f"{team}@example.com", description=None, actor="admin"
            )
        runtime.plane.apply(read_product_sources([repo]), actor="owner")
        runtime.access.create_account(
            ACCOUNT, AccountKind.SERVICE_ACCOUNT, team="analytics-team", description="", actor="a"
        )
    return home


def _grant(home: Path, product: str, *, classified: bool = False) -> None:
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        request = runtime.access.request(
            product, ACCOUNT, purpose="tests", classified=classified, caller=ADMIN
        )
        if request.state.value != "approved":
            runtime.access.approve(request.id, caller=ADMIN)


def _produce(home: Path, prices: list[int]) -> None:
    with Mesh.open(home) as mesh, mesh.producer("execution.trades") as producer:
        for n, price in enumerate(prices):
            producer.send({"symbol": f"S{n % 3}", "quantity": n, "price": price})
        producer.flush()


def _output(home: Path, topic: str, at_least: int, timeout: float) -> list[dict[str, Any]]:
    """The committed records of ``topic`` (JSON values), waiting up to ``timeout`` s for
    ``at_least`` of them, then reading on for a moment: a duplicate would come after."""
    options = ConsumerOptions(
        group=f"check-{uuid.uuid4().hex[:8]}",
        auto_commit=False,
        isolation_level=IsolationLevel.READ_COMMITTED,
    )
    values: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with Mesh.open(home) as mesh, mesh.local.log.consumer(options) as consumer:
        while time.monotonic() < deadline:
            try:
                consumer.subscribe([topic])
                break
            except TopicNotFound:
                time.sleep(0.2)
        while time.monotonic() < deadline and len(values) < at_least:
            values += [json.loads(r.value or b"null") for r in consumer.poll(timeout=0.3)]
        values += [json.loads(r.value or b"null") for r in consumer.poll(timeout=1.0)]
    return values


class _Running:
    """A ``streams run`` process and the lines it prints (read by a thread: select() cannot
    see lines already pulled into the pipe's buffer)."""

    def __init__(self, process: WarmProcess) -> None:
        assert process.stdout is not None
        stdout = process.stdout
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(
            target=lambda: [self.lines.put(line.decode()) for line in stdout], daemon=True
        )
        self.reader.start()

    def first_line(self) -> str:
        return self.lines.get(timeout=15)

    def wait_for(self, *texts: str, within_s: float = 30.0) -> None:
        """Read progress lines until one holds every text in ``texts`` (kept for
        :meth:`stop`)."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {texts} in time: {self.seen}") from None
            self.seen.append(line)
            if all(text in line for text in texts):
                return

    def stop(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and everything printed after the first line."""
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.reader.join(timeout=5)
            assert self.process.stdout is not None and self.process.stderr is not None
            errors = self.process.stderr.read().decode()
            self.process.stdout.close()
            self.process.stderr.close()
        seen = self.seen
        while not self.lines.empty():
            seen.append(self.lines.get())
        return code, "".join(seen) + errors


def _start(home: Path, sql: Path, name: str, *extra: str) -> _Running:
    argv = ["streams", "run", str(sql), "--name", name, "--mesh", str(home), *extra]
    # This test's environment and directory, not those of the test that started the server.
    return _Running(warm_streammesh().start(argv, env=dict(os.environ), cwd=os.getcwd()))


def _sql(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "statements.sql"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_run_publishes_the_output_stops_cleanly_and_restarts_without_duplicates(
    home: Path, tmp_path: Path
) -> None:
    _grant(home, "execution.trades")
    _produce(home, [100, 600, 700, 200, 900])
    sql = _sql(tmp_path, BIG_TRADES_TOPIC)
    name = f"big-{uuid.uuid4().hex[:6]}"

    running = _start(home, sql, name, "--principal", ACCOUNT, "--interval", "0.5")
    first = running.first_line()
    assert first.startswith(f"running {name} (1 query, exactly-once, as {ACCOUNT})")
    events = _output(home, "big_trades", 3, timeout=10)
    code, printed = running.stop()
    assert code == 0, printed
    assert sorted(e["PRICE"] for e in events) == [600, 700, 900]
    assert "CSAS_BIG_0 -> big_trades: in 5" in printed
    assert f"stopped {name}: 5 events in, 3 out, committed." in printed

    # Same input, more of it: only the new events are processed.
    _produce(home, [800])
    running = _start(home, sql, name, "--principal", ACCOUNT)
    assert running.first_line().startswith(f"running {name}")
    events = _output(home, "big_trades", 4, timeout=10)
    code, printed = running.stop()
    assert code == 0, printed
    assert sorted(e["PRICE"] for e in events) == [600, 700, 800, 900]
    assert f"stopped {name}: 1 event in, 1 out, committed." in printed
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:  # registered as a consumer
        readers = runtime.plane.applications("execution.trades.v1")
        assert any(app.name == name and app.group == name for app, _active in readers)


def test_a_missing_grant_refuses_to_start_naming_it(home: Path, tmp_path: Path) -> None:
    sql = _sql(tmp_path, BIG_TRADES)
    args = ["streams", "run", str(sql), "--name", "nogrant", "--mesh", str(home)]
    result = invoke_cli(*args, "--principal", ACCOUNT)
    assert result.exit_code == 1
    error = result.stderr
    assert error.startswith("error: ")
    assert f"'{ACCOUNT}' has no read grant on 'execution.trades.v1'" in error
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:  # nothing was published
        assert [p.reference for p in runtime.plane.products() if "big" in p.reference] == []


def _explain(home: Path, sql: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    """``streams explain`` in this process (it only reads; ``run`` is tested as a process)."""
    args = ["streams", "explain", str(sql), "--mesh", str(home), *extra]
    result = invoke_cli(*args)
    return subprocess.CompletedProcess(
        args, result.exit_code, result.stdout.encode(), result.stderr.encode()
    )


def test_explain_a_filter_over_a_topic(home: Path, tmp_path: Path) -> None:
    result = _explain(home, _sql(tmp_path, PLAIN_FILTER), "--name", "filter-app")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "Query CSAS_EXPENSIVE_0 -> stream EXPENSIVE, topic EXPENSIVE" in text
    assert "Filter" in text and "PRICE > 500" in text
    assert "Source TRADES (stream, topic plain_trades" in text
    assert "State stores: (none)" in text
    assert "Internal topics: filter-app.dead-letter" in text


def test_explain_a_product_in_from_as_json(home: Path, tmp_path: Path) -> None:
    result = _explain(home, _sql(tmp_path, BIG_TRADES), "--name", "big-app", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["inputs"] == ["execution.trades.v1"]
    assert document["outputs"] == ["analytics.big_trades.v1"]
    [query] = document["queries"]
    assert query["sink"] == {"name": "BIG", "kind": "stream", "topic": "analytics.big_trades.v1"}
    assert "topic execution.trades.v1" in query["plan"]
    assert query["runs"] is True
    assert query["internal_topics"] == ["big-app.dead-letter"]
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:  # explain changes nothing
        assert "analytics.big_trades.v1" not in {t.name for t in runtime.log.list_topics()}


def test_explain_shows_the_state_stores_of_a_windowed_count(home: Path, tmp_path: Path) -> None:
    sql = _sql(
        tmp_path,
        "CREATE TABLE counts AS SELECT symbol, COUNT(*) AS n FROM execution.trades"
        " WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY symbol EMIT CHANGES;",
    )
    result = _explain(home, sql, "--name", "count-app")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert "count-app-CTAS_COUNTS_0-Aggregate-Materialize-changelog" in text
    assert "Aggregate" in text


@pytest.mark.slow
def test_bad_sql_points_at_line_and_column_with_a_caret(home: Path, tmp_path: Path) -> None:
    sql = _sql(tmp_path, "CREATE STREAM big AS SELECT symbol\nFROM execution.trades WHERE > 5;")
    for command in ("explain", "run"):
        extra = ["--name", "bad"] if command == "run" else []
        result = invoke_cli("streams", command, str(sql), "--mesh", str(home), *extra)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[0].startswith(f"error: {sql}: line 2:")
        assert lines[1] == "FROM execution.trades WHERE > 5;"
        assert lines[2].strip() == "^"


def test_an_expression_error_points_at_its_column_with_a_caret(home: Path, tmp_path: Path) -> None:
    sql = _sql(
        tmp_path, "CREATE STREAM big AS SELECT symbol\nFROM execution.trades\n  WHERE prce > 5;"
    )
    result = _explain(home, sql)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        f"error: {sql}: unknown column PRCE at line 3, column 9; did you mean PRICE?",
        "  WHERE prce > 5;",
        "        ^",
    ]
    typed = _sql(
        tmp_path, "CREATE STREAM big AS SELECT symbol\nFROM execution.trades WHERE price > 'x';"
    )
    lines = _explain(home, typed).stderr.decode().splitlines()
    assert lines[0] == (
        f"error: {typed}: cannot compare PRICE (INTEGER) with 'x' (STRING) at line 2, column 29"
    )
    assert lines[2] == " " * 28 + "^"


def test_run_writes_the_output_product_in_its_schema(home: Path, tmp_path: Path) -> None:
    _grant(home, "execution.trades")
    _produce(home, [100, 600, 700])
    running = _start(
        home, _sql(tmp_path, BIG_TRADES), "big-product", "--principal", ACCOUNT, *PROGRESS
    )
    assert running.first_line().startswith("running big-product")
    running.wait_for(": in 3 (", "out 2 (")
    code, printed = running.stop()
    assert code == 0, printed
    assert "stopped big-product: 3 events in, 2 out, committed." in printed
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        registered = runtime.registry.version("analytics.big_trades.v1-value", "latest").id
    with Mesh.open(home) as mesh, mesh.consumer("analytics.big_trades", "check") as consumer:
        events = consumer.take(2, timeout=5)
    # The data plane's events: the key field in the value, the product's schema id, the key
    # bytes a mesh producer writes for a string key.
    assert sorted((event.key, event.value) for event in events if event.value) == [
        ("S1", {"SYMBOL": "S1", "PRICE": 600, "QUANTITY": 1}),
        ("S2", {"SYMBOL": "S2", "PRICE": 700, "QUANTITY": 2}),
    ]
    assert {event.schema_id for event in events} == {registered}


def test_run_on_a_terminal_shows_a_live_line_per_query(home: Path, tmp_path: Path) -> None:
    _produce(home, [600])
    main, secondary = pty.openpty()
    command = [*STREAMMESH, "streams", "run", str(_sql(tmp_path, BIG_TRADES_TOPIC))]
    process = subprocess.Popen(
        [*command, "--name", "live", "--mesh", str(home)],
        stdout=secondary,
        stderr=subprocess.PIPE,
    )
    os.close(secondary)
    printed = b""
    deadline = time.monotonic() + 15
    try:
        while b"out 1 " not in printed and time.monotonic() < deadline:
            printed += os.read(main, 4096)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=15)
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal is gone once the process has exited
                break
            if not chunk:
                break
            printed += chunk
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        process.stderr.close()
    text = printed.decode(errors="replace")
    assert code == 0, text + errors
    assert "CSAS_BIG_0 -> big_trades: in 1 (" in text
    assert "\x1b[" in text  # redrawn in place by Rich, not appended
    assert "stopped live: 1 event in, 1 out, committed." in text


_CUSTOMERS = {
    "type": "record",
    "name": "Customer",
    "namespace": "crm",
    "fields": [
        {"name": "id", "type": "string", "doc": "Customer id."},
        {"name": "email", "type": "string", "doc": "Contact e-mail."},
        {"name": "tier", "type": "int", "doc": "Loyalty tier."},
    ],
}
_CUSTOMERS_DESCRIPTOR = """\
name: crm.customers
owner: {name: Ada Lovelace, email: ada@example.com}
team: crm-team
description: Customers for stream tests.
alignment: source
kind: measurement
key: {field: id, type: string}
schema: customers.avsc
partitions: xs
retention: recent:7d
sla: {tier: 2}
status: published
classifications: {email: [pii]}
"""
CONTACTS = """\
CREATE STREAM contacts WITH (product='analytics.contacts') AS
  SELECT id, email, tier FROM crm.customers WHERE email LIKE '%@example.com' EMIT CHANGES;
"""
SECRET_EMAIL = "grace.hopper@example.com"
OTHER_EMAIL = "alan.turing@elsewhere.org"


def _customers(home: Path, tmp_path: Path) -> None:
    """``crm.customers`` (its ``email`` is pii) with two customers produced through the SDK,
    their e-mails encrypted as the data plane writes them, and an account to read outputs."""
    repo = tmp_path / "crm"
    repo.mkdir()
    (repo / "customers.avsc").write_text(json.dumps(_CUSTOMERS), encoding="utf-8")
    (repo / "customers.yaml").write_text(_CUSTOMERS_DESCRIPTOR, encoding="utf-8")
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        runtime.plane.register_domain("crm", description=None, actor="admin")
        runtime.plane.register_team(
            "crm-team", domain="crm", email="crm@example.com", description=None, actor="admin"
        )
        runtime.plane.apply(read_product_sources([repo]), actor="owner")
        runtime.access.create_account(
            "reader-sa", AccountKind.SERVICE_ACCOUNT, team="trading-team", description="", actor="a"
        )
    with Mesh.open(home) as mesh, mesh.producer("crm.customers") as producer:
        producer.send({"id": "c1", "email": SECRET_EMAIL, "tier": 2})
        producer.send({"id": "c2", "email": OTHER_EMAIL, "tier": 1})
        producer.flush()


@pytest.mark.slow
def test_run_reads_classified_input_in_clear_with_a_classified_grant_and_encrypts_the_output(
    home: Path, tmp_path: Path
) -> None:
    from streammesh.privacy import EVENT_HEADER, HEADER_PREFIX
    from streammesh.privacy.envelope import sealed_fields

    _customers(home, tmp_path)
    _grant(home, "crm.customers", classified=True)
    running = _start(
        home, _sql(tmp_path, CONTACTS), "contacts-app", "--principal", ACCOUNT, *PROGRESS
    )
    assert running.first_line().startswith("running contacts-app")
    running.wait_for(": in 2 (", "out 1 (")
    code, printed = running.stop()
    assert code == 0, printed
    # The WHERE saw the clear e-mails: only the example.com customer is a contact.
    assert "stopped contacts-app: 2 events in, 1 out, committed." in printed

    options = ConsumerOptions(group="raw-check", auto_commit=False)
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        with runtime.log.consumer(options) as consumer:
            consumer.subscribe(["analytics.contacts.v1"])
            raw = [record for _ in range(10) for record in consumer.poll(timeout=0.3)]
        assert len(raw) == 1
        assert SECRET_EMAIL.encode() not in (raw[0].value or b"")
        assert [name for name, _ in raw[0].headers if name.startswith(HEADER_PREFIX)] == [
            EVENT_HEADER
        ]
        assert sealed_fields(dict(raw[0].headers)[EVENT_HEADER]) == ("EMAIL",)
        request = runtime.access.request(
            "analytics.contacts", "reader-sa", purpose="t", classified=False, caller=ADMIN
        )
        if request.state.value != "approved":
            runtime.access.approve(request.id, caller=ADMIN)
        reader = Caller("reader-sa", Role.CONSUMER)
        with runtime.data.consumer(
            "analytics.contacts", "reader-app", reader=reader, actor="reader-sa"
        ) as consumer:
            masked = consumer.take(1, timeout=5)
    with Mesh.open(home) as mesh, mesh.consumer("analytics.contacts", "check") as consumer:
        clear = consumer.take(1, timeout=5)
    assert [event.value for event in clear] == [{"ID": "c1", "EMAIL": SECRET_EMAIL, "TIER": 2}]
    # The mask of an optional field is null, the placeholder the SDK's producer writes too.
    assert [event.value for event in masked] == [{"ID": "c1", "EMAIL": None, "TIER": 2}]


def test_run_without_a_classified_grant_computes_over_the_placeholders(
    home: Path, tmp_path: Path
) -> None:
    _customers(home, tmp_path)
    _grant(home, "crm.customers")
    running = _start(
        home, _sql(tmp_path, CONTACTS), "contacts-app", "--principal", ACCOUNT, *PROGRESS
    )
    assert running.first_line().startswith("running contacts-app")
    running.wait_for(": in 2 (")
    code, printed = running.stop()
    assert code == 0, printed
    # The e-mails are placeholders to this application: none is at example.com.
    assert "stopped contacts-app: 2 events in, 0 out, committed." in printed


@pytest.mark.slow
def test_a_grant_revoked_while_running_stops_the_run_committing_nothing_more(
    home: Path, tmp_path: Path
) -> None:
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        grant = runtime.access.request(
            "execution.trades", ACCOUNT, purpose="t", classified=False, caller=ADMIN
        )
        if grant.state.value != "approved":
            runtime.access.approve(grant.id, caller=ADMIN)
    _produce(home, [600, 700])
    name = f"revoked-{uuid.uuid4().hex[:6]}"
    sql = _sql(tmp_path, BIG_TRADES_TOPIC)
    running = _start(home, sql, name, "--principal", ACCOUNT, "--interval", "2")
    assert running.first_line().startswith(f"running {name}")
    assert len(_output(home, "big_trades", 2, timeout=10)) == 2

    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        runtime.access.revoke(grant.id, caller=ADMIN)
    code = running.process.wait(timeout=15)
    _, printed = running.stop()
    assert code == 1, printed
    error = printed.splitlines()[-1]
    assert error.startswith(f"error: stream application '{name}' stopped: the read grant")
    assert f"'{ACCOUNT}' on 'execution.trades.v1' was revoked" in error
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:  # status shows why, a while
        [instance] = runtime.streams.status(name).instances
        assert instance.error is not None and "GrantRevoked: " in instance.error
    _produce(home, [800, 900])  # no run is left to read them
    assert len(_output(home, "big_trades", 2, timeout=10)) == 2  # nothing after the revocation
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        # The new events wait, uncommitted, for a run with a grant.
        assert runtime.streams.status(name).lag == 2


def test_sigterm_stops_the_run_cleanly_as_ctrl_c_does(home: Path, tmp_path: Path) -> None:
    _grant(home, "execution.trades")
    _produce(home, [600, 700, 100])
    name = f"term-{uuid.uuid4().hex[:6]}"
    running = _start(home, _sql(tmp_path, BIG_TRADES_TOPIC), name, "--interval", "0.3")
    assert running.first_line().startswith(f"running {name}")
    assert len(_output(home, "big_trades", 2, timeout=10)) == 2
    running.process.send_signal(signal.SIGTERM)  # what kill, systemd and Kubernetes send
    code = running.process.wait(timeout=15)
    _, printed = running.stop()
    assert code == 0, printed
    assert f"stopped {name}: 3 events in, 2 out, committed." in printed
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        status = runtime.streams.status(name)
        assert status.instances == () and status.lag == 0  # left at once, all committed
