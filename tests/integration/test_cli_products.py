"""``streammesh products``, ``domains``, ``teams``, and ``produce``/``consume`` addressed by
product name, on a real embedded mesh."""

from __future__ import annotations

import json
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


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    workspace = make_workspace(tmp_path, monkeypatch)
    ok("apply", str(workspace.root), "--yes")
    return workspace


def _written(workspace: Workspace, topic: str) -> int:
    with workspace.mesh() as mesh:
        return sum(mesh.log.describe_topic(topic).end_offsets.values())


def test_list_and_show(workspace: Workspace) -> None:
    listed = json_of("products", "list")
    assert [record["reference"] for record in listed] == [V1]
    assert listed[0]["status"] == "published"
    assert json_of("products", "list", "--domain", "other") == []
    assert json_of("products", "list", "--status", "deprecated") == []
    assert len(json_of("products", "list", "--status", "published", "--status", "draft")) == 1

    table = ok("products", "list").stdout
    assert V1 in table and "published" in table and "execution-team" in table

    shown = json_of("products", "show", NAME)
    assert shown["reference"] == V1
    assert shown["topic"] == V1
    assert shown["value_subject"] == f"{V1}-value"
    assert shown["schema"] == {"id": shown["schema"]["id"], "version": 1}
    assert shown["deprecation"] is None
    assert shown["replaced_by"] is None
    assert shown["consumers"] == []
    assert shown["descriptor"]["key"] == {"field": "stocktrades_id", "type": "string"}

    page = ok("products", "show", V1).stdout
    for expected in (V1, "published", "stocktrades_id (string)", f"{V1}-value version 1"):
        assert expected in page
    assert "No registered consumers." in page


def test_an_unknown_product_is_one_clear_error(workspace: Workspace) -> None:
    result = invoke_cli("products", "show", "execution.stocktrade")
    assert result.exit_code == 1  # the README's "refused"; 3 is not a documented code
    line = error_line(result)
    assert "product 'execution.stocktrade' is not in the mesh" in line
    assert f"did you mean '{NAME}'" in line


def test_search_with_facets(workspace: Workspace) -> None:
    document = json_of("products", "search", "stock")
    assert document["total"] == 1
    (hit,) = document["hits"]
    assert hit["product"] == V1
    assert hit["status"] == "published"
    assert document["facets"]["domain"] == {"execution": 1}
    assert document["facets"]["team"] == {"execution-team": 1}
    assert document["facets"]["status"] == {"published": 1}

    assert json_of("products", "search", "stock", "--domain", "customers")["total"] == 0
    assert json_of("products", "search", "nothing-like-it")["hits"] == []
    assert json_of("products", "search", "", "--tag", "example")["total"] == 1

    table = ok("products", "search", "stock").stdout
    assert V1 in table
    assert "1 match" in table
    assert "domain: execution 1" in table


def test_produce_and_consume_by_product_name(workspace: Workspace) -> None:
    produced = json_of("produce", NAME, stdin=jsonl(trade(1), trade(2), trade(3)))
    assert produced["product"] == V1
    assert produced["events"] == 3
    assert _written(workspace, V1) == 3

    result = ok(
        "consume", NAME, "--group", "risk", "--from-beginning", "--max", "3", "--timeout", "10"
    )
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(event["key"] for event in events) == ["t-1", "t-2", "t-3"]
    assert all(event["product"] == V1 for event in events)
    assert all(event["schema_id"] == produced["schema_id"] for event in events)
    first = next(event for event in events if event["key"] == "t-1")
    # Avro's timestamp-millis comes back as a time, printed in ISO 8601.
    assert first["value"]["updated_at"].startswith("2023-11-14T22:13:20")
    assert first["value"]["status"] == "new"

    consumers = json_of("products", "consumers", NAME)
    assert [(c["application"], c["role"], c["active"]) for c in consumers] == [
        ("risk", "consumer", True)
    ]
    assert consumers[0]["principal"] == cli_actor()

    # The group committed what it printed: it resumes after it (--from-beginning only
    # applies to partitions the group has no committed offset for).
    ok("produce", V1, stdin=jsonl(trade(4)))
    again = ok(
        "consume", NAME, "--group", "risk", "--from-beginning", "--max", "2", "--timeout", "2"
    )
    assert [json.loads(line)["key"] for line in again.stdout.splitlines()] == ["t-4"]


