"""Domains and teams through the SDK's mesh client, in-process and remote alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.control import InvalidProductSource
from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique


def test_a_registered_domain_and_team_are_listed(client: MeshClient) -> None:
    domain = unique("dom")
    team = unique("team")
    client.register_domain(domain, description="Test domain.")
    client.register_team(team, domain=domain, email="team@example.com")
    assert domain in {record.name for record in client.domains()}
    teams = client.teams(domain=domain)
    assert [record.name for record in teams] == [team]
    assert teams[0].email == "team@example.com"


def test_a_plan_of_a_missing_path_is_refused_alike(client: MeshClient, workspace: Path) -> None:
    missing = workspace / "nowhere"
    with pytest.raises(InvalidProductSource, match="nowhere") as refused:
        client.plan([missing])
    assert refused.value.origin == str(missing)
