"""What the data plane remembers per store generation reads only tables whose writes bump the
generation (``store.WATCHED_TABLES``): a read of any other table would be remembered past a
change of it. And while nothing changes, a REST produce's or consume's checks cost the one
statement that reads the generation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from streammesh.access import AccessControl, AccessDenied, AccessService, Caller
from streammesh.dataplane import DataPlane
from streammesh.identity import AccountKind, Role, TokenStore
from streammesh.runtime import MeshRuntime
from streammesh.sdk import Mesh
from streammesh.store import WATCHED_TABLES
from tests.unit.cli.invoking import invoke_cli

PRODUCT = "sales.orders"
_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)', re.IGNORECASE)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    descriptor = tmp_path / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text().replace("status: draft", "status: published"), encoding="utf-8"
    )
    home = tmp_path / "mesh"
    with Mesh.open(home, actor="owner") as operator:
        operator.apply([tmp_path / "repo" / "sales"])
        access = AccessService(operator.local.store, operator.local.plane)
        access.create_account(
            "orders-ingest",
            AccountKind.SERVICE_ACCOUNT,
            team="sales-team",
            description="",
            actor="admin",
        )
        TokenStore(operator.local.store).create("ops-user", Role.PLATFORM_ADMIN)
    return home


@contextmanager
def statements(mesh: MeshRuntime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(mesh.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(mesh.store.engine, "before_cursor_execute", record)


def _checks(mesh: MeshRuntime) -> None:
    """The checks of a REST produce (a service account, a platform admin) and consume."""
    mesh.data.encoder(PRODUCT, principal="orders-ingest")
    mesh.data.encoder(PRODUCT, principal="ops-user")
    with pytest.raises(AccessDenied):
        mesh.data.read_access(PRODUCT, Caller("billing-app", Role.CONSUMER))


def test_remembered_reads_touch_only_watched_tables_and_cost_one_statement_after(
    home: Path,
) -> None:
    with Mesh.open(home, actor="owner") as opened:
        mesh = opened.local
        with statements(mesh) as first:
            _checks(mesh)
        tables = {match for sql in first for match in _TABLE.findall(sql)}
        assert "mesh_products" in tables and "identity_tokens" in tables  # really read
        assert tables - {"store_generation"} <= WATCHED_TABLES, tables - WATCHED_TABLES

        with statements(mesh) as again:
            _checks(mesh)
        queries = [sql for sql in again if sql != "BEGIN"]
        assert len(queries) == 3  # one generation read per check
        assert all("store_generation" in sql for sql in queries)


def test_every_watched_table_has_the_triggers_that_bump_the_generation(home: Path) -> None:
    with Mesh.open(home, actor="owner") as opened, opened.local.store.read() as connection:
        triggers = connection.exec_driver_sql(
            "SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%store_generation%' GROUP BY tbl_name"
        ).all()
    assert dict(triggers) == dict.fromkeys(WATCHED_TABLES, 3)  # insert, update, delete


def test_remembered_grants_and_write_permissions_still_expire_at_their_time(home: Path) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    admin = Caller("admin", Role.PLATFORM_ADMIN)
    reader = Caller("billing-app", Role.CONSUMER)
    with Mesh.open(home, actor="owner") as opened:
        mesh = opened.local
        access = AccessService(mesh.store, mesh.plane)
        access.create_account(
            "billing-app",
            AccountKind.SERVICE_ACCOUNT,
            team="sales-team",
            description="",
            actor="admin",
        )
        asked = access.request(
            PRODUCT, "billing-app", purpose="bills", classified=True, caller=admin
        )
        access.approve(asked.id, caller=admin, expires_at=soon)
        TokenStore(mesh.store).create("temp-admin", Role.PLATFORM_ADMIN, expires_at=soon)
        clock = [datetime.now(UTC)]
        grants = AccessControl(mesh.store, clock=lambda: clock[0])
        data = DataPlane(mesh.plane, mesh.log, mesh.registry, grants, mesh.keys, mesh.policies)
        assert data.read_access(PRODUCT, reader)[1] is True
        data.encoder(PRODUCT, principal="temp-admin")

        clock[0] = soon + timedelta(seconds=1)  # nothing in the store changed meanwhile

        with pytest.raises(AccessDenied):
            data.read_access(PRODUCT, reader)
        with pytest.raises(AccessDenied):
            data.encoder(PRODUCT, principal="temp-admin")
