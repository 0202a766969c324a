"""``streammesh connect run FILE`` as a connector of the mesh (placement ``process``): its
process heartbeats, so ``connect status`` shows it running; paused, it writes nothing more
until resumed; deleted, the process stops."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.config import MeshConfig
from streammesh.connect import ConnectorManager, unregister_kind
from streammesh.runtime import MeshRuntime
from tests.integration.connect import worker_doubles
from tests.integration.connect.test_connect_cli import home, start, starter, wait_running, write
from tests.support.warm_processes import WarmStarter

__all__ = ["home", "starter"]  # the fixtures, used by name


@pytest.fixture(autouse=True)
def _doubles() -> Iterator[None]:
    worker_doubles.register()
    yield
    unregister_kind("test-counter")
    unregister_kind("test-landing")


def _status(home: Path) -> Any:
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        return ConnectorManager(runtime.store).status("orders-counter").to_json()


def _change(home: Path, action: Callable[[ConnectorManager], object]) -> None:
    with MeshRuntime.open(MeshConfig.load(home)) as runtime:
        action(ConnectorManager(runtime.store))


def _wait(what: str, done: Callable[[Any], bool], home: Path, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        status = _status(home)
        if done(status):
            return status
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {status}"
        time.sleep(0.2)


def test_a_run_process_is_recorded_paused_resumed_and_stopped_by_a_delete(
    home: Path, tmp_path: Path, starter: WarmStarter
) -> None:
    definition = write(tmp_path / "counter.yaml", total=1_000_000, batch=5, pause_s=0.05)
    process = start(starter, definition, home)
    try:
        wait_running(process)
        running = _wait(
            "a heartbeat", lambda s: s["state"] == "RUNNING" and s["records_out"] > 0, home
        )
        assert running["placement"] == "process"
        assert running["instances"][0]["placement"] == "process"

        _change(home, lambda manager: manager.pause("orders-counter", actor="test"))
        paused = _wait("the pause", lambda s: s["instances"][0]["state"] == "paused", home)
        assert paused["state"] == "PAUSED"
        time.sleep(1.5)
        assert _status(home)["records_out"] == paused["records_out"]  # nothing new

        _change(home, lambda manager: manager.resume("orders-counter", actor="test"))
        _wait("more records", lambda s: s["records_out"] > paused["records_out"], home)

        _change(home, lambda manager: manager.delete("orders-counter", actor="test"))
        out, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    assert b"stopped orders-counter (the connector was deleted)" in out
