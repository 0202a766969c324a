"""The data-product workflow end to end, on the embedded default and on Kafka + PostgreSQL.

``init`` → ``validate`` → ``plan`` → ``apply`` (twice: the second changes nothing) → produce and
consume through the SDK → search → a compatible schema change → an incompatible one refused
→ version 2 side by side, linked as the replacement → ``deprecate`` → ``retire``; with bad
descriptors and bad events refused without changing anything.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streammesh.audit import MESH_EVENTS_TOPIC, AuditAction, read_mesh_events
from streammesh.control import NotAcceptingConsumers, PlanRefused, ProductNotFound
from streammesh.log.base import ConsumerOptions
from streammesh.log.errors import TopicNotFound
from streammesh.products.descriptor import Status
from streammesh.products.errors import DescriptorInvalid
from streammesh.products.lifecycle import ConsumersActive
from streammesh.sdk import InProcessMesh, InvalidEvent, Mesh
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS
from tests.unit.cli.invoking import invoke_cli

_counter = itertools.count()
KAFKA_CONSUMER = ConsumerOptions(
    session_timeout_ms=GROUP_SESSION_TIMEOUT_MS, heartbeat_interval_ms=GROUP_HEARTBEAT_INTERVAL_MS
)


@dataclass(frozen=True)
class Backend:
    name: str
    log_url: str | None
    store_url: str | None
    consumer_options: ConsumerOptions | None


@pytest.fixture(params=["embedded", pytest.param("kafka+postgres", marks=pytest.mark.kafka)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "embedded":
        return Backend("embedded", None, None, None)
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    store = request.getfixturevalue("migrated_postgres_url")
    return Backend("kafka+postgres", f"kafka://{bootstrap}", store, KAFKA_CONSUMER)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "mesh"
    home.mkdir()
    # Retirement needs no notice period here; consumers stay active for a day.
    (home / "mesh.yaml").write_text(
        "lifecycle:\n  min_deprecated_before_retire: 0d\nconsumers:\n  active_window: 1d\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("STREAMMESH_HOME", str(home))
    monkeypatch.delenv("STREAMMESH_LOG", raising=False)
    monkeypatch.delenv("STREAMMESH_STORE", raising=False)
    return home


@pytest.fixture
def mesh(home: Path, backend: Backend) -> Iterator[InProcessMesh]:
    with Mesh.open(home, log_url=backend.log_url, store_url=backend.store_url, actor="alice") as m:
        yield m


@pytest.fixture
def domain() -> str:
    # Topics live on a broker shared by the session: a fresh domain per test keeps them apart.
    return f"shop{next(_counter)}{uuid.uuid4().hex[:6]}"


def scaffold(tmp_path: Path, domain: str) -> Path:
    result = invoke_cli("init", domain, "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    return tmp_path / "repo" / domain


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_field(schema: Path, field: dict[str, Any]) -> None:
    document = json.loads(schema.read_text(encoding="utf-8"))
    document["fields"].append(field)
    schema.write_text(json.dumps(document, indent=2), encoding="utf-8")


def order(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "orders_id": f"o-{number}",
        "customer_email": f"c{number}@example.com",
        "status": "placed",
        "updated_at": datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        **extra,
    }


def actions(mesh: InProcessMesh) -> list[AuditAction]:
    """The audit trail of this mesh (its store; the Kafka broker is shared by the session)."""
    return [record.action for record in mesh.local.plane.audit.entries(limit=1000)]


def relayed(mesh: InProcessMesh, domain: str) -> list[AuditAction]:
    """The events about ``domain`` on ``_mesh.events``."""
    events = read_mesh_events(mesh.local.log, max_events=100_000)
    return [event.action for event in events if domain in event.subject]


def test_from_init_to_retire(
    tmp_path: Path, mesh: InProcessMesh, backend: Backend, domain: str
) -> None:
    folder = scaffold(tmp_path, domain)
    descriptor, schema = folder / "orders.yaml", folder / "orders.avsc"
    product = f"{domain}.orders"
    edit(descriptor, "status: draft", "status: published")

    # validate: the scaffold is a valid product
    checked = invoke_cli("validate", str(folder), "--offline")
    assert checked.exit_code == 0, checked.stdout

    # plan: everything to create; nothing exists yet
    plan = mesh.plan([folder])
    assert not plan.errors
    created = {
        (c.resource.value, c.target)
        for p in plan.products
        for c in p.changes
        if c.action.value == "create"
    }
    assert ("topic", f"{product}.v1") in created
    assert ("schema", f"{product}.v1-value") in created
    with pytest.raises(ProductNotFound):
        mesh.product(product)

    # apply, then apply again: the second run changes nothing and records nothing
    applied = mesh.apply([folder])
    assert applied.applied == (f"{product}.v1",)
    record = mesh.product(product)
    assert record.status is Status.PUBLISHED
    assert mesh.local.log.describe_topic(f"{product}.v1").partitions == 4
    events_after_first = actions(mesh)
    assert AuditAction.PRODUCT_PUBLISHED in events_after_first
    again = mesh.apply([folder])
    assert again.applied == () and not again.has_changes
    assert actions(mesh) == events_after_first

    # produce and consume through the SDK; a bad event is refused and nothing is written
    with mesh.producer(product) as producer:
        for number in range(20):
            producer.send(order(number))
    with mesh.producer(product) as producer, pytest.raises(InvalidEvent, match="updated_at"):
        producer.send_many([order(100), {**order(101), "updated_at": "yesterday"}])
    with mesh.consumer(product, "billing", options=backend.consumer_options) as consumer:
        received = consumer.take(20, timeout=30)
    assert sorted(event.value["orders_id"] for event in received) == sorted(
        f"o-{n}" for n in range(20)
    )
    assert all(event.key == event.value["orders_id"] for event in received)
    assert "o-100" not in {event.value["orders_id"] for event in received}
    consumers = mesh.applications(product)
    assert [(app.name, active) for app, active in consumers] == [("billing", True)]

    # search finds it by a schema field name and by its description
    assert [hit.name for hit in mesh.search("customer_email").hits] == [product]
    assert mesh.search(domain).facets

    # a compatible change (a new optional field) is a new schema version of v1
    add_field(schema, {"name": "channel", "type": ["null", "string"], "default": None})
    compatible = mesh.apply([folder])
    assert compatible.applied == (f"{product}.v1",)
    assert mesh.product(product).schema_version == 2

    # an incompatible change (a field's type) is refused with each incompatibility listed
    edit(
        schema,
        '"name": "status",\n      "type": "string"',
        '"name": "status",\n      "type": "int"',
    )
    with pytest.raises(PlanRefused) as refused:
        mesh.apply([folder])
    problem = refused.value.problems[0]
    assert problem.rule == "compatibility.incompatible"
    assert any("status" in line for line in problem.details)
    assert "version: 2" in problem.hint
    assert mesh.product(product).schema_version == 2  # nothing changed

    # ... and published as version 2, it runs side by side and replaces v1
    edit(descriptor, "version: 1 ", "version: 2 ")
    mesh.apply([folder])
    v1, v2 = mesh.product(f"{product}.v1"), mesh.product(f"{product}.v2")
    assert v1.replaced_by == f"{product}.v2"
    assert v2.status is Status.PUBLISHED and mesh.product(product).version == 2
    mesh.local.log.describe_topic(f"{product}.v1")  # both topics live
    mesh.local.log.describe_topic(f"{product}.v2")

    # deprecate v1: hidden from default search, no new consumers, old ones keep reading
    sunset = date.today() + timedelta(days=60)
    mesh.deprecate(
        f"{product}.v1", reason="moved to v2", sunset=sunset, replacement=f"{product}.v2"
    )
    assert [hit.version for hit in mesh.search("customer_email").hits] == [2]
    with pytest.raises(NotAcceptingConsumers, match=f"{product}.v2"):
        mesh.consumer(f"{product}.v1", "newcomer", options=backend.consumer_options)
    mesh.consumer(f"{product}.v1", "billing", options=backend.consumer_options).close()

    # retire is refused while billing is active, and allowed when forced, which is recorded
    with pytest.raises(ConsumersActive):
        mesh.retire(f"{product}.v1")
    retired = mesh.retire(f"{product}.v1", force=True)
    assert retired.status is Status.RETIRED and retired.forced_by == "alice"
    with pytest.raises(TopicNotFound):
        mesh.local.log.describe_topic(f"{product}.v1")
    assert mesh.product(product).version == 2
    trail = actions(mesh)
    assert trail.count(AuditAction.PRODUCT_DEPRECATED) == 1
    assert trail[-1] is AuditAction.PRODUCT_RETIRED
    assert mesh.local.log.describe_topic(MESH_EVENTS_TOPIC).partitions == 1
    assert relayed(mesh, domain) == trail


def test_bad_descriptor_changes_nothing(tmp_path: Path, mesh: InProcessMesh, domain: str) -> None:
    folder = scaffold(tmp_path, domain)
    edit(folder / "orders.yaml", "kind: state", "kind: stat")
    edit(folder / "orders.yaml", "partitions: s ", "partitions: q ")
    with pytest.raises(DescriptorInvalid) as invalid:
        mesh.apply([folder])
    fields = {problem.path for problem in invalid.value.problems}
    assert {"kind", "partitions"} <= fields
    assert mesh.products() == []
    assert actions(mesh) == []
