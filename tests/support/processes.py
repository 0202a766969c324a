"""Helpers the test servers (tansu, PostgreSQL, ``streammesh up``) share: ports and stopping."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
