"""The installed ``streammesh`` command as a real process: pipes, exit codes, Ctrl-C.

What only prepares a test or checks its outcome (creating the topic, producing its records,
reading the group's position back) runs in-process (``invoke_cli``): a process start costs
seconds of imports, and those steps are not about the process."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.support.processes import streammesh_command
from tests.unit.cli.invoking import CliResult, invoke_cli

STREAMMESH = streammesh_command()


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return f"embedded://{tmp_path / 'log'}"
    return f"kafka://{request.getfixturevalue('kafka_bootstrap')}"


@pytest.fixture
def topic() -> str:
    return f"cli.proc.{uuid.uuid4().hex[:12]}"


def streammesh(log_url: str, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*STREAMMESH, "--log", log_url, *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def in_process(log_url: str, *args: str, stdin: bytes = b"") -> CliResult:
    return invoke_cli("--log", log_url, *args, stdin=stdin)


def _read_lines(process: subprocess.Popen[bytes], count: int, timeout: float) -> list[bytes]:
    """The first ``count`` lines the process prints, waiting at most ``timeout`` seconds."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[bytes] = queue.Queue()
    # A thread, because select() cannot see lines already pulled into the pipe's buffer.
    reader = threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True)
    reader.start()
    received: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(received) < count:
        try:
            received.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            pytest.fail(f"only {len(received)} of {count} lines arrived in {timeout} s")
    return received


def test_version_from_the_installed_command() -> None:
    result = subprocess.run([*STREAMMESH, "--version"], capture_output=True, check=False)
    assert result.returncode == 0
    assert result.stdout.decode().startswith("streammesh ")


@pytest.mark.slow
def test_pipe_records_in_and_out(log_url: str, topic: str) -> None:
    assert in_process(log_url, "topics", "create", topic, "--partitions", "2").exit_code == 0
    produced = streammesh(log_url, "produce", topic, "--key-separator", "|", stdin=b"k1|a\nk2|b\n")
    assert produced.returncode == 0, produced.stderr
    consumed = streammesh(
        log_url,
        "consume",
        topic,
        "--group",
        f"{topic}.pipe",
        "--from-beginning",
        "--max",
        "2",
        "--timeout",
        "30",
    )
    assert consumed.returncode == 0, consumed.stderr
    assert sorted(consumed.stdout.decode().split()) == ["a", "b"]


def test_a_user_mistake_is_one_line_without_traceback(log_url: str, topic: str) -> None:
    result = streammesh(log_url, "produce", topic, "--format", "jsonl", stdin=b'{"value": 1}\n')
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode().splitlines() == [
        f"error: topic '{topic}' does not exist; create it first "
        f"(`streammesh topics create {topic}`)"
    ]


def test_a_usage_error_exits_2() -> None:
    result = subprocess.run(
        [*STREAMMESH, "consume", "t", "--max", "0"], capture_output=True, check=False
    )
    assert result.returncode == 2
    (line,) = result.stderr.decode().splitlines()
    assert line.startswith("error: Invalid value for '--max'")


@pytest.mark.slow
def test_ctrl_c_stops_a_consumer_cleanly_and_keeps_its_position(log_url: str, topic: str) -> None:
    assert in_process(log_url, "topics", "create", topic).exit_code == 0
    lines = b"".join(b"before %d\n" % n for n in range(5))
    assert in_process(log_url, "produce", topic, stdin=lines).exit_code == 0

    with subprocess.Popen(
        [
            *STREAMMESH,
            "--log",
            log_url,
            "consume",
            topic,
            "--group",
            f"{topic}.ctrl-c",
            "--from-beginning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as consumer:
        try:
            received = _read_lines(consumer, 5, timeout=60)
            consumer.send_signal(signal.SIGINT)
            consumer.wait(timeout=30)
        finally:
            consumer.kill()
        assert consumer.stderr is not None
        stderr = consumer.stderr.read()
    assert received == [b"before %d\n" % n for n in range(5)]
    assert consumer.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr

    # The group resumes after what was printed: only the new record comes next.
    assert in_process(log_url, "produce", topic, stdin=b"after\n").exit_code == 0
    resumed = in_process(
        log_url,
        "consume",
        topic,
        "--group",
        f"{topic}.ctrl-c",
        "--from-beginning",
        "--max",
        "1",
        "--timeout",
        "30",
        "--json",
    )
    assert resumed.exit_code == 0, resumed.stderr
    assert json.loads(resumed.stdout)["value"] == "after", resumed.stdout
