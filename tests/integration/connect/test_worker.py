"""The connector worker on a real embedded mesh, with the contract's test doubles
(``worker_doubles``): sources write exactly once with their positions, dead letters, schema
evolution through the product's rule, grants, sinks resuming from the offsets they stored,
lineage, and credentials never shown.

The mesh has ``sales.orders`` (from ``streammesh init sales``: a state product keyed by
``orders_id``, ``customer_email`` PII and so encrypted) and ``sales.returns`` (the same
contract), owned by ``sales-team``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyiceberg.catalog.sql import SqlCatalog

from streammesh.access import Caller
from streammesh.config import MeshConfig
from streammesh.connect import (
    ConnectorRefused,
    WorkerOptions,
    kind_names,
    parse_definition,
    unregister_kind,
)
from streammesh.control import ApplicationRole
from streammesh.identity import AccountKind, Role
from streammesh.log import ConsumerOptions, IsolationLevel, Record, TopicPartition
from streammesh.privacy import MASK_TEXT
from streammesh.runtime import MeshRuntime
from streammesh.sdk import InProcessMesh
from tests.integration.connect import worker_doubles
from tests.unit.cli.invoking import invoke_cli

WRITER = "orders-ingest"
"""A service account of the owning team."""
OUTSIDER = "ledger-app"
"""A service account of another team."""
ADMIN = Caller("admin", Role.PLATFORM_ADMIN)
FAST = WorkerOptions(poll_timeout_s=0.05, flush_interval_s=0.2)


@pytest.fixture(autouse=True)
def _doubles() -> Iterator[None]:
    worker_doubles.register()
    yield
    unregister_kind("test-counter")
    unregister_kind("test-landing")


def make_repo(tmp_path: Path) -> Path:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "repo" / "sales"
    orders = folder / "orders.yaml"
    orders.write_text(orders.read_text().replace("status: draft", "status: published"))
    returns = orders.read_text().replace("name: sales.orders", "name: sales.returns")
    (folder / "returns.yaml").write_text(returns.replace("orders.avsc", "returns.avsc"))
    schema = json.loads((folder / "orders.avsc").read_text())
    (folder / "returns.avsc").write_text(json.dumps({**schema, "name": "Returns"}))
    return folder


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[MeshRuntime]:
    folder = make_repo(tmp_path)
    with MeshRuntime.open(MeshConfig.load(tmp_path / "mesh")) as runtime:
        InProcessMesh(runtime, actor="owner").apply([folder])
        runtime.plane.register_team(
            "finance-team", domain=None, email=None, description=None, actor="admin"
        )
        for name, team in ((WRITER, "sales-team"), (OUTSIDER, "finance-team")):
            runtime.access.create_account(
                name, AccountKind.SERVICE_ACCOUNT, team=team, description="", actor="admin"
            )
        yield runtime


def counter(name: str = "orders-counter", principal: str = WRITER, **config: Any) -> str:
    return json.dumps(
        {"name": name, "kind": "test-counter", "principal": principal, "config": config}
    )


def read_topic(runtime: MeshRuntime, topic: str) -> list[Record]:
    """Every committed record of ``topic``."""
    partitions = runtime.log.describe_topic(topic).partitions
    options = ConsumerOptions(auto_commit=False, isolation_level=IsolationLevel.READ_COMMITTED)
    found: list[Record] = []
    with runtime.log.consumer(options) as consumer:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(tps)
        ends = consumer.end_offsets(tps)
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            found.extend(consumer.poll(0.5))
    return found


def order_numbers(runtime: MeshRuntime, product: str = "sales.orders") -> list[int]:
    decoder = runtime.data.decoder(product, reader=None, actor="test")
    topic = runtime.plane.product(product).topic
    events = [decoder.event(record) for record in read_topic(runtime, topic)]
    return sorted(int(str(event.key).removeprefix("o-")) for event in events)


def dead_letters(runtime: MeshRuntime, name: str) -> list[dict[str, Any]]:
    return [
        json.loads(record.value or b"null") for record in read_topic(runtime, f"{name}.dead-letter")
    ]


def run_until(worker: Any, done: Any) -> None:
    worker.run(lambda: done(worker.progress()))


def test_a_source_writes_each_change_once_with_its_position_and_dead_letters(
    mesh: MeshRuntime,
) -> None:
    definition = parse_definition(counter(total=60, batch=7, invalid_every=7, dead_every=11))
    with mesh.connect.worker(definition, FAST) as worker:
        run_until(worker, lambda p: p.position == {"n": 60})
        progress = worker.progress()

    refused = {n for n in range(1, 61) if n % 7 == 0 or n % 11 == 0}
    assert order_numbers(mesh) == [n for n in range(1, 61) if n not in refused]
    assert (progress.records_out, progress.dead_letters) == (60 - len(refused), len(refused))
    letters = dead_letters(mesh, "orders-counter")
    invalid = [letter for letter in letters if letter["raw"].get("key")]
    assert sorted(letter["raw"]["key"] for letter in invalid) == [
        f"o-{n}" for n in sorted(range(7, 61, 7), key=lambda n: f"o-{n}")
    ]
    assert all("field 'status'" in letter["reason"] for letter in invalid)
    handed = sorted(letter["raw"]["n"] for letter in letters if "n" in letter["raw"])
    assert handed == [11, 22, 33, 44, 55]
    offsets = read_topic(mesh, "orders-counter.offsets")
    assert json.loads(offsets[-1].value or b"") == {"position": {"n": 60}}
    # Classified fields are encrypted on the log, as the data plane's producers write them.
    raw = read_topic(mesh, mesh.plane.product("sales.orders").topic)
    assert not any(b"@example.com" in (record.value or b"") for record in raw)
    # Lineage: the connector is a producer application of the product.
    apps = mesh.plane.applications("sales.orders")
    assert [(app.name, app.role) for app, _ in apps] == [
        ("orders-counter", ApplicationRole.PRODUCER)
    ]
    # ... and reads the source's tables: dataset -> connector -> product in the graph.
    edges = {(edge.source, edge.target, edge.kind.value) for edge in mesh.lineage.graph().edges}
    assert (
        "dataset:connect:test-counter/table-sales.orders",
        "application:orders-counter",
        "reads-from",
    ) in edges
    assert ("application:orders-counter", "product:sales.orders.v1", "produces") in edges

    # Restarted, it resumes after its last committed position: nothing twice.
    again = parse_definition(counter(total=80, batch=7))
    with mesh.connect.worker(again, FAST) as worker:
        run_until(worker, lambda p: p.position == {"n": 80})
    assert order_numbers(mesh) == [n for n in range(1, 81) if n not in refused]


def test_a_source_without_the_right_to_write_is_refused_naming_it(mesh: MeshRuntime) -> None:
    definition = parse_definition(counter(principal=OUTSIDER))
    worker = mesh.connect.worker(definition, FAST)
    with pytest.raises(ConnectorRefused, match=f"'{OUTSIDER}' may not write to 'sales.orders.v1'"):
        worker.run(lambda: False)
    worker.close()
    assert worker.progress().state == "failed"
    assert order_numbers(mesh) == []


def test_a_refused_schema_change_stops_that_product_and_the_others_go_on(
    mesh: MeshRuntime,
) -> None:
    base = json.loads(mesh.registry.schema(mesh.plane.product("sales.orders").schema_id).schema)
    amount = {"name": "amount", "type": "long"}  # no default: old events cannot be read
    note = {"name": "note", "type": ["null", "string"], "default": None}
    schemas = {
        "sales.orders": json.dumps({**base, "fields": [*base["fields"], amount]}),
        "sales.returns": json.dumps({**base, "name": "Returns", "fields": [*base["fields"], note]}),
    }
    definition = parse_definition(
        counter(
            products=["sales.orders", "sales.returns"],
            total=20,
            batch=5,
            schemas=schemas,
            extra={"note": "checked"},
        )
    )
    with mesh.connect.worker(definition, FAST) as worker:
        run_until(worker, lambda p: p.position == {"n": 20})
        progress = worker.progress()

    assert list(progress.stopped) == ["sales.orders"]
    assert "amount" in progress.stopped["sales.orders"]
    assert progress.last_error is not None and "table-sales.orders" in progress.last_error
    assert order_numbers(mesh, "sales.orders") == []
    assert order_numbers(mesh, "sales.returns") == list(range(1, 21, 2))
    letters = dead_letters(mesh, "orders-counter")
    assert sorted(letter["raw"]["key"] for letter in letters) == sorted(
        f"o-{n}" for n in range(2, 21, 2)
    )
    assert all(letter["stream"] == "table-sales.orders" for letter in letters)
    assert all("amount" in letter["reason"] for letter in letters)
    # The compatible change evolved sales.returns: a new schema version with the column.
    returns = mesh.plane.product("sales.returns")
    assert mesh.registry.versions(returns.contract.value_subject) == [1, 2]
    decoder = mesh.data.decoder("sales.returns", reader=None, actor="test")
    values = [decoder.event(r).value for r in read_topic(mesh, returns.topic)]
    assert {value["note"] for value in values if value is not None} == {"checked"}


def sink(principal: str, name: str = "orders-landing") -> str:
    return json.dumps(
        {
            "name": name,
            "kind": "test-landing",
            "principal": principal,
            "products": ["sales.orders"],
            "config": {},
        }
    )


def produce(mesh: MeshRuntime, numbers: range) -> None:
    events = [
        {
            "orders_id": f"o-{n}",
            "customer_email": f"user{n}@example.com",
            "status": "placed",
            "updated_at": 0,
        }
        for n in numbers
    ]
    mesh.data.produce("sales.orders", events, principal=WRITER)


def test_a_sink_lands_what_its_grant_shows_and_resumes_from_its_stored_offsets(
    mesh: MeshRuntime,
) -> None:
    definition = parse_definition(sink(OUTSIDER))
    with pytest.raises(ConnectorRefused, match=f"'{OUTSIDER}' has no access grant"):
        mesh.connect.worker(definition, FAST).start()
    request = mesh.access.request(
        "sales.orders", OUTSIDER, purpose="lake", classified=False, caller=ADMIN
    )
    mesh.access.approve(request.id, caller=ADMIN)
    produce(mesh, range(10))
    state = mesh.config.home / "connect" / "orders-landing" / "landed.json"

    with mesh.connect.worker(definition, FAST) as worker:
        run_until(worker, lambda p: p.records_in >= 10)
    first = worker_doubles.landed(state)["records"]
    assert sorted(record["key"] for record in first) == [f"o-{n}" for n in range(10)]
    assert {record["value"]["customer_email"] for record in first} == {MASK_TEXT}
    assert {record["schema_name"] for record in first} == {"Orders"}
    assert {record["product"] for record in first} == {"sales.orders.v1"}

    # A record that is not an event goes to the dead letters; the rest is landed once.
    topic = mesh.plane.product("sales.orders").topic
    with mesh.log.producer() as producer:
        producer.send(topic, b"not an event", key=b"o-x", partition=0)
    produce(mesh, range(10, 15))
    with mesh.connect.worker(definition, FAST) as worker:
        run_until(worker, lambda p: p.records_in >= 6)
    progress = worker.progress()  # closed: flushed, its lag measured after
    landed = worker_doubles.landed(state)["records"]
    assert sorted(record["key"] for record in landed) == sorted(f"o-{n}" for n in range(15))
    assert progress.records_in == 6 and progress.dead_letters == 1
    assert progress.total_lag == 0
    (letter,) = dead_letters(mesh, "orders-landing")
    assert letter["where"] == {"topic": topic, "partition": 0, "offset": letter["where"]["offset"]}
    assert "wire format" in letter["reason"] or "magic" in letter["reason"]
    # The group's offsets follow (for lag), and the connector is a consumer in lineage.
    committed = mesh.log.committed_offsets("connect-orders-landing", topic)
    ends = mesh.log.describe_topic(topic).end_offsets
    assert committed == dict(ends)
    apps = mesh.plane.applications("sales.orders")
    assert ("orders-landing", ApplicationRole.CONSUMER) in [(a.name, a.role) for a, _ in apps]
    edges = {(edge.source, edge.target, edge.kind.value) for edge in mesh.lineage.graph().edges}
    assert (
        "application:orders-landing",
        "dataset:connect:test-landing/orders-landing",
        "writes-to",
    ) in edges


def test_the_doubles_are_registered_kinds() -> None:
    assert {"test-counter", "test-landing"} <= set(kind_names())


def test_a_worker_runs_in_a_thread_and_closes_from_another(mesh: MeshRuntime) -> None:
    """As a server hosts connectors: run() in a thread, progress() and close() from another."""
    request = mesh.access.request(
        "sales.orders", OUTSIDER, purpose="lake", classified=True, caller=ADMIN
    )
    mesh.access.approve(request.id, caller=ADMIN)
    produce(mesh, range(8))
    definition = parse_definition(sink(OUTSIDER))
    worker = mesh.connect.worker(definition, WorkerOptions(poll_timeout_s=0.05))
    thread = threading.Thread(target=worker.run, args=(lambda: False,))
    thread.start()
    deadline = time.monotonic() + 30
    while worker.progress().records_in < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.close()  # flushes what it holds, though its interval (5 s) is not over
    thread.join(10)
    assert not thread.is_alive()
    assert worker.progress().state == "stopped"
    state = mesh.config.home / "connect" / "orders-landing" / "landed.json"
    records = worker_doubles.landed(state)["records"]
    assert sorted(record["key"] for record in records) == [f"o-{n}" for n in range(8)]
    emails = {record["value"]["customer_email"] for record in records}
    assert emails == {f"user{n}@example.com" for n in range(8)}  # a grant with classified fields


def test_an_iceberg_sink_keeps_its_catalog_in_the_mesh_store_and_files_in_the_mesh(
    mesh: MeshRuntime,
) -> None:
    request = mesh.access.request(
        "sales.orders", OUTSIDER, purpose="lake", classified=False, caller=ADMIN
    )
    mesh.access.approve(request.id, caller=ADMIN)
    produce(mesh, range(5))
    definition = parse_definition(
        json.dumps(
            {
                "name": "orders-iceberg",
                "kind": "iceberg",
                "principal": OUTSIDER,
                "products": ["sales.orders"],
                "config": {},
            }
        )
    )
    with mesh.connect.worker(definition, FAST) as worker:
        run_until(worker, lambda p: p.records_in >= 5)
    # The catalog is in the mesh's own store, the files under <mesh>/warehouse.
    catalog = SqlCatalog(
        "streammesh",
        uri=mesh.config.store_url,
        warehouse=(mesh.config.home / "warehouse").as_uri(),
    )
    rows = catalog.load_table("sales.orders").scan().to_arrow().to_pylist()
    assert sorted(row["orders_id"] for row in rows) == [f"o-{n}" for n in range(5)]
    assert {row["customer_email"] for row in rows} == {MASK_TEXT}  # the grant shows no pii
    assert any((mesh.config.home / "warehouse").rglob("*.parquet"))
