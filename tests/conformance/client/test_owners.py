"""Domains and teams through the SDK's mesh client, in-process and remote alike."""

from __future__ import annotations

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
