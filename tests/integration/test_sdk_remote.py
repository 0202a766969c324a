"""``RemoteMesh``: the SDK over ``/api/v1`` gives the core types and the mesh's own errors,
in-process and against a real ``streammesh up``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from streammesh.control import NotAcceptingConsumers, PlanRefused, ProductNotFound, ProductRecord
from streammesh.identity import Role
from streammesh.products.descriptor import Status
from streammesh.products.lifecycle import LifecycleError
from streammesh.sdk import (
    AuthenticationFailed,
    InvalidEvent,
    MeshUnreachable,
    ProductEvent,
    RemotePermissionDenied,
)
from streammesh.sdk.remote import RemoteMesh
from tests.integration.api_v1_support import MESH_YAML, Served, avro, descriptor, serve
from tests.support.streammesh_server import StreammeshServer

PRICE_AS_TEXT = avro().replace('"price", "type": "double"', '"price", "type": "string"')


@dataclass(frozen=True)
class Trade:
    trade_id: str
    symbol: str
    price: float


def _write_product(folder: Path, schema: str, *, version: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stocktrades.avsc").write_text(schema, encoding="utf-8")
    path = folder / "stocktrades.yaml"
    path.write_text(descriptor(version=version), encoding="utf-8")
    return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path / "mesh")


@pytest.fixture
def mesh(served: Served) -> Iterator[RemoteMesh]:
    with RemoteMesh(
        "http://testserver", served.tokens[Role.PLATFORM_ADMIN], client=served.client
    ) as m:
        yield m


def test_plan_apply_produce_consume_and_lifecycle(mesh: RemoteMesh, tmp_path: Path) -> None:
    path = _write_product(tmp_path / "execution", avro())
    planned = mesh.plan([tmp_path / "execution"])
    assert planned.has_changes and not planned.errors and planned.applied == ()
    assert mesh.apply([path]).applied == ("execution.stocktrades.v1",)
    assert not mesh.apply([path]).has_changes

    record = mesh.product("execution.stocktrades")
    assert isinstance(record, ProductRecord) and record.status is Status.PUBLISHED
    assert [r.reference for r in mesh.products(domain="execution")] == [record.reference]
    assert mesh.search("stock").total == 1

    with mesh.producer("execution.stocktrades", batch_size=3) as producer:
        producer.send(Trade("t-0", "ACME", 1.0))
        producer.send_many({"trade_id": f"t-{i}", "symbol": "ACME", "price": 1.0} for i in (1, 2))
        # A full batch was sent; the next one is refused whole when flushed.
        producer.send_many([{"trade_id": "bad", "symbol": "ACME", "price": "x"}] * 2)
        with pytest.raises(InvalidEvent) as refused:
            producer.flush()
        assert [p.index for p in refused.value.problems] == [0, 1]
        assert refused.value.problems[0].path == "price"
        producer.send({"trade_id": "t-3", "symbol": "ACME", "price": 4.0})
    with mesh.consumer("execution.stocktrades", group="risk", batch_size=2) as consumer:
        events = consumer.take(10, timeout=2)
    assert all(isinstance(e, ProductEvent) for e in events)
    assert sorted(str(e.key) for e in events) == ["t-0", "t-1", "t-2", "t-3"]
    assert events[0].value is not None and events[0].value["symbol"] == "ACME"

    # A refused incompatible change comes back as PlanRefused with its problems.
    _write_product(tmp_path / "execution", PRICE_AS_TEXT)
    with pytest.raises(PlanRefused) as plan_refused:
        mesh.apply([path])
    assert "compatibility.incompatible" in {p.rule for p in plan_refused.value.problems}

    v2 = _write_product(tmp_path / "v2", PRICE_AS_TEXT, version=2)
    assert mesh.apply([v2]).applied == ("execution.stocktrades.v2",)
    deprecated = mesh.deprecate(
        "execution.stocktrades.v1",
        reason="price is text in v2",
        sunset=date(2027, 1, 31),
        replacement="execution.stocktrades.v2",
    )
    assert deprecated.status is Status.DEPRECATED
    with pytest.raises(NotAcceptingConsumers) as late:
        mesh.consumer("execution.stocktrades.v1", group="late").take(1, timeout=0.5)
    assert "execution.stocktrades.v2" in str(late.value)
    with pytest.raises(LifecycleError) as blocked:
        mesh.retire("execution.stocktrades.v1")
    assert blocked.value.product == "execution.stocktrades.v1"
    retired = mesh.retire("execution.stocktrades.v1", force=True)
    assert retired.status is Status.RETIRED and retired.forced_by == "platform-admin-user"


def test_errors_are_the_mesh_errors(served: Served, mesh: RemoteMesh) -> None:
    with pytest.raises(ProductNotFound) as missing:
        mesh.product("execution.nothing")
    assert missing.value.reference == "execution.nothing"
    assert "is not in the mesh" in str(missing.value)
    with pytest.raises(AuthenticationFailed):
        RemoteMesh("http://testserver", "sm_wrong", client=served.client).products()
    reader = RemoteMesh("http://testserver", served.tokens[Role.CONSUMER], client=served.client)
    with pytest.raises(RemotePermissionDenied) as denied:
        reader.retire("execution.stocktrades")
    assert "'consumer'" in str(denied.value)
    with pytest.raises(MeshUnreachable):
        RemoteMesh("http://127.0.0.1:9", "sm_x", timeout=2).products()


def test_against_a_real_server(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    home.mkdir()
    (home / "mesh.yaml").write_text(MESH_YAML, encoding="utf-8")
    path = _write_product(tmp_path / "execution", avro())
    with StreammeshServer(home) as server:
        assert server.admin_token is not None
        with RemoteMesh(server.url, server.admin_token) as mesh:
            mesh.apply([path])
            with mesh.producer("execution.stocktrades") as producer:
                producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 9.5})
            events = mesh.consumer("execution.stocktrades", group="ops").take(1, timeout=5)
    assert [(e.key, e.value) for e in events] == [
        ("t-1", {"trade_id": "t-1", "symbol": "ACME", "price": 9.5})
    ]
