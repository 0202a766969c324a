"""``streammesh deprecate`` and ``streammesh retire`` on a real embedded mesh: what a
deprecated product refuses, what it keeps doing, and when retiring is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.cli.mesh_connection import cli_actor
from tests.unit.cli.invoking import invoke_cli
from tests.unit.cli.product_workspace import (
    NAME,
    V1,
    V2,
    Workspace,
    error_line,
    json_of,
    jsonl,
    make_workspace,
    ok,
    trade,
)

SUNSET = "2027-06-30"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    workspace = make_workspace(tmp_path, monkeypatch)
    ok("apply", str(workspace.root), "--yes")
    ok("produce", NAME, stdin=jsonl(trade(1)))
    return workspace


def _consume(group: str) -> list[str]:
    result = ok("consume", V1, "--group", group, "--from-beginning", "--max", "1", "--timeout", "5")
    return result.stdout.splitlines()


def _deprecate(*extra: str) -> None:
    ok("deprecate", V1, "--reason", "status becomes a code", "--sunset", SUNSET, *extra)


def test_deprecated_products_refuse_new_consumers_and_leave_search(workspace: Workspace) -> None:
    assert len(_consume("risk")) == 1
    workspace.add_version_2()
    ok("apply", str(workspace.root), "--yes")

    result = ok(
        "deprecate", V1, "--reason", "status becomes a code", "--sunset", SUNSET,
        "--replacement", V2,
    )  # fmt: skip
    assert result.stdout.startswith(f"deprecated {V1}: sunset {SUNSET}, replaced by {V2}")

    shown = json_of("products", "show", V1)
    assert shown["status"] == "deprecated"
    assert shown["deprecation"] == {
        "reason": "status becomes a code",
        "sunset": SUNSET,
        "replacement": V2,
    }
    assert shown["replaced_by"] == V2
    page = ok("products", "show", V1).stdout
    assert "status becomes a code" in page and SUNSET in page

    refused = invoke_cli("consume", V1, "--group", "newcomer", "--timeout", "0")
    assert refused.exit_code == 1
    line = error_line(refused)
    assert f"product '{V1}' is deprecated and takes no new consumers" in line
    assert f"consume '{V2}' instead" in line
    assert [c["application"] for c in json_of("products", "consumers", V1)] == ["risk"]
    # A group that was already reading goes on.
    ok("produce", V1, stdin=jsonl(trade(2)))
    assert len(_consume("risk")) == 1

    hits = json_of("products", "search", "stocktrades")["hits"]
    assert [hit["product"] for hit in hits] == [V2]
    everything = json_of("products", "search", "stocktrades", "--all-statuses")
    assert {hit["product"] for hit in everything["hits"]} == {V1, V2}
    assert everything["facets"]["status"] == {"deprecated": 1, "published": 1}


def test_deprecate_needs_a_real_date_and_a_published_product(workspace: Workspace) -> None:
    bad_date = invoke_cli("deprecate", V1, "--reason", "r", "--sunset", "30/06/2027")
    assert bad_date.exit_code == 2
    assert "write it as YYYY-MM-DD" in error_line(bad_date)
    missing = invoke_cli("deprecate", V1, "--sunset", SUNSET)
    assert missing.exit_code == 2
    assert "--reason" in error_line(missing)
    unknown = invoke_cli(
        "deprecate", V1, "--reason", "r", "--sunset", SUNSET, "--replacement", "x.y"
    )
    assert "product 'x.y' is not in the mesh" in error_line(unknown)
    assert json_of("products", "show", V1)["status"] == "published"

    _deprecate()
    again = invoke_cli("deprecate", V1, "--reason", "r", "--sunset", SUNSET)
    assert again.exit_code != 0
    assert "deprecated" in error_line(again)


def test_retire_waits_for_consumers_unless_forced(workspace: Workspace) -> None:
    early = invoke_cli("retire", V1)
    assert early.exit_code != 0
    assert "published" in error_line(early)

    _consume("risk")
    _deprecate()
    refused = invoke_cli("retire", V1)
    assert refused.exit_code != 0
    assert "consumer" in error_line(refused)
    assert json_of("products", "show", V1)["status"] == "deprecated"

    forced = ok("retire", V1, "--force")
    assert forced.stdout.strip() == (
        f"retired {V1}: topic {V1} deleted; forced by {cli_actor()} although consumers were active"
    )
    shown = json_of("products", "show", V1)
    assert shown["status"] == "retired"
    assert shown["forced_by"] == cli_actor()
    with workspace.mesh() as mesh:
        assert V1 not in {topic.spec.name for topic in mesh.log.list_topics()}
        (entry,) = [e for e in mesh.plane.audit.entries(subject=V1) if e.note]
        assert entry.note == f"forced by {cli_actor()}"
    assert json_of("products", "search", "stocktrades")["hits"] == []
    gone = invoke_cli("consume", V1, "--group", "late", "--timeout", "0")
    assert "retired" in error_line(gone)


def test_retire_without_consumers_needs_no_force(workspace: Workspace) -> None:
    _deprecate()
    document = json_of("retire", V1)
    assert document["status"] == "retired"
    assert document["forced_by"] is None
