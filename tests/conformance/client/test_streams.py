"""Stream applications through the SDK's mesh client (``mesh.streams``), in-process and remote
alike: deploy (placement ``server``), list, status, stop, start, reset, delete, and the same
error classes for a bad script, a missing grant and an unknown application.

Through the server the application is also hosted (``streammesh up`` runs it); the tests wait
for its instance to leave after a stop, which in-process is at once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from streammesh.identity import AccountKind
from streammesh.sdk import MeshClient
from streammesh.streams import (
    AppStatus,
    Desired,
    GrantMissing,
    Placement,
    SqlError,
    UnknownApplication,
)
from tests.conformance.client.conftest import unique

_SCHEMA = {
    "type": "record",
    "name": "Reading",
    "fields": [
        {"name": "id", "type": "string", "doc": "Identifier."},
        {"name": "value", "type": "double", "doc": "The reading."},
    ],
}


@dataclass(frozen=True)
class Setup:
    domain: str
    readings: str
    account: str
    sql: str


@pytest.fixture
def setup(client: MeshClient, tmp_path: Path) -> Setup:
    """A product ``<domain>.readings``, a service account of its team with a read grant, and a
    script publishing ``<domain>.high``."""
    domain, team, account = unique("str"), unique("team"), unique("sa")
    client.register_domain(domain)
    client.register_team(team, domain=domain, email=f"{team}@example.com")
    readings = f"{domain}.readings"
    (tmp_path / "readings.avsc").write_text(json.dumps(_SCHEMA), encoding="utf-8")
    (tmp_path / "readings.yaml").write_text(
        f"name: {readings}\n"
        "owner: {name: Ada Lovelace, email: ada@example.com}\n"
        f"team: {team}\n"
        "description: Readings for stream application tests.\n"
        "alignment: source\n"
        "kind: measurement\n"
        "key: {field: id, type: string}\n"
        "schema: readings.avsc\n"
        "partitions: xs\n"
        "sla: {tier: 2}\n"
        "status: published\n",
        encoding="utf-8",
    )
    client.apply([tmp_path])
    client.accounts.create(account, AccountKind.SERVICE_ACCOUNT, team=team)
    client.access.request(readings, account, purpose="stream tests")
    sql = (
        f"CREATE STREAM high WITH (product='{domain}.high') AS\n"
        f"  SELECT id, value FROM {readings} WHERE value > 10 EMIT CHANGES;\n"
    )
    return Setup(domain, readings, account, sql)


def _stopped(client: MeshClient, name: str) -> AppStatus:
    """The status once no instance is alive (the server's host leaves within seconds)."""
    deadline = time.monotonic() + 30
    while True:
        status = client.streams.status(name)
        if not status.instances or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


def test_the_lifecycle_of_a_deployed_application(client: MeshClient, setup: Setup) -> None:
    name = unique("app-")
    streams = client.streams
    deployed = streams.deploy(name, setup.sql, principal=setup.account)
    assert deployed.app.name == name and deployed.app.placement is Placement.SERVER
    assert deployed.app.desired is Desired.RUNNING and deployed.app.principal == setup.account
    assert deployed.app.sql == setup.sql and deployed.app.epoch == 0
    assert [query.sink for query in deployed.queries] == [f"{setup.domain}.high.v1"]
    assert deployed.queries[0].dead_letter_topic == f"{name}.dead-letter"
    assert name in [item.app.name for item in streams.applications()]

    stopped = streams.stop(name)
    assert stopped.app.desired is Desired.STOPPED and stopped.app.stopped_by
    assert _stopped(client, name).instances == ()
    reset = streams.reset(name)
    assert reset.app.epoch == 1 and reset.app.desired is Desired.STOPPED
    started = streams.start(name)
    assert started.app.desired is Desired.RUNNING and started.app.stopped_by is None
    streams.stop(name)
    _stopped(client, name)
    deleted = streams.delete(name)
    assert deleted.name == name and deleted.epoch == 1
    with pytest.raises(UnknownApplication):
        streams.status(name)


def test_explain_plans_without_deploying(client: MeshClient, setup: Setup) -> None:
    name = unique("plan-")
    document = client.streams.explain(setup.sql, name=name, principal=setup.account)
    assert document["application"] == name
    assert document["inputs"] == [f"{setup.readings}.v1"]
    assert document["outputs"] == [f"{setup.domain}.high.v1"]
    [query] = document["queries"]
    assert query["runs"] and query["sink"]["topic"] == f"{setup.domain}.high.v1"
    assert f"{name}.dead-letter" in query["internal_topics"]
    assert name not in [item.app.name for item in client.streams.applications()]


def test_refusals_are_the_same_errors(client: MeshClient, setup: Setup) -> None:
    streams = client.streams
    bad = setup.sql.replace("WHERE value > 10", "WHERE > 10")
    with pytest.raises(SqlError) as refused:
        streams.deploy(unique("bad-"), bad, principal=setup.account)
    line, column = refused.value.line, refused.value.column
    assert line == 2 and column > 1
    assert refused.value.excerpt.splitlines()[0] == bad.splitlines()[1]
    assert refused.value.excerpt.splitlines()[1] == " " * (column - 1) + "^"
    assert str(refused.value).startswith(f"line 2:{column}:")

    other, team = unique("sa"), unique("team")
    client.register_team(team, domain=setup.domain, email=f"{team}@example.com")
    client.accounts.create(other, AccountKind.SERVICE_ACCOUNT, team=team)
    with pytest.raises(GrantMissing, match=f"'{other}' has no read grant") as missing:
        streams.deploy(unique("nogrant-"), setup.sql, principal=other)
    assert missing.value.principal == other and not missing.value.write

    name = unique("known-")
    streams.deploy(name, setup.sql, principal=setup.account)
    with pytest.raises(UnknownApplication, match=f"did you mean '{name}'"):
        streams.stop(f"{name}x")
    assert name in [item.app.name for item in streams.applications()]
    names = [item.app.name for item in streams.applications()]
    assert not any(item.startswith(("bad-", "nogrant-")) for item in names)
    streams.stop(name)
