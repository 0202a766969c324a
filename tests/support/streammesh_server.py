"""``StreammeshServer``: a real ``streammesh up`` process on a free loopback port.

It starts the console entry point in a subprocess over a fresh mesh directory, reads the
admin token and the URL from what it prints (the way a person would), waits for
``/healthz``, and stops it with SIGINT (Ctrl-C) on exit, checking it stopped cleanly.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import signal
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.support.processes import stop_process
from tests.support.warm_processes import WarmProcess, WarmStarter

_TOKEN = re.compile(r"^\s+(sm_\S+)\s*$")
_URL = re.compile(r" on (http://\S+) \(registry: ")


_STARTER: list[WarmStarter] = []
_PRELOADED = "import streammesh.server, streammesh.runtime, uvicorn"
"""What ``up`` imports before it serves, imported once per test process (none starts a
thread)."""


def warm_streammesh() -> WarmStarter:
    """The test process's warm ``streammesh`` (see :mod:`tests.support.warm_processes`): a
    server start forks from it instead of importing the server's modules again (~1 s of CPU
    each, for some fifty servers in the suite); other long-running commands (``worker``) may
    fork from it too."""
    if not _STARTER:
        _STARTER.append(WarmStarter("streammesh.cli.main:main", preamble=_PRELOADED))
        atexit.register(_STARTER[0].close)
    return _STARTER[0]


class StreammeshServer:
    """``with StreammeshServer(mesh) as server:`` -> ``server.url``, ``server.admin_token``."""

    def __init__(self, mesh: Path, *extra_args: str, startup_timeout: float = 30.0) -> None:
        self.mesh = mesh
        self.extra_args = extra_args
        self.startup_timeout = startup_timeout
        self.url = ""
        self.admin_token: str | None = None
        self.output: list[str] = []
        self._process: WarmProcess | None = None
        self._stdout: io.TextIOWrapper | None = None

    @property
    def registry_url(self) -> str:
        return f"{self.url}/registry"

    def __enter__(self) -> StreammeshServer:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        argv = ["up", "--mesh", str(self.mesh), "--port", "0", *self.extra_args]
        self._process = warm_streammesh().start(argv, merge_stderr=True, env=env, cwd=os.getcwd())
        assert self._process.stdout is not None
        self._stdout = io.TextIOWrapper(self._process.stdout, encoding="utf-8")
        deadline = time.monotonic() + self.startup_timeout
        while not self.url:
            line = self._stdout.readline()
            if not line:
                raise AssertionError(f"streammesh up exited early: {''.join(self.output)}")
            self.output.append(line)
            token = _TOKEN.match(line)
            if token:
                self.admin_token = token.group(1)
            found = _URL.search(line)
            if found:
                self.url = found.group(1)
            if time.monotonic() > deadline:
                raise AssertionError(f"streammesh up did not start: {''.join(self.output)}")
        while httpx.get(f"{self.url}/healthz").status_code != 200:
            if time.monotonic() > deadline:
                raise AssertionError("streammesh up never became healthy")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """``kill -9`` the server, as a crash would; :meth:`stop` then collects its output."""
        assert self._process is not None
        self._process.kill()
        self._process.wait()

    def stop(self) -> int:
        """Press Ctrl-C and wait; the exit code."""
        assert self._process is not None
        if self._stdout is None or self._stdout.closed:
            assert self._process.returncode is not None
            return self._process.returncode  # already stopped
        stop_process(self._process, signum=signal.SIGINT, timeout_s=20)  # Ctrl-C
        # Read through the buffered pipe: it may hold lines that readline() already fetched.
        self.output.append(self._stdout.read())
        self._stdout.close()
        assert self._process.returncode is not None
        return self._process.returncode

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
