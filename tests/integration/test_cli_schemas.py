"""``streammesh schemas`` end to end, the same flows on the local mesh's store (in-process) and
on a real ``streammesh up`` through its API (``--server`` with a token)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.streammesh_server import StreammeshServer
from tests.unit.cli.invoking import CliResult, invoke_cli


def _avro(name: str, fields: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "acme", "fields": fields})


SYMBOL = {"name": "symbol", "type": "string"}
PRICE = {"name": "price", "type": "double"}
VENUE = {"name": "venue", "type": "string", "default": "XNYS"}
TRADE_V1 = _avro("Trade", [SYMBOL, PRICE])
TRADE_V2 = _avro("Trade", [SYMBOL, PRICE, VENUE])
# symbol changes type (both ways) and quantity has no default (the new schema cannot read
# old data): three problems under FULL_TRANSITIVE, each to be listed.
TRADE_BROKEN = _avro(
    "Trade", [{"name": "symbol", "type": "long"}, PRICE, VENUE, {"name": "qty", "type": "int"}]
)
TRADE_WITHOUT_PRICE = _avro("Trade", [SYMBOL, VENUE])

_subjects = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreammeshServer]:
    with StreammeshServer(tmp_path_factory.mktemp("served")) as running:
        yield running


class Mesh:
    """How the commands reach the registry, and where the schema files are."""

    def __init__(self, where: list[str], files: Path) -> None:
        self.where = where
        self.files = files
        # The server is shared by the module's tests: each test gets its own subjects.
        self.suffix = f"t{next(_subjects)}"

    def subject(self, name: str) -> str:
        return f"{name}.{self.suffix}-value"

    def file(self, name: str, text: str) -> str:
        path = self.files / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def run(self, *args: str) -> CliResult:
        return invoke_cli("schemas", *args, *self.where)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture(params=["local", "server"])
def mesh(request: pytest.FixtureRequest, tmp_path: Path) -> Mesh:
    if request.param == "local":
        return Mesh(["--mesh", str(tmp_path / "mesh")], tmp_path)
    running: StreammeshServer = request.getfixturevalue("server")
    assert running.admin_token is not None
    return Mesh(["--server", running.url, "--token", running.admin_token], tmp_path)


def test_register_evolve_and_refuse_an_incompatible_schema_listing_every_problem(
    mesh: Mesh,
) -> None:
    subject = mesh.subject("trades")
    first = mesh.run("register", subject, mesh.file("v1.avsc", TRADE_V1))
    assert first.exit_code == 0, first.stderr
    assert f"{subject} version 1, schema id" in first.stdout
    second = mesh.json("register", subject, mesh.file("v2.avsc", TRADE_V2))
    assert (second["subject"], second["version"], second["schema_type"]) == (subject, 2, "AVRO")
    again = mesh.json("register", subject, mesh.file("v2-again.avsc", TRADE_V2))
    assert (again["version"], again["id"]) == (2, second["id"]), "registering is idempotent"

    refused = mesh.run("register", subject, mesh.file("broken.avsc", TRADE_BROKEN))

    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert "/fields/symbol/type" in refused.stderr
    assert "[TYPE_MISMATCH]" in refused.stderr
    assert "/fields/qty" in refused.stderr
    assert "[READER_FIELD_MISSING_DEFAULT_VALUE]" in refused.stderr
    error = refused.stderr.strip().splitlines()[-1]
    assert error.startswith("error: ")
    assert f"incompatible with subject '{subject}' under FULL_TRANSITIVE" in error
    assert "nothing was registered" in error
    listed = mesh.json("list", "--prefix", subject)
    assert [(row["subject"], row["version"]) for row in listed] == [(subject, 2)]


def test_list_and_show(mesh: Mesh) -> None:
    trades, quotes = mesh.subject("trades"), mesh.subject("quotes")
    registered = mesh.json("register", trades, mesh.file("v1.avsc", TRADE_V1))
    mesh.json("register", trades, mesh.file("v2.avsc", TRADE_V2))
    quote_schema = json.dumps(
        {"type": "object", "properties": {"bid": {"type": "number"}}, "additionalProperties": False}
    )
    mesh.json("register", quotes, mesh.file("quote.json", quote_schema))

    by_subject = {row["subject"]: row for row in mesh.json("list")}
    assert by_subject[trades]["version"] == 2
    assert by_subject[trades]["schema_type"] == "AVRO"
    assert by_subject[quotes]["schema_type"] == "JSON"
    assert [row["subject"] for row in mesh.json("list", "--prefix", quotes)] == [quotes]
    table = mesh.run("list")
    assert trades in table.stdout and "JSON" in table.stdout

    shown = mesh.json("show", trades, "--version", "1")
    assert (shown["version"], shown["id"]) == (1, registered["id"])
    assert json.loads(shown["schema"]) == json.loads(TRADE_V1)
    text = mesh.run("show", trades)
    assert text.exit_code == 0, text.stderr
    assert "version     2" in text.stdout
    assert '\n      "name": "venue",\n' in text.stdout, "the schema is pretty-printed"


def test_diff_reports_both_directions_and_a_text_diff(mesh: Mesh) -> None:
    subject = mesh.subject("trades")
    mesh.json("config", subject, "--set", "backward")
    mesh.json("register", subject, mesh.file("v1.avsc", TRADE_V1))
    mesh.json("register", subject, mesh.file("v2.avsc", TRADE_WITHOUT_PRICE))

    report = mesh.json("diff", subject, "1", "2")

    assert report["backward"] == {"compatible": True, "incompatibilities": []}
    assert report["forward"]["compatible"] is False
    [problem] = report["forward"]["incompatibilities"]
    assert (problem["path"], problem["rule"]) == (
        "/fields/price",
        "READER_FIELD_MISSING_DEFAULT_VALUE",
    )
    assert '-      "name": "price",' in report["diff"]
    assert '+      "name": "venue",' in report["diff"]
    text = mesh.run("diff", subject, "1", "latest")
    assert "BACKWARD (version 2 reads data written with 1): compatible" in text.stdout
    assert "FORWARD (version 1 reads data written with 2): incompatible" in text.stdout
    assert f"--- {subject} version 1" in text.stdout


def test_check_exits_0_when_compatible_and_1_with_the_list_otherwise(mesh: Mesh) -> None:
    subject = mesh.subject("trades")
    mesh.json("register", subject, mesh.file("v1.avsc", TRADE_V1))
    mesh.json("register", subject, mesh.file("v2.avsc", TRADE_V2))

    fine = mesh.run("check", subject, mesh.file("candidate.avsc", TRADE_V2))
    assert fine.exit_code == 0, fine.stderr
    assert "is compatible with subject" in fine.stdout

    broken = mesh.file("broken.avsc", TRADE_BROKEN)
    refused = mesh.run("check", subject, broken)
    assert refused.exit_code == 1
    assert "/fields/qty" in refused.stdout and "[TYPE_MISMATCH]" in refused.stdout
    assert "error: " in refused.stderr

    per_version = mesh.run("check", subject, broken, "--version", "all", "--json")
    assert per_version.exit_code == 1
    document = json.loads(per_version.stdout)
    assert document["compatible"] is False
    assert {p["version"] for p in document["incompatibilities"]} == {1, 2}
    assert mesh.json("list", "--prefix", subject)[0]["version"] == 2, "check registers nothing"


def test_config_reads_and_sets_the_level(mesh: Mesh) -> None:
    subject = mesh.subject("trades")
    assert mesh.json("config") == {
        "subject": None,
        "compatibility": "FULL_TRANSITIVE",
        "source": "global",
    }
    assert mesh.json("config", subject)["source"] == "global"
    inherited = mesh.run("config", subject)
    assert "has no level of its own" in inherited.stdout

    changed = mesh.run("config", subject, "--set", "forward")
    assert changed.exit_code == 0, changed.stderr
    assert mesh.json("config", subject) == {
        "subject": subject,
        "compatibility": "FORWARD",
        "source": "subject",
    }


def test_references(mesh: Mesh) -> None:
    money_subject, payment_subject = mesh.subject("money"), mesh.subject("payments")
    money = _avro("Money", [{"name": "units", "type": "long"}])
    mesh.json("register", money_subject, mesh.file("money.avsc", money))
    payment = _avro("Payment", [{"name": "amount", "type": "acme.Money"}])
    payment_file = mesh.file("payment.avsc", payment)

    unresolved = mesh.run("register", payment_subject, payment_file)
    assert unresolved.exit_code == 1
    assert "acme.Money" in unresolved.stderr

    reference = f"acme.Money={money_subject}:1"
    registered = mesh.json("register", payment_subject, payment_file, "--reference", reference)
    shown = mesh.json("show", payment_subject)
    assert shown["id"] == registered["id"]
    assert shown["references"] == [{"name": "acme.Money", "subject": money_subject, "version": 1}]


def test_errors_are_one_line_and_change_nothing(mesh: Mesh) -> None:
    subject = mesh.subject("trades")

    missing = mesh.run("register", subject, str(mesh.files / "absent.avsc"))
    assert missing.exit_code != 0
    assert missing.stderr.count("\n") == 1
    assert "absent.avsc: no such file" in missing.stderr

    unparsable = mesh.file("typo.avsc", _avro("Trade", [{"name": "symbol", "type": "strin"}]))
    invalid = mesh.run("register", subject, unparsable)
    assert invalid.exit_code != 0
    assert invalid.stderr.count("\n") == 1
    assert "typo.avsc: invalid AVRO schema at /fields/0/type" in invalid.stderr

    unknown_type = mesh.run("register", subject, mesh.file("trade.txt", TRADE_V1))
    assert unknown_type.exit_code != 0
    assert "pass --type" in unknown_type.stderr

    unknown = mesh.run("show", subject)
    assert unknown.exit_code != 0
    assert unknown.stderr == f"error: subject '{subject}' not found\n"
    assert mesh.json("list", "--prefix", subject) == []


def test_server_without_a_token_is_refused_before_anything_is_sent(
    server: StreammeshServer, tmp_path: Path
) -> None:
    refused = invoke_cli("schemas", "list", "--server", server.url)
    assert refused.exit_code == 2
    assert "--token" in refused.stderr and "STREAMMESH_TOKEN" in refused.stderr

    wrong = invoke_cli("schemas", "list", "--server", server.url, "--token", "sm_wrong")
    assert wrong.exit_code == 1
    assert "refused the token" in wrong.stderr
