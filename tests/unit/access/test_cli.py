"""``streammesh accounts`` and ``streammesh access`` on a mesh directory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streammesh.access import AccessControl
from streammesh.cli.access import parse_expiry
from streammesh.config import MeshConfig
from streammesh.runtime import MeshRuntime
from tests.unit.access.meshes import PROFILES, TRADES, open_access_mesh
from tests.unit.cli.invoking import invoke_cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "mesh"
    open_access_mesh(home).mesh.close()
    return home


def cli(home: Path, *args: str) -> tuple[int, str, str]:
    result = invoke_cli(*args, "--mesh", str(home))
    return result.exit_code, result.stdout, result.stderr


def test_accounts_create_and_list(home: Path) -> None:
    code, out, err = cli(home, "accounts", "create", "etl", "--kind", "service-account",
                         "--team", "risk-team")  # fmt: skip
    assert code == 0, err
    assert "created service-account etl of team risk-team" in out
    code, out, _ = cli(home, "accounts", "list", "--json")
    listed = {item["name"]: item for item in json.loads(out)}
    assert listed["etl"]["kind"] == "service-account" and listed["etl"]["team"] == "risk-team"
    assert listed["risk-team"]["kind"] == "team"
    assert listed["ada"]["kind"] == "user"


def test_accounts_create_refuses_a_service_account_without_team(home: Path) -> None:
    code, _, err = cli(home, "accounts", "create", "etl", "--kind", "service-account")
    assert code == 2
    assert "belongs to a team" in err
    code, _, err = cli(home, "accounts", "create", "etl", "--kind", "robot")
    assert code == 2 and "'robot' is not a kind" in err


def test_request_approve_revoke_through_the_cli(home: Path) -> None:
    code, out, err = cli(home, "access", "request", PROFILES, "--as", "crm-sync",
                         "--purpose", "sync contacts", "--classified", "--json")  # fmt: skip
    assert code == 0, err
    request = json.loads(out)
    assert request["state"] == "requested" and request["classified"] is True

    code, out, _ = cli(home, "access", "list", "--state", "requested", "--json")
    assert [item["id"] for item in json.loads(out)] == [request["id"]]

    code, out, err = cli(home, "access", "approve", request["id"], "--note", "ok",
                         "--expires", "30d")  # fmt: skip
    assert code == 0, err
    assert f"approved {request['id']}" in out and "expires" in out
    with MeshRuntime.open(MeshConfig.load(home)) as mesh:
        grant = AccessControl(mesh.store).check_read("crm-sync", f"{PROFILES}.v1")
    assert grant.classified and grant.expires_at is not None

    code, out, err = cli(home, "access", "revoke", request["id"], "--note", "done")
    assert code == 0, err
    code, out, _ = cli(home, "access", "list", "--product", PROFILES, "--json")
    assert [item["state"] for item in json.loads(out)] == ["revoked"]


def test_unclassified_request_is_approved_and_listed(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = cli(home, "access", "request", TRADES, "--as", "fraud-detector",
                         "--purpose", "score")  # fmt: skip
    assert code == 0, err
    assert "approved" in out and f"{TRADES}.v1" in out
    code, out, _ = cli(home, "access", "list")
    assert "fraud-detector" in out and "approved" in out


def test_cli_errors_are_one_line_with_the_next_step(home: Path) -> None:
    code, _, err = cli(home, "access", "reject", "feedfacefeedface")
    assert code == 1 and "'feedfacefeedface' not found" in err
    code, _, err = cli(home, "access", "request", TRADES, "--as", "ada", "--purpose", "p")
    assert code == 2 and "service accounts" in err
    code, _, err = cli(home, "access", "list", "--state", "pending")
    assert code == 2 and "'pending' is not a state" in err


def test_expiry_spellings() -> None:
    now = datetime(2027, 1, 1, 12, tzinfo=UTC)
    assert parse_expiry("30d", now) == now + timedelta(days=30)
    assert parse_expiry("2027-06-30", now) == datetime(2027, 6, 30, tzinfo=UTC)
    assert parse_expiry("2027-06-30T08:00:00+02:00", now) == datetime(2027, 6, 30, 6, tzinfo=UTC)
