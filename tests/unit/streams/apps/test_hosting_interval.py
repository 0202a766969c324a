"""``streams.hosting_interval`` in ``mesh.yaml``: how often a hosting server reads the
deployed stream applications (and heartbeats each one); 2 s unless set, refused when it is
not a positive duration."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.errors import ConfigError
from streammesh.runtime import MeshRuntime
from streammesh.workers import start_workers


def _mesh(tmp_path: Path, yaml: str) -> Path:
    home = tmp_path / "mesh"
    home.mkdir()
    (home / "mesh.yaml").write_text(yaml, encoding="utf-8")
    return home


def test_the_interval_is_two_seconds_unless_set(tmp_path: Path) -> None:
    assert MeshConfig.load(tmp_path).streams_hosting_interval == timedelta(seconds=2)
    home = _mesh(tmp_path, "streams:\n  hosting_interval: 250ms\n")
    assert MeshConfig.load(home).streams_hosting_interval == timedelta(milliseconds=250)


@pytest.mark.parametrize("value", ["0s", "2", "soon"])
def test_an_interval_that_is_no_positive_duration_is_refused_naming_the_setting(
    tmp_path: Path, value: str
) -> None:
    home = _mesh(tmp_path, f"streams:\n  hosting_interval: {value}\n")
    with pytest.raises(ConfigError, match=r"mesh\.yaml: streams\.hosting_interval: "):
        MeshConfig.load(home)


def test_the_server_hosting_reads_the_applications_at_the_set_interval(tmp_path: Path) -> None:
    # Five rounds of the supervisor (each one progresses its heartbeat) take 0.25 s at 50 ms;
    # at the default 2 s they would take 8 s, past the deadline.
    home = _mesh(tmp_path, "streams:\n  hosting_interval: 50ms\n")
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        workers = start_workers(mesh)
        try:
            [beat] = [beat for beat in workers.heartbeats if beat.name == "stream-host"]
            rounds, idle = 0, beat.health().idle_s
            deadline = time.monotonic() + 4
            while rounds < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
                now = beat.health().idle_s
                rounds += now < idle  # the idle time fell back: a round progressed
                idle = now
        finally:
            workers.stop()
    assert rounds >= 5
