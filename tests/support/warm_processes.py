"""Processes started from a warm interpreter, for the kill -9 loops.

A kill -9 loop starts the same command 20 times or more; each ``streammesh`` process spends
about two seconds of CPU importing its modules before it does anything the loop tests. A
:class:`WarmStarter` imports them once, in a server process, and forks a child per start: the
child is a real process of its own (its own pid, pipes, files and sockets), it runs the
command's ``main()`` from the top — argument parsing, opening the mesh, the worker — and is
killed with ``kill -9`` like any other. Only the imports are shared, and they hold no state
the loops test (the server opens nothing, starts no thread, and forks before any).

Usage::

    with WarmStarter("streammesh.cli.main:main") as starter:
        process = starter.start(["connect", "run", "orders.yaml"])
        process.stdout.readline()
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()

The server speaks over a Unix socket pair: a start sends the argument vector (JSON) with the
child's stdout and stderr pipe ends attached (``SCM_RIGHTS``); the server answers with the
pid, and later with the exit status when it reaps the child.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]

_SERVER = """
import importlib, json, os, select, socket, sys
module, _, name = sys.argv[1].partition(":")
exec(sys.argv[2])  # the preamble: patches every child should see
entry = getattr(importlib.import_module(module), name)
if len(os.listdir("/proc/self/task")) > 1:  # a native thread's locks would be copied held
    sys.exit(f"warm starter: importing {sys.argv[1]} started a thread; import it in the child")
control = socket.socket(fileno=int(sys.argv[3]))
children = set()
while True:
    readable, _, _ = select.select([control], [], [], 0.05)
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            break
        children.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        control.sendall(json.dumps({"exit": pid, "code": code}).encode() + b"\\n")
    if not readable:
        continue
    message, fds, _, _ = socket.recv_fds(control, 65536, 2)
    if not message:
        break
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        control.close()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for target, fd in enumerate(fds, start=1):  # stdout, and stderr if captured
            os.dup2(fd, target)
        if request["merge"]:
            os.dup2(1, 2)
        for fd in (null, *fds):
            os.close(fd)
        if request.get("env") is not None:  # the environment of this start, not the server's
            os.environ.clear()
            os.environ.update(request["env"])
        if request.get("cwd") is not None:
            os.chdir(request["cwd"])
        sys.argv = ["streammesh", *request["argv"]]
        code = 0
        try:
            result = entry()
            code = result if isinstance(result, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    for fd in fds:
        os.close(fd)
    children.add(pid)
    control.sendall(json.dumps({"started": pid}).encode() + b"\\n")
"""


class WarmStarter:
    """A server that imports ``entry`` (``module:function``) once and forks a child that
    calls it with ``sys.argv`` set, per :meth:`start`.

    Args:
        entry: The command's main function, as ``module:function``.
        preamble: Python code the server runs before importing ``entry`` (children inherit
            its effects, e.g. a patched default).
        env: The server's (and so every child's) environment; the current one by default.
    """

    def __init__(
        self, entry: str, *, preamble: str = "", env: dict[str, str] | None = None
    ) -> None:
        self._ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, entry, preamble, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            cwd=ROOT,
            env=env,
        )
        theirs.close()
        self._lock = threading.Lock()
        self._started: list[int] = []
        self._started_ready = threading.Condition(self._lock)
        self._exits: dict[int, int] = {}
        self._ended = False
        self._reader = threading.Thread(target=self._read, name="warm starter", daemon=True)
        self._reader.start()

    def start(
        self,
        argv: Sequence[str],
        *,
        capture_stderr: bool = True,
        merge_stderr: bool = False,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> WarmProcess:
        """Fork a child running the entry with ``argv``; its stdout is a pipe, its stderr
        too unless ``capture_stderr`` is false (it then goes where the tests' stderr goes)
        or ``merge_stderr`` is true (into stdout, as ``stderr=subprocess.STDOUT``). ``env``
        and ``cwd`` are the child's environment and directory (default: the server's)."""
        capture_stderr = capture_stderr and not merge_stderr
        pipes = [os.pipe() for _ in range(2 if capture_stderr else 1)]
        try:
            with self._lock:
                request = {
                    "argv": list(argv),
                    "merge": merge_stderr,
                    "env": env,
                    "cwd": None if cwd is None else str(cwd),
                }
                message = json.dumps(request).encode()
                socket.send_fds(self._ours, [message], [write for _, write in pipes])
                if not self._started_ready.wait_for(
                    lambda: bool(self._started) or self._ended, timeout=60
                ):
                    raise RuntimeError("the warm starter did not fork a child in 60 s")
                if not self._started:
                    raise RuntimeError(f"the warm starter ended (exit {self._server.poll()})")
                pid = self._started.pop(0)
        finally:
            for _, write in pipes:
                os.close(write)
        streams = [os.fdopen(read, "rb") for read, _ in pipes]
        return WarmProcess(self, pid, streams[0], streams[1] if capture_stderr else None)

    def exit_code(self, pid: int) -> int | None:
        with self._lock:
            return self._exits.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int:
        with self._lock:
            if not self._started_ready.wait_for(lambda: pid in self._exits, timeout=timeout):
                raise subprocess.TimeoutExpired(f"warm child {pid}", timeout or 0.0)
            return self._exits[pid]

    def close(self) -> None:
        with contextlib.suppress(OSError):  # the server may have ended already
            self._ours.shutdown(socket.SHUT_RDWR)
        self._ours.close()
        try:
            self._server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()

    def __enter__(self) -> WarmStarter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _read(self) -> None:
        try:
            with self._ours.makefile("rb") as lines:
                for line in lines:
                    message: dict[str, Any] = json.loads(line)
                    with self._lock:
                        if "started" in message:
                            self._started.append(int(message["started"]))
                        else:
                            self._exits[int(message["exit"])] = int(message["code"])
                        self._started_ready.notify_all()
        except OSError:
            pass  # the server ended (reset: it left a start unread), or close() shut it
        finally:
            with self._lock:
                self._ended = True
                self._started_ready.notify_all()


class WarmProcess:
    """A child of a :class:`WarmStarter`, with the parts of ``subprocess.Popen`` the loops use
    (``pid``, ``stdout``, ``stderr``, ``poll``, ``wait``, ``kill``, ``send_signal``,
    ``communicate``, ``returncode``)."""

    def __init__(
        self, starter: WarmStarter, pid: int, stdout: IO[bytes], stderr: IO[bytes]
    ) -> None:
        self._starter = starter
        self.pid = pid
        self.stdout: IO[bytes] | None = stdout
        self.stderr: IO[bytes] | None = stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._starter.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self._starter.wait_exit(self.pid, timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[bytes, bytes]:
        """The rest of stdout and stderr (read together: neither pipe can fill up and block
        the child) once the child has ended; each stream is closed at its end, as
        ``Popen.communicate`` does."""
        streams = {
            "out": self.stdout if self.stdout is not None and not self.stdout.closed else None,
            "err": self.stderr if self.stderr is not None and not self.stderr.closed else None,
        }
        pending = {stream.fileno(): name for name, stream in streams.items() if stream}
        read: dict[str, list[bytes]] = {"out": [], "err": []}
        while pending:
            ready, _, _ = select.select(list(pending), [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(f"warm child {self.pid}", timeout or 0.0)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if chunk:
                    read[pending[fd]].append(chunk)
                else:
                    stream = streams[pending.pop(fd)]
                    assert stream is not None
                    stream.close()
        self.wait(timeout)
        return b"".join(read["out"]), b"".join(read["err"])
