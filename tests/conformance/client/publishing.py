"""A published product of a new domain, applied through the client under test (for the lineage
and monitoring tests)."""

from __future__ import annotations

import json
from pathlib import Path

from streammesh.sdk import MeshClient
from tests.conformance.client.conftest import unique

_SCHEMA = {
    "type": "record",
    "name": "Reading",
    "fields": [
        {"name": "id", "type": "string", "doc": "Identifier."},
        {"name": "value", "type": "double", "doc": "The reading."},
    ],
}


def publish_product(client: MeshClient, directory: Path, *, sla: str = "{tier: 2}") -> str:
    """Apply a published ``<new domain>.readings`` (one partition) with the ``sla`` given;
    answers its name."""
    domain, team = unique("obs"), unique("team")
    client.register_domain(domain)
    client.register_team(team, domain=domain, email=f"{team}@example.com")
    name = f"{domain}.readings"
    (directory / "readings.avsc").write_text(json.dumps(_SCHEMA), encoding="utf-8")
    (directory / "readings.yaml").write_text(
        f"name: {name}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: Readings for lineage and monitoring tests.\n"
        "alignment: source\n"
        "kind: measurement\n"
        "key: {field: id, type: string}\n"
        "schema: readings.avsc\n"
        "partitions: xs\n"
        f"sla: {sla}\n"
        "status: published\n",
        encoding="utf-8",
    )
    client.apply([directory])
    return name
