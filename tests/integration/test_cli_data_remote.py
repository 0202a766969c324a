"""``streammesh produce`` and ``consume`` by product name through a real ``streammesh up`` with
``--server``: the same output as on a local mesh, bad input refused naming its line with nothing
written (also past the first batch sent), and topics (``--raw``, ``--partition``, ``topics``)
left to the local log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli
from tests.unit.cli.product_workspace import (
    Workspace,
    error_line,
    json_of,
    jsonl,
    make_workspace,
    ok,
    trade,
)

pytestmark = pytest.mark.usefixtures("cli_config_home")


def _remote(server: StreammeshServer, token: str, *args: str, stdin: bytes = b"") -> CliResult:
    return invoke_cli(*args, "--server", server.url, "--token", token, stdin=stdin)


def _remote_ok(server: StreammeshServer, token: str, *args: str, stdin: bytes = b"") -> CliResult:
    result = _remote(server, token, *args, stdin=stdin)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def _published_here_and_there(
    server: StreammeshServer,
    admin: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    domain: str,
) -> Workspace:
    """The same product applied to a local mesh and to the server's (each test its own domain:
    they share the server)."""
    workspace = make_workspace(tmp_path, monkeypatch, domain)
    ok("apply", str(workspace.root), "--yes")
    _remote_ok(server, admin, "apply", str(workspace.root), "--yes")
    return workspace


def _events(result: CliResult) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def _without_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as printed, but for when they were written, in key order."""
    kept = [{k: v for k, v in event.items() if k != "timestamp"} for event in events]
    return sorted(kept, key=lambda event: str(event["key"]))


def test_events_produced_through_the_server_are_consumed_through_it_as_locally(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _published_here_and_there(server, admin, tmp_path, monkeypatch, "remotedata")
    events = jsonl(trade(1), trade(2, "filled"), trade(3))

    local = json_of("produce", workspace.name, stdin=events)
    remote = json.loads(
        _remote_ok(server, admin, "produce", workspace.name, "--json", stdin=events).stdout
    )
    assert remote == {**local, "schema_id": remote["schema_id"]}
    assert remote["product"] == f"{workspace.name}.v1"
    text = _remote_ok(server, admin, "produce", workspace.name, stdin=jsonl(trade(4)))
    assert text.stdout == f"wrote 1 event to product {workspace.name}.v1\n"
    ok("produce", workspace.name, stdin=jsonl(trade(4)))

    reading = ("consume", workspace.name, "--group", "risk", "--from-beginning")
    read_here = ok(*reading, "--max", "4", "--timeout", "10")
    read_there = _remote_ok(server, admin, *reading, "--max", "4", "--timeout", "10")
    there = _without_time(_events(read_there))
    here = _without_time(_events(read_here))
    # A platform admin reads without a grant: the server masks the classified field.
    assert [event["value"]["customer_email"] for event in there] == ["***"] * 4
    for event in here:
        event["schema_id"] = remote["schema_id"]
        event["value"]["customer_email"] = "***"
    assert there == here
    assert [event["key"] for event in there] == ["t-1", "t-2", "t-3", "t-4"]
    assert read_there.stderr == ""

    # The group resumes right after the last printed event: what --max left is still there.
    auditing = ("consume", workspace.name, "--group", "audit", "--timeout", "2")
    first = _events(_remote_ok(server, admin, *auditing, "--from-beginning", "--max", "1"))
    # Known to the server now, the group needs no --from-beginning.
    rest = _events(_remote_ok(server, admin, *auditing, "--max", "10"))
    assert len(first) == 1
    assert sorted(event["key"] for event in first + rest) == ["t-1", "t-2", "t-3", "t-4"]


def test_an_invalid_event_is_refused_naming_its_line_and_nothing_is_written(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _published_here_and_there(server, admin, tmp_path, monkeypatch, "remotebad")
    bad = trade(2)
    bad["status"] = 5
    missing = trade(3)
    del missing["customer_email"]
    refused = jsonl(trade(1), bad) + b"\n" + jsonl(missing)

    here = invoke_cli("produce", workspace.name, stdin=refused)
    there = _remote(server, admin, "produce", workspace.name, stdin=refused)
    assert there.exit_code == here.exit_code == 1
    assert error_line(there) == error_line(here)
    assert error_line(there).startswith("error: <stdin> line 2: 2 events refused by product")

    # Far past the first batch the client sends: still nothing of the input is written.
    many = [trade(number) for number in range(1, 1_201)]
    many[1_099]["status"] = 5
    late = _remote(server, admin, "produce", workspace.name, stdin=jsonl(*many))
    assert late.exit_code == 1
    assert "line 1100: field 'status'" in error_line(late)
    assert error_line(late).endswith("nothing was written")

    reading = ("consume", workspace.name, "--group", "check", "--from-beginning")
    assert _remote_ok(server, admin, *reading, "--timeout", "1").stdout == ""


def test_a_new_group_needs_from_beginning_through_the_server_unless_it_may_not_start(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _published_here_and_there(server, admin, tmp_path, monkeypatch, "remotegroup")
    result = _remote(server, admin, "consume", workspace.name, "--group", "fresh", "--max", "1")
    assert result.exit_code == 2
    line = error_line(result)
    assert "consumer group 'fresh' has not read" in line
    assert "add --from-beginning" in line

    # A product that takes no new consumers says so first, as on a local mesh.
    deprecating = ("deprecate", workspace.name, "--reason", "moving", "--sunset", "2027-06-30")
    ok(*deprecating)
    _remote_ok(server, admin, *deprecating)
    here = invoke_cli("consume", workspace.name, "--group", "late", "--max", "1")
    there = _remote(server, admin, "consume", workspace.name, "--group", "late", "--max", "1")
    assert there.exit_code == here.exit_code == 1
    assert error_line(there) == error_line(here)
    assert "is deprecated and takes no new consumers" in error_line(there)


def test_topics_and_other_tokens_are_refused_through_the_server(
    server: StreammeshServer, admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _published_here_and_there(server, admin, tmp_path, monkeypatch, "remotetopic")
    raw = _remote(server, admin, "produce", workspace.name, "--raw", stdin=b"x\n")
    assert raw.exit_code == 2
    assert "through --server only data products are written" in error_line(raw)
    for option in ("--raw", "--partition"):
        args = (option,) if option == "--raw" else (option, "0")
        read = _remote(server, admin, "consume", workspace.name, *args, "--timeout", "0")
        assert read.exit_code == 2
        assert "through --server only data products are read" in error_line(read)

    # The log's own commands have no server to go through, and say so rather than go local.
    listed = _remote(server, admin, "topics", "list")
    assert listed.exit_code == 2
    assert "No such option: --server" in error_line(listed)

    # A name the server's mesh does not know is no topic of it.
    unknown = _remote(server, admin, "produce", "remotetopic.scratch", stdin=b"x\n")
    assert unknown.exit_code == 1
    assert "product 'remotetopic.scratch' is not in the mesh" in error_line(unknown)

    reader = _remote_ok(
        server, admin, "token", "create", "--role", "consumer", "--name", "topic-reader"
    ).stdout.strip()
    denied = _remote(server, reader, "produce", workspace.name, stdin=jsonl(trade(1)))
    assert denied.exit_code == 1
    assert f"the mesh at {server.url} refused the operation" in error_line(denied)
    reading = ("consume", workspace.name, "--group", "check", "--from-beginning")
    assert _remote_ok(server, admin, *reading, "--timeout", "1").stdout == ""
