"""The stream-application lifecycle on the command line, as real processes over a real
embedded mesh: ``streams run`` records the application and heartbeats, ``streams stop`` ends
it cleanly, ``streams reset`` makes the next run start over, ``list``/``status`` show it
(text and JSON) and mistakes are one ``error:`` line."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.config import MeshConfig
from streammesh.control import read_product_sources
from streammesh.identity import AccountKind
from streammesh.runtime import MeshRuntime
from tests.integration.test_cli_streams_run import (
    _DESCRIPTOR,
    _TRADES,
    ACCOUNT,
    BIG_TRADES_TOPIC,
    _grant,
    _output,
    _produce,
    _Running,
    _sql,
)
from tests.integration.test_cli_streams_run import _start as _start_process
from tests.unit.cli.invoking import completed_cli


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


_STARTED: list[_Running] = []


@pytest.fixture(autouse=True)
def _stop_what_was_started() -> Iterator[None]:
    """A test that fails midway leaves no ``streams run`` process (nor its pipes) behind."""
    yield
    while _STARTED:
        running = _STARTED.pop()
        stdout = running.process.stdout
        if stdout is not None and not stdout.closed:  # not stopped by the test
            running.stop()


def _start(home: Path, sql: Path, name: str, *extra: str) -> _Running:
    running = _start_process(home, sql, name, *extra)
    _STARTED.append(running)
    return running


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``streams ARGS`` in this process: the commands that manage recorded applications only
    read and write the mesh (``streams run`` is started as a real process)."""
    return completed_cli("streams", *args, "--mesh", str(home))


def _json(home: Path, *args: str) -> Any:
    result = _cli(home, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _wait_status(home: Path, name: str, done: Any, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = _json(home, "status", name)
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


@pytest.mark.slow
def test_stop_ends_a_running_process_and_reset_makes_the_next_run_start_over(
    home: Path, tmp_path: Path
) -> None:
    _grant(home, "execution.trades")
    _produce(home, [100, 600, 700, 200, 900])
    sql = _sql(tmp_path, BIG_TRADES_TOPIC)
    name = f"big-{uuid.uuid4().hex[:6]}"

    # Heartbeats every second: alive while the last is at most 3 s old, which a loaded
    # machine keeps (0.2 s gave a 0.6 s window that a CI stall outlasted).
    running = _start(home, sql, name, "--principal", ACCOUNT, "--interval", "1")
    assert running.first_line().startswith(f"running {name}")
    assert len(_output(home, "big_trades", 3, timeout=10)) == 3
    status = _wait_status(home, name, lambda s: s["records_in"] == 5)

    assert status["desired"] == "running" and status["placement"] == "process"
    assert status["principal"] == ACCOUNT and status["alive"] == 1
    [instance] = status["instances"]
    assert instance["pid"] == running.process.pid and instance["host"]
    [query] = status["queries"]
    assert (query["group"], query["sink"], query["records_out"]) == (name, "big_trades", 3)
    assert query["lag"] == 0 and {p["topic"] for p in query["partitions"]} == {
        "execution.trades.v1"
    }
    [listed] = _json(home, "list")
    assert (listed["name"], listed["alive"], listed["records_in"]) == (name, 1, 5)

    refused = _cli(home, "reset", name, "--yes")
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: cannot reset stream application '{name}'")
    assert len(refused.stderr.strip().splitlines()) == 1

    stopped = _cli(home, "stop", name)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith(f"stopped {name}; 1 running instance will exit")
    code = running.process.wait(timeout=15)
    _, printed = running.stop()
    assert code == 0, printed
    assert f"stopped {name} (stopped by cli:" in printed
    assert "5 events in, 3 out, committed." in printed
    after = _json(home, "status", name)
    assert after["alive"] == 0 and after["desired"] == "stopped"
    assert after["stopped_by"].startswith("cli:")

    without_yes = _cli(home, "reset", name)
    assert without_yes.returncode == 2 and "pass --yes" in without_yes.stderr
    reset = _cli(home, "reset", name, "--yes")
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.startswith(f"reset {name} (epoch 1)")
    assert _json(home, "status", name)["queries"][0]["lag"] == 5

    running = _start(home, sql, name, "--principal", ACCOUNT, "--interval", "0.2")
    line = running.first_line()
    if line.startswith("wiped"):  # the local state of epoch 0 (when the engine kept any)
        assert line == f"wiped the local state of {name} from before its last reset\n"
        line = running.first_line()
    assert line.startswith(f"running {name}")
    assert len(_output(home, "big_trades", 6, timeout=10)) == 6  # the 3 results again
    code, printed = running.stop()
    assert code == 0, printed
    assert f"stopped {name}: 5 events in, 3 out, committed." in printed


def test_list_status_and_errors_on_an_empty_mesh(home: Path) -> None:
    assert _json(home, "list") == []
    assert _cli(home, "list").stdout.startswith("No stream applications")
    for command in (("status", "nope"), ("stop", "nope"), ("start", "nope")):
        result = _cli(home, *command)
        assert result.returncode == 1
        assert result.stderr == (
            "error: stream application 'nope' does not exist; 'streammesh streams list' "
            "shows the applications\n"
        )


def test_start_and_delete_of_a_stopped_application(home: Path, tmp_path: Path) -> None:
    _grant(home, "execution.trades")
    sql = _sql(tmp_path, BIG_TRADES_TOPIC)
    running = _start(home, sql, "big-one", "--principal", ACCOUNT, "--interval", "0.2")
    assert running.first_line().startswith("running big-one")
    code, _ = running.stop()
    assert code == 0

    typo = _cli(home, "status", "big-on")
    assert "did you mean 'big-one'?" in typo.stderr
    status = _cli(home, "status", "big-one")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("big-one: running, process, epoch 0, 0 instances alive")
    assert "CSAS_BIG_0 -> big_trades (group big-one)" in status.stdout
    assert "dead letters 0 (0 on big-one.dead-letter)" in status.stdout
    assert "execution.trades.v1[0]: committed" in status.stdout
    assert _cli(home, "stop", "big-one").stdout == "stopped big-one\n"
    started = _cli(home, "start", "big-one")
    assert started.stdout.startswith("started big-one; run it with 'streammesh streams run")
    deleted = _cli(home, "delete", "big-one", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert _json(home, "list") == []
