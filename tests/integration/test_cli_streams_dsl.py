"""``streammesh streams run module:pipeline`` and ``streams explain module:pipeline``: a Python
DSL pipeline runs as a real process exactly like its SQL file, and a module or attribute that
names no pipeline is one ``error:`` line, exit 1."""

from __future__ import annotations

import queue
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.integration.test_cli_streams_run import (
    ACCOUNT,
    STREAMMESH,
    _grant,
    _output,
    _produce,
    _Running,
    home,
)

__all__ = ["home"]  # the fixture: a mesh with the product execution.trades

PIPELINE = """\
from streammesh.streams.dsl import col, stream

pipeline = (
    stream("execution.trades")
    .filter(col("price") > 500)
    .select("symbol", "price", "quantity")
    .to("big", topic="{topic}", value_format="json")
)
"""


def _module(tmp_path: Path, topic: str) -> str:
    name = f"big_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(PIPELINE.format(topic=topic), encoding="utf-8")
    return name


def _cli(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*STREAMMESH, "streams", *arguments],
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )


def test_run_module_pipeline_runs_the_dsl_pipeline(home: Path, tmp_path: Path) -> None:
    _grant(home, "execution.trades")
    _produce(home, [100, 600, 700, 200, 900])
    topic = f"big_dsl_{uuid.uuid4().hex[:6]}"
    module = _module(tmp_path, topic)
    name = f"big-{uuid.uuid4().hex[:6]}"
    process = subprocess.Popen(
        [*STREAMMESH, "streams", "run", f"{module}:pipeline", "--name", name, "--mesh",
         str(home), "--principal", ACCOUNT, "--interval", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )  # fmt: skip
    running = _Running(process)
    try:
        first = running.first_line()
    except queue.Empty:
        pytest.fail(f"streams run printed nothing: {running.stop()}")
    assert first.startswith(f"running {name} (1 query, exactly-once, as {ACCOUNT})")
    events = _output(home, topic, 3, timeout=15)
    code, printed = running.stop()
    assert code == 0, printed
    assert sorted(event["PRICE"] for event in events) == [600, 700, 900]
    assert f"stopped {name}: 5 events in, 3 out, committed." in printed


def test_explain_module_pipeline_prints_the_plan(home: Path, tmp_path: Path) -> None:
    module = _module(tmp_path, "big_explained")
    result = _cli(tmp_path, "explain", f"{module}:pipeline", "--mesh", str(home))
    assert result.returncode == 0, result.stderr.decode()
    printed = result.stdout.decode()
    assert "Input products: execution.trades.v1" in printed
    assert "Query CSAS_BIG_0 -> stream BIG, topic big_explained" in printed
    assert "Filter PRICE > 500" in printed


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("no_such_pipelines:pipeline", "no module named 'no_such_pipelines'"),
        ("{module}:missing", "has no attribute 'missing'"),
    ],
)
def test_a_bad_module_or_attribute_is_one_error_line(
    home: Path, tmp_path: Path, argument: str, message: str
) -> None:
    argument = argument.format(module=_module(tmp_path, "never"))
    result = _cli(tmp_path, "run", argument, "--name", "bad-app", "--mesh", str(home))
    assert result.returncode == 1
    error = result.stderr.decode()
    assert error.startswith(f"error: {argument}: ")
    assert message in error
    assert len(error.strip().splitlines()) == 1
