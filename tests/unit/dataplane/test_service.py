"""``DataPlane``: the grant check, field protection and group registration every producer and
consumer of the mesh goes through (the SDK, the REST routes and the UI all call it).

A real embedded mesh opened by ``MeshRuntime`` on a temporary directory, with ``sales.orders``
(``customer_email`` is PII, so governance encrypts it) owned by ``sales-team``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streammesh.access import AccessDenied, Caller, EventsNotReadable, ReadBasis
from streammesh.config import MeshConfig
from streammesh.control import ApplicationRole, ConsumerGroupTaken
from streammesh.dataplane import DataPlane, InvalidEvent, ProductEvent
from streammesh.identity import AccountKind, Role
from streammesh.log import TopicPartition
from streammesh.privacy import MASK_TEXT
from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh
from tests.unit.cli.invoking import invoke_cli

PRODUCT = "sales.orders"
ADMIN = Caller("admin", Role.PLATFORM_ADMIN)
WRITER = "orders-ingest"
"""A service account of the owning team."""
OUTSIDER = "ledger-app"
"""A service account of another team."""


def order(number: int) -> dict[str, Any]:
    return {
        "orders_id": f"o-{number}",
        "customer_email": f"user{number}@example.com",
        "status": "placed",
        "updated_at": datetime(2026, 11, 23, tzinfo=UTC),
    }


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    descriptor = tmp_path / "repo" / "sales" / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text().replace("status: draft", "status: published"), encoding="utf-8"
    )
    with MeshRuntime.open(MeshConfig.load(tmp_path / "mesh")) as runtime:
        InProcessMesh(runtime, actor="owner").apply([tmp_path / "repo" / "sales"])
        runtime.plane.register_team(
            "finance-team", domain=None, email=None, description=None, actor="admin"
        )
        for name, team in ((WRITER, "sales-team"), (OUTSIDER, "finance-team")):
            runtime.access.create_account(
                name, AccountKind.SERVICE_ACCOUNT, team=team, description="", actor="admin"
            )
        yield runtime


def grant(runtime: MeshRuntime, application: str, *, classified: bool) -> None:
    request = runtime.access.request(
        PRODUCT, application, purpose="reports", classified=classified, caller=ADMIN
    )
    runtime.access.approve(request.id, caller=ADMIN)


def written(runtime: MeshRuntime) -> int:
    topic = runtime.plane.product(PRODUCT).topic
    return sum(runtime.log.describe_topic(topic).end_offsets.values())


def read_all(data: DataPlane, group: str, reader: Caller | None, actor: str) -> list[ProductEvent]:
    with data.consumer(PRODUCT, group, reader=reader, actor=actor) as consumer:
        return consumer.take(3, timeout=10)


def emails(events: list[ProductEvent]) -> list[str]:
    return sorted(event.value["customer_email"] for event in events if event.value is not None)


def test_only_a_service_account_of_the_owning_team_writes(mesh: MeshRuntime) -> None:
    data = mesh.data
    with pytest.raises(AccessDenied, match=f"'{OUTSIDER}' may not write to 'sales.orders.v1'"):
        data.produce(PRODUCT, [order(0)], principal=OUTSIDER)
    with pytest.raises(AccessDenied) as refused:
        data.producer(PRODUCT, principal=OUTSIDER)
    assert refused.value.write
    assert written(mesh) == 0

    produced = data.produce(PRODUCT, [order(n) for n in range(3)], principal=WRITER)
    assert (produced.product, produced.accepted) == ("sales.orders.v1", 3)
    assert written(mesh) == 3
    events = read_all(data, "check", None, "owner")
    by_id = {event.value["orders_id"]: event.partition for event in events if event.value}
    assert [by_id[f"o-{n}"] for n in range(3)] == list(produced.partitions)


def test_a_batch_with_one_invalid_event_writes_nothing(mesh: MeshRuntime) -> None:
    bad = {**order(1), "status": 7}
    with pytest.raises(InvalidEvent, match="event #1: field 'status'"):
        mesh.data.produce(PRODUCT, [order(0), bad, order(2)], principal=WRITER)
    assert written(mesh) == 0


def test_classified_fields_are_in_clear_only_through_a_grant_that_includes_them(
    mesh: MeshRuntime,
) -> None:
    data = mesh.data
    data.produce(PRODUCT, [order(n) for n in range(3)], principal=WRITER)
    # On the log the field is encrypted: a reader without the key never sees it.
    reader = Caller(OUTSIDER, Role.CONSUMER)
    with pytest.raises(AccessDenied, match=f"'{OUTSIDER}' has no access grant"):
        data.consumer(PRODUCT, "ledger", reader=reader, actor=OUTSIDER)

    grant(mesh, OUTSIDER, classified=False)
    assert emails(read_all(data, "ledger", reader, OUTSIDER)) == [MASK_TEXT] * 3
    grant(mesh, OUTSIDER, classified=True)
    clear = [f"user{n}@example.com" for n in range(3)]
    assert emails(read_all(data, "ledger-clear", reader, OUTSIDER)) == clear

    # A platform admin without a grant operates the stream but sees no classified data; the
    # operator in process holds the mesh's keys.
    assert emails(read_all(data, "support", ADMIN, ADMIN.name)) == [MASK_TEXT] * 3
    assert emails(read_all(data, "operator", None, "owner")) == clear


def test_a_consumer_group_is_registered_to_the_principal_that_opened_it(
    mesh: MeshRuntime,
) -> None:
    data = mesh.data
    grant(mesh, OUTSIDER, classified=False)
    grant(mesh, WRITER, classified=False)
    data.consumer(PRODUCT, "ledger", reader=Caller(OUTSIDER, Role.CONSUMER), actor=OUTSIDER).close()

    registered = {app.name: app for app, _active in mesh.plane.applications(PRODUCT)}
    ledger = registered["ledger"]
    assert (ledger.role, ledger.group, ledger.principal) == (
        ApplicationRole.CONSUMER,
        "ledger",
        OUTSIDER,
    )
    with pytest.raises(ConsumerGroupTaken) as taken:
        data.consumer(PRODUCT, "ledger", reader=Caller(WRITER, Role.CONSUMER), actor=WRITER)
    assert (taken.value.owner, taken.value.principal) == (OUTSIDER, WRITER)


def test_a_sample_is_read_without_a_group_as_the_reader_may_see_it(mesh: MeshRuntime) -> None:
    data = mesh.data
    data.produce(PRODUCT, [order(n) for n in range(5)], principal=WRITER)

    with pytest.raises(EventsNotReadable):
        data.sample(PRODUCT, reader=Caller(OUTSIDER, Role.CONSUMER), limit=10)
    team = data.sample(PRODUCT, reader=Caller(WRITER, Role.MEMBER), limit=2)
    assert team.reading.basis is ReadBasis.TEAM
    assert [event.value["customer_email"] for event in team.events if event.value] == [
        MASK_TEXT
    ] * 2

    grant(mesh, OUTSIDER, classified=True)
    granted = data.sample(PRODUCT, reader=Caller(OUTSIDER, Role.CONSUMER), limit=10)
    assert granted.reading.basis is ReadBasis.GRANT
    assert emails(list(granted.events)) == [f"user{n}@example.com" for n in range(5)]
    # Looking registers no application and moves no group's offsets.
    assert mesh.plane.applications(PRODUCT) == []
    stats = data.stats(PRODUCT)
    assert (stats.product, stats.total_events, stats.events_last_minute) == (
        "sales.orders.v1",
        5,
        5,
    )


def test_an_encoder_and_a_decoder_write_and_read_as_producers_and_consumers_do(
    mesh: MeshRuntime,
) -> None:
    """A writer with its own log producer (a connector in its transactions) encodes events
    as the data plane's producer would; a reader seeking itself decodes per its grant."""
    data = mesh.data
    with pytest.raises(AccessDenied):
        data.encoder(PRODUCT, principal=OUTSIDER)
    encoder = data.encoder(PRODUCT, principal=WRITER)
    with pytest.raises(InvalidEvent, match="field 'status'"):
        encoder.encode({**order(0), "status": 7})
    encoded = encoder.encode(order(0))
    assert b"user0@example.com" not in encoded.value  # encrypted into a header
    topic = mesh.plane.product(PRODUCT).topic
    with mesh.log.producer() as producer:
        producer.send(topic, encoded.value, key=encoded.key, headers=encoded.headers)
    reader = Caller(OUTSIDER, Role.CONSUMER)
    with pytest.raises(AccessDenied):
        data.decoder(PRODUCT, reader=reader, actor=OUTSIDER)
    grant(mesh, OUTSIDER, classified=False)
    masked = data.decoder(PRODUCT, reader=reader, actor=OUTSIDER)
    grant(mesh, OUTSIDER, classified=True)
    clear = data.decoder(PRODUCT, reader=reader, actor=OUTSIDER)
    with mesh.log.consumer() as consumer:
        consumer.assign([TopicPartition(topic, p) for p in range(written_partitions(mesh))])
        records = consumer.poll(5.0)
    assert len(records) == 1
    assert emails([masked.event(records[0])]) == [MASK_TEXT]
    event = clear.event(records[0])
    assert emails([event]) == ["user0@example.com"]
    assert (event.key, event.schema_id) == ("o-0", encoder.schema_id)


def written_partitions(runtime: MeshRuntime) -> int:
    return runtime.log.describe_topic(runtime.plane.product(PRODUCT).topic).partitions


def test_an_encoder_encodes_a_batch_naming_each_invalid_event_by_index(
    mesh: MeshRuntime,
) -> None:
    """What a REST produce does with its batch: every event encoded in one pass, the valid
    ones in order and each invalid one as a problem with its index and field path."""
    encoder = mesh.data.encoder(PRODUCT, principal=WRITER)
    without_key = {field: value for field, value in order(2).items() if field != "orders_id"}
    events: list[object] = [order(0), {**order(1), "status": 7}, without_key, ["o-3"], order(4)]
    encoded, problems = encoder.encode_batch(events)
    assert [(problem.index, problem.path) for problem in problems] == [
        (1, "status"),
        (2, "orders_id"),
        (3, ""),
    ]
    assert [key for key, _, _ in encoded] == [b"o-0", b"o-4"]
    assert all(b"@example.com" not in value for _, value, _ in encoded)  # encrypted
    assert all(headers for _, _, headers in encoded)
