"""``streammesh lineage``: the tree and table people read, and the JSON scripts read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.cli.invoking import invoke_cli
from tests.unit.lineage.world import DAILY, TRADES, VOLUMES, open_world


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    open_world(tmp_path / "mesh").close()
    yield tmp_path / "mesh"


def test_lineage_product_prints_a_tree_both_ways(home: Path) -> None:
    result = invoke_cli("lineage", VOLUMES, "--mesh", str(home))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{VOLUMES}.v1"
    upstream = next(i for i, line in enumerate(lines) if line.endswith("upstream"))
    downstream = next(i for i, line in enumerate(lines) if line.endswith("downstream"))
    assert any(f"{TRADES}.v1" in line and "derives" in line for line in lines[upstream:downstream])
    below = "\n".join(lines[downstream:])
    assert f"{DAILY}.v1" in below and "dashboard" in below and "consumes" in below


def test_downstream_depth_and_json(home: Path) -> None:
    result = invoke_cli(
        "lineage", "show", TRADES, "--downstream", "--depth", "1", "--json", "--mesh", str(home)
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["center"] == f"product:{TRADES}.v1"
    assert {node["name"] for node in document["nodes"]} == {
        f"{TRADES}.v1",
        f"{VOLUMES}.v1",
        "fraud-detector",
        "s3://lake/trades",
    }
    consumer = next(edge for edge in document["edges"] if edge["kind"] == "consumes")
    assert consumer["activity"]["lag"] == 0 and consumer["activity"]["active"] is True


def test_upstream_and_downstream_together_are_refused(home: Path) -> None:
    result = invoke_cli("lineage", TRADES, "--upstream", "--downstream", "--mesh", str(home))
    assert result.exit_code != 0 and "not both" in result.stderr


def test_impact_table_and_json(home: Path) -> None:
    table = invoke_cli("lineage", "impact", TRADES, "--mesh", str(home))
    assert table.exit_code == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if "fraud-detector" in line)
    assert "risk-team" in row and "risk@example.com" in row
    result = invoke_cli("lineage", "impact", TRADES, "--json", "--mesh", str(home))
    document = json.loads(result.stdout)
    assert document["product"] == f"{TRADES}.v1"
    assert [(d["name"], d["depth"]) for d in document["dependents"]] == [
        ("fraud-detector", 1),
        (f"{VOLUMES}.v1", 1),
        (f"{DAILY}.v1", 2),
        ("dashboard", 3),
    ]


def test_unknown_product_is_a_one_line_error(home: Path) -> None:
    result = invoke_cli("lineage", "execution.nothing", "--mesh", str(home))
    assert result.exit_code != 0
    assert "'execution.nothing'" in result.stderr and "Traceback" not in result.stderr


def test_export_prints_openlineage_events(home: Path) -> None:
    result = invoke_cli("lineage", "export", "--mesh", str(home))
    assert result.exit_code == 0, result.stderr
    events = json.loads(result.stdout)
    by_job = {event["job"]["name"]: event for event in events}
    assert set(by_job) == {"dashboard", "fraud-detector"}
    fraud = by_job["fraud-detector"]
    (trades,) = fraud["inputs"]
    assert (trades["namespace"], trades["name"]) == ("streammesh", f"{TRADES}.v1")
    assert set(trades["facets"]) == {
        "schema",
        "ownership",
        "documentation",
        "datasource",
        "symlinks",
    }
    assert fraud["eventType"] == "RUNNING" and fraud["schemaURL"].startswith(
        "https://openlineage.io"
    )
