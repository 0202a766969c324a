"""``streammesh connect validate|run`` in processes of their own (with the contract's test
doubles registered: ``python -m tests.integration.connect.worker_doubles`` is the command):
one-line errors at the definition's line, Ctrl-C committing and exiting 0, credentials never
printed, and a kill -9 loop after which the product holds every position exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.connect import WorkerOptions, parse_definition, unregister_kind
from streammesh.identity import AccountKind
from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh
from tests.integration.connect import worker_doubles
from tests.integration.connect.test_worker import make_repo, order_numbers, read_topic
from tests.support.warm_processes import WarmProcess, WarmStarter

ROOT = Path(__file__).resolve().parents[3]
WRITER = "orders-ingest"
SECRET = "hunter2-Zq9"
ROUNDS = 20
KILL_AFTER_S = (0.2, 1.2)


@pytest.fixture(autouse=True)
def _doubles() -> Iterator[None]:
    worker_doubles.register()
    yield
    unregister_kind("test-counter")
    unregister_kind("test-landing")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = make_repo(tmp_path)
    home = tmp_path / "mesh"
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        InProcessMesh(runtime, actor="owner").apply([folder])
        runtime.access.create_account(
            WRITER, AccountKind.SERVICE_ACCOUNT, team="sales-team", description="", actor="admin"
        )
    return home


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.integration.connect.worker_doubles", *args]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def write(path: Path, **config: object) -> Path:
    document = {"name": "orders-counter", "kind": "test-counter", "principal": WRITER}
    path.write_text(json.dumps({**document, "config": config}))
    return path


def test_validate_names_the_line_and_field_of_a_problem(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", total=5)
    result = run("connect", "validate", str(good))
    assert result.returncode == 0, result.stderr
    assert "connector orders-counter (test-counter source, as orders-ingest) is valid" in (
        result.stdout
    )

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: orders-counter\nkind: test-counter\nprincipal: p\nconfig:\n  totl: 5\n")
    result = run("connect", "run", str(bad))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {bad}:5:3: field 'config.totl' is not a known field; remove it or check its "
        "spelling"
    ]


def test_credentials_are_never_printed(tmp_path: Path, home: Path) -> None:
    definition = tmp_path / "secret.yaml"
    definition.write_text(
        "name: orders-counter\nkind: test-counter\nprincipal: orders-ingest\nconfig:\n"
        "  password: ${K1_DB_PASSWORD}\n  fail_on_start: true\n"
    )
    env = {"K1_DB_PASSWORD": SECRET}
    checked = run("connect", "validate", str(definition), env=env)
    failed = run("connect", "run", str(definition), "--mesh", str(home), env=env)

    assert checked.returncode == 0, checked.stderr
    assert failed.returncode == 1
    assert "could not connect to postgresql://app:***@db/shop" in failed.stderr
    for result in (checked, failed):
        assert SECRET not in result.stdout + result.stderr
    unset = run("connect", "validate", str(definition))
    assert unset.returncode == 1
    assert "'K1_DB_PASSWORD', which is not set" in unset.stderr


@pytest.fixture(scope="module")
def starter() -> Iterator[WarmStarter]:
    """``streammesh`` with the test kinds registered, forked from a warm interpreter (the kill
    loop starts it 20 times)."""
    preamble = "from tests.integration.connect.worker_doubles import register; register()"
    with WarmStarter("streammesh.cli.main:main", preamble=preamble) as warm:
        yield warm


def start(starter: WarmStarter, definition: Path, home: Path) -> WarmProcess:
    return starter.start(
        ["connect", "run", str(definition), "--mesh", str(home), "--interval", "0.5"]
    )


def wait_running(process: WarmProcess) -> None:
    """Until the process prints its ``running`` line."""
    line = b""
    ready = threading.Event()

    def read() -> None:
        nonlocal line
        assert process.stdout is not None
        line = process.stdout.readline()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(60)
    if not line.startswith(b"running "):
        process.kill()
        _, errors = process.communicate()
        pytest.fail(f"connect run did not start: {line.decode()!r} {errors.decode()[-2000:]}")


def committed_position(home: Path) -> int:
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        records = read_topic(runtime, "orders-counter.offsets")
    return int(json.loads(records[-1].value or b"")["position"]["n"]) if records else 0


def test_ctrl_c_commits_and_exits_0(tmp_path: Path, home: Path, starter: WarmStarter) -> None:
    definition = write(tmp_path / "counter.yaml", total=1_000_000, batch=5, pause_s=0.01)
    process = start(starter, definition, home)
    try:
        wait_running(process)
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        printed, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors.decode()
    last = printed.decode().splitlines()[-1]
    assert last.startswith("stopped orders-counter: ") and last.endswith(", committed.")
    position = committed_position(home)
    assert position > 0
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        assert order_numbers(runtime) == list(range(1, position + 1))


@pytest.mark.slow
def test_kill_9_loop_writes_every_position_exactly_once(
    tmp_path: Path, home: Path, starter: WarmStarter
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    # At most 250 positions a second: the rounds end before the total, busy.
    total = 6_000
    definition = write(tmp_path / "counter.yaml", total=total, batch=5, pause_s=0.02)
    positions: list[int] = []
    for _ in range(ROUNDS):
        process = start(starter, definition, home)
        try:
            wait_running(process)
            time.sleep(rng.uniform(*KILL_AFTER_S))
            assert process.poll() is None, f"seed {seed}: it ended by itself"
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.communicate()
        positions.append(committed_position(home))
    # Then to the end, in this process, unpaced (the pause only made the rounds end busy).
    rest = write(tmp_path / "rest.yaml", total=total, batch=100, pause_s=0)
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        worker_definition = parse_definition(rest.read_text(), origin=str(rest))
        options = WorkerOptions(poll_timeout_s=0.05)
        with runtime.connect.worker(worker_definition, options) as worker:
            worker.run(lambda: worker.progress().position == {"n": total})
        numbers = order_numbers(runtime)
    assert numbers == list(range(1, total + 1)), f"seed {seed}, positions {positions}"
    moved = sum(b > a for a, b in zip([0, *positions], positions, strict=False))
    assert moved >= ROUNDS // 2, f"seed {seed}: positions after each round {positions}"


def test_a_missing_right_stops_the_start_with_one_line_naming_it(
    tmp_path: Path, home: Path
) -> None:
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        schema = runtime.registry.schema(runtime.plane.product("sales.orders").schema_id).schema
    definition = tmp_path / "counter.yaml"
    definition.write_text(
        json.dumps(
            {
                "name": "orders-counter",
                "kind": "test-counter",
                "principal": "nobody-sa",
                "config": {"schemas": {"sales.orders": schema}},
            }
        )
    )
    result = run("connect", "run", str(definition), "--mesh", str(home))
    assert result.returncode == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(
        "error: connector 'orders-counter' cannot run on product 'sales.orders': "
        "'nobody-sa' may not write to 'sales.orders.v1'"
    )
