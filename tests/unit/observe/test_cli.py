"""``streammesh status``, ``lag`` and ``slo check`` on a mesh directory: tables and --json."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.cli.invoking import invoke_cli
from tests.unit.observe.meshes import TRADES, commit, open_observed_mesh, produce


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "mesh"
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    with open_observed_mesh(home) as mesh:
        produce(mesh, TRADES, 0, 9, at_ms=now_ms - 1_000)
        produce(mesh, TRADES, 1, 3, at_ms=now_ms - 2 * 3_600_000)  # two hours old
        commit(mesh, "risk", TRADES, {0: 9})
    return home


def test_status_prints_rates_offsets_and_slos(home: Path) -> None:
    done = invoke_cli("status", "execution.trades", "--mesh", str(home), "--json")
    assert done.exit_code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["product"] == TRADES
    assert document["events_in_window"] == 9
    assert [p["end_offset"] for p in document["partitions"]] == [9, 3, 0, 0]

    table = invoke_cli("status", TRADES, "--mesh", str(home), "--window", "30")
    assert table.exit_code == 0, table.stderr
    assert "events/s" in table.stdout and "0.30 (last 30s)" in table.stdout
    assert "0:9, 1:3, 2:0, 3:0" in table.stdout


def test_lag_prints_per_partition_and_the_verdict(home: Path) -> None:
    done = invoke_cli("lag", "risk", TRADES, "--mesh", str(home), "--json")
    assert done.exit_code == 0, done.stderr
    document = json.loads(done.stdout)
    assert (document["total_lag"], document["caught_up"]) == (3, False)

    table = invoke_cli("lag", "risk", "--mesh", str(home))
    assert table.exit_code == 0, table.stderr
    assert "risk: 3 behind" in table.stdout

    unknown = invoke_cli("lag", "nobody", "--mesh", str(home))
    assert "has committed on no product" in unknown.stdout


def test_slo_check_judges_now_and_exits_1_on_a_breach(home: Path) -> None:
    done = invoke_cli("slo", "check", "--mesh", str(home), "--json")

    assert done.exit_code == 0, done.stdout + done.stderr  # newest event 1 s old: met
    assert [(s["product"], s["slo"], s["status"]) for s in json.loads(done.stdout)] == [
        (TRADES, "freshness", "met")
    ]


def test_slo_check_lists_a_breach_and_exits_1(tmp_path: Path) -> None:
    home = tmp_path / "stale"
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    with open_observed_mesh(home) as mesh:
        produce(mesh, TRADES, 0, 1, at_ms=now_ms - 2 * 3_600_000)

    stale = invoke_cli("slo", "check", TRADES, "--mesh", str(home))

    assert stale.exit_code == 1
    # The CLI may start a second or more after the event was produced on a loaded machine.
    assert "breached" in stale.stdout
    assert re.search(r"newest event 2h(\d+s)? old", stale.stdout), stale.stdout
