"""Custom rules registered under the ``streammesh.policies`` entry point group: a real
distribution (a ``.dist-info`` with ``entry_points.txt``) on ``sys.path``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.governance import (
    CustomRuleUnavailable,
    PolicyFinding,
    custom_rules,
    evaluate,
)
from streammesh.products.loading import parse_descriptor

RULE_MODULE = """
from streammesh.governance import FindingSeverity, PolicyFinding


def owner_is_a_team_address(context):
    owner = context.descriptor.owner.email
    if not owner.startswith("team-"):
        yield PolicyFinding(
            "acme.owner-team-address",
            FindingSeverity.ERROR,
            context.product,
            "owner.email",
            f"owner e-mail '{owner}' is a person's",
            "use the team's address, e.g. team-trading@example.com",
        )


def broken(context):
    raise ValueError("boom")
"""

DESCRIPTOR = """\
name: execution.trades
owner: {name: Ada Lovelace, email: ada@example.com}
team: execution-team
description: Executed trades.
alignment: source
kind: measurement
key: {field: trade_id, type: string}
schema: trades.avsc
sla: {tier: 2}
"""


def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_points: str) -> None:
    """A distribution ``acme-policies`` with ``entry_points`` under ``streammesh.policies``."""
    (tmp_path / "acme_policies.py").write_text(RULE_MODULE, encoding="utf-8")
    info = tmp_path / "acme_policies-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-policies\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[streammesh.policies]\n{entry_points}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.fixture(autouse=True)
def _forget_module() -> Iterator[None]:
    yield
    sys.modules.pop("acme_policies", None)


def test_a_registered_rule_runs_with_the_built_in_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    descriptor = parse_descriptor(DESCRIPTOR, source="trades.yaml")
    assert custom_rules() == ()
    assert evaluate(descriptor) == []

    install(tmp_path, monkeypatch, "owner-team = acme_policies:owner_is_a_team_address")
    (rule,) = custom_rules()
    assert rule.name == "owner-team"
    (finding,) = evaluate(descriptor)
    assert finding == PolicyFinding(
        "acme.owner-team-address",
        finding.severity,
        "execution.trades.v1",
        "owner.email",
        "owner e-mail 'ada@example.com' is a person's",
        "use the team's address, e.g. team-trading@example.com",
    )
    assert finding.is_error


def test_a_rule_that_raises_becomes_an_error_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(tmp_path, monkeypatch, "broken = acme_policies:broken")
    (finding,) = evaluate(parse_descriptor(DESCRIPTOR, source="trades.yaml"))
    assert finding.rule == "policy.custom-failed"
    assert "'broken'" in finding.message and "boom" in finding.message


def test_an_entry_point_that_cannot_be_loaded_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(tmp_path, monkeypatch, "missing = acme_policies:no_such_function")
    with pytest.raises(CustomRuleUnavailable, match="'missing'"):
        custom_rules()