def test_one_bad_event_names_its_line_and_field_and_nothing_is_written(
    workspace: Workspace,
) -> None:
    bad = trade(2)
    bad["status"] = 5
    missing = trade(3)
    del missing["customer_email"]
    result = invoke_cli("produce", NAME, stdin=jsonl(trade(1), bad) + b"\n" + jsonl(missing))
    assert result.exit_code == 1
    line = error_line(result)
    assert line.startswith("error: <stdin> line 2: 2 events refused by product")
    assert "line 2: field 'status'" in line
    assert "line 4: field 'customer_email'" in line
    assert line.endswith("nothing was written")
    assert _written(workspace, V1) == 0

    not_json = invoke_cli("produce", NAME, stdin=b'{"stocktrades_id": "t-1"}\n[1, 2]\n')
    assert "<stdin> line 2: is a JSON list; an event is a JSON object" in error_line(not_json)
    assert _written(workspace, V1) == 0


def test_topic_options_are_refused_for_a_product(workspace: Workspace) -> None:
    for option in (["--partition", "1"], ["--format", "jsonl"], ["--key-separator", ":"]):
        result = invoke_cli("produce", NAME, *option, stdin=jsonl(trade(1)))
        assert result.exit_code == 2
        assert "--raw" in error_line(result)
    no_group = invoke_cli("consume", NAME, "--timeout", "0")
    assert no_group.exit_code == 2
    assert "--group NAME" in error_line(no_group)
    assert _written(workspace, V1) == 0


def test_raw_writes_to_the_topic_and_names_that_are_no_product_stay_topics(
    workspace: Workspace,
) -> None:
    ok("produce", V1, "--raw", "--key-separator", ":", stdin=b"t-9:not an event\n")
    assert _written(workspace, V1) == 1
    raw = ok("consume", V1, "--raw", "--from-beginning", "--max", "1", "--timeout", "5")
    assert raw.stdout == "not an event\n"

    # Shaped like a product, but not one of the mesh: a topic, as before.
    ok("topics", "create", "execution.scratch")
    ok("produce", "execution.scratch", stdin=b"hello\n")
    read = ok("consume", "execution.scratch", "--from-beginning", "--max", "1", "--timeout", "5")
    assert read.stdout == "hello\n"


def test_a_version_is_addressed_by_its_reference(workspace: Workspace) -> None:
    workspace.add_version_2()
    ok("apply", str(workspace.root), "--yes")
    v2_event = {**trade(1), "status": 7}
    assert json_of("produce", V2, stdin=jsonl(v2_event))["product"] == V2
    # The bare name is the current version (the highest published one): v2 now.
    assert json_of("produce", NAME, stdin=jsonl({**trade(2), "status": 8}))["product"] == V2
    refused = invoke_cli("produce", V1, stdin=jsonl(v2_event))
    assert "field 'status'" in error_line(refused)
    assert _written(workspace, V1) == 0
    assert _written(workspace, V2) == 2


def test_domains_and_teams(workspace: Workspace) -> None:
    assert [d["name"] for d in json_of("domains", "list")] == ["execution"]
    created = json_of("domains", "create", "customers", "--description", "Who buys")
    assert created == {**created, "name": "customers", "description": "Who buys"}
    assert created["created_by"] == cli_actor()
    assert [d["name"] for d in json_of("domains", "list")] == ["customers", "execution"]

    team = json_of("teams", "create", "crm", "--domain", "customers", "--email", "crm@example.com")
    assert (team["name"], team["domain"], team["email"]) == ("crm", "customers", "crm@example.com")
    assert {t["name"] for t in json_of("teams", "list")} == {"crm", "execution-team"}
    assert "crm" in ok("teams", "list").stdout

    unknown = invoke_cli("teams", "create", "growth", "--domain", "marketing")
    assert "domain 'marketing' is not registered" in error_line(unknown)
    invalid = invoke_cli("domains", "create", "Bad Name")
    assert "is not a valid domain name" in error_line(invalid)


def test_show_has_a_connect_section(workspace: Workspace) -> None:
    connect = json_of("products", "show", NAME)["connect"]
    assert connect["topic"] == V1
    assert connect["bootstrap_servers"] is None  # the embedded log: read through the server
    assert connect["rest_url"] == "http://127.0.0.1:8080"
    assert connect["schema"]["subject"] == f"{V1}-value"
    assert connect["key"]["field"] == "stocktrades_id"
    assert connect["principal"] == "APP"  # in-process: the application that will read
    assert (
        f'mesh.consumer("{V1}", "APP-execution-stocktrades")' in (connect["snippets"]["python_sdk"])
    )

    page = ok("products", "show", V1).stdout
    assert "Connect" in page
    for expected in ("http://127.0.0.1:8080", "APP-execution-stocktrades", "Mesh.connect("):
        assert expected in page
    assert "$STREAMMESH_TOKEN (never shown)" in page
