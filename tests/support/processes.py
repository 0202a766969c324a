"""Helpers the test servers (tansu, PostgreSQL, ``streammesh up``) share: ports and stopping."""

from __future__ import annotations

import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.warm_processes import WarmProcess


def streammesh_command() -> list[str]:
    """How to run the installed ``streammesh`` command (the venv's script, else PATH, else
    ``python -m``)."""
    script = Path(sys.executable).with_name("streammesh")
    if script.exists():
        return [str(script)]
    found = shutil.which("streammesh")
    return [found] if found else [sys.executable, "-m", "streammesh.cli"]


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop_process(
    process: subprocess.Popen[bytes] | subprocess.Popen[str] | WarmProcess,
    *,
    signum: int = signal.SIGTERM,
    timeout_s: float = 10.0,
) -> None:
    """Ask ``process`` to stop with ``signum``; kill it if it is still there after ``timeout_s``."""
    if process.poll() is None:
        process.send_signal(signum)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class OutputLines:
    """The lines a process prints, read by a thread of their own, so that a test can wait
    for a line with a deadline (a ``readline`` on the pipe would wait forever on a process
    that goes on without printing it)."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.printed: list[str] = []
        """Every line read so far by :meth:`until`."""
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def until(self, prefix: str, timeout_s: float) -> str:
        """Every line read until one starting with ``prefix`` (included), as one text.

        Fails the test if the process ends first or nothing like it comes in ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while not self.printed or not self.printed[-1].startswith(prefix):
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {prefix!r} within {timeout_s} s: {''.join(self.printed)}")
            if line is None:
                pytest.fail(f"the process ended before {prefix!r}: {''.join(self.printed)}")
            self.printed.append(line)
        return "".join(self.printed)

    def rest(self, quiet_s: float = 5.0) -> str:
        """The lines still to come, until the stream ends or stays quiet for ``quiet_s``."""
        found: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=quiet_s)
            except queue.Empty:
                return "".join(found)
            if line is None:
                return "".join(found)
            found.append(line)
