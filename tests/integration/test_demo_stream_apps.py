"""The demo's three reference stream applications (``streammesh/demo/apps/*.sql``): seeded as
service accounts with grants and deployed for the server to host, and run through the engine
over the demo's products, their outputs read back as data products."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streammesh.demo import REFERENCE_APPS, seed
from streammesh.products import Classification
from streammesh.sdk import InProcessMesh, Mesh
from streammesh.serde import RegistryResolver
from streammesh.streams import Desired, Placement, StreamsRunner, use_case

# Trades at 15:00:00 UTC and on, each one second after the previous: one 15-minute window.
T0 = 1_780_000_200_000 - 1_780_000_200_000 % 900_000
USERS = [
    {"registertime": 1, "userid": "User_1", "regionid": "REGION_1", "gender": "FEMALE"},
    {"registertime": 1, "userid": "User_2", "regionid": "REGION_2", "gender": "MALE"},
]
TRADES = [  # (userid, symbol, quantity, price)
    ("User_1", "LLY", 3000, 752.3),  # high value, US
    ("User_2", "COST", 5000, 721.6),  # high value, not US
    ("User_1", "KO", 10, 58.7),  # US only
    ("User_2", "LLY", 100, 751.0),  # neither
    ("User_1", "LLY", 2500, 760.0),  # US; 2,500 shares is not above 2,500
]


def _trade(userid: str, symbol: str, quantity: int, price: float) -> dict[str, Any]:
    number = int(userid.removeprefix("User_"))
    return {
        "side": "BUY",
        "quantity": quantity,
        "symbol": symbol,
        "price": price,
        "account": f"ACC-{10_000 + number:05d}",
        "userid": userid,
    }


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessMesh]:
    home = tmp_path_factory.mktemp("demo-apps") / "mesh"
    home.mkdir()
    with Mesh.open(home, actor="demo") as opened:
        seed(opened, home / "demo-products")
        as_members = InProcessMesh(opened.local, actor="demo", principal="membership-service")
        with as_members.producer("membership.users.v1") as producer:
            for user in USERS:
                producer.send(user, timestamp_ms=T0 - 60_000)
        as_gateway = InProcessMesh(opened.local, actor="demo", principal="trade-gateway")
        with as_gateway.producer("execution.stocktrades.v1") as producer:
            for offset, trade in enumerate(TRADES):
                producer.send(_trade(*trade), timestamp_ms=T0 + offset * 1_000)
        yield opened


def _run(mesh: InProcessMesh, name: str) -> None:
    """Run the use case ``name`` as its service account until its input is processed."""
    case = use_case(name)
    assert case is not None
    runtime = mesh.local
    prepared = runtime.streams.prepare(case.sql, case.name, case.name, descriptor=case.descriptor)
    runtime.streams.publish(prepared, actor="demo")
    with StreamsRunner(
        runtime.log,
        prepared.queries,
        case.name,
        resolver=RegistryResolver(runtime.registry),
        protections=prepared.protections,
        decryption=prepared.decryption,
    ) as runner:
        runner.start()
        deadline = time.monotonic() + 30
        idle = 0  # a join's repartition topic is not in the lag: wait for quiet rounds too
        while idle < 3 and time.monotonic() < deadline:
            idle = idle + 1 if runner.poll_round(0.2) == 0 else 0
            if runner.progress()[0].lag != 0:
                idle = 0
        assert runner.progress()[0].lag == 0


def _read(mesh: InProcessMesh, reference: str) -> list[dict[str, Any]]:
    """The product's events as the operator reads them (classified fields in clear)."""
    with mesh.consumer(reference, "check") as consumer:
        return [event.value for event in consumer.take(100, timeout=1.0) if event.value]


def test_the_demo_deploys_the_three_use_cases_for_the_server_to_host(
    mesh: InProcessMesh,
) -> None:
    apps = {status.app.name: status.app for status in mesh.local.streams.applications()}
    assert set(apps) == {item.name for item in REFERENCE_APPS}
    for item in REFERENCE_APPS:
        app = apps[item.name]
        assert (app.principal, app.placement, app.desired) == (
            item.name,
            Placement.SERVER,
            Desired.RUNNING,
        )
        assert app.sql == item.use_case.sql
        assert [query.sink for query in app.queries] == [f"{item.use_case.product}.v1"]
        account = mesh.local.access.accounts.find(item.name)
        assert account is not None and account.team == item.team


def test_seeding_again_keeps_a_stopped_use_case_stopped(tmp_path: Path) -> None:
    home = tmp_path / "mesh"
    home.mkdir()
    with Mesh.open(home, actor="demo") as opened:
        seed(opened, home / "demo-products")
        opened.local.streams.stop("us-trades", actor="alice")
        again = seed(opened, home / "demo-products")
    desired = {app.name: app.desired for app in again.stream_apps}
    assert desired == {
        "trending-stocks": Desired.RUNNING,
        "high-value-trades": Desired.RUNNING,
        "us-trades": Desired.STOPPED,
    }


def test_trending_stocks_sums_the_shares_per_symbol_and_window(mesh: InProcessMesh) -> None:
    _run(mesh, "trending-stocks")
    product = mesh.product("analytics.trending_stocks")
    assert product.descriptor.team == "market-analytics"
    assert list(product.descriptor.upstreams) == ["execution.stocktrades.v1"]
    assert not product.descriptor.classifications
    latest: dict[str, dict[str, Any]] = {}
    for row in _read(mesh, "analytics.trending_stocks"):
        latest[row["SYMBOL"]] = row
    assert {symbol: row["TOTAL_QUANTITY"] for symbol, row in latest.items()} == {
        "LLY": 5600,
        "COST": 5000,
        "KO": 10,
    }
    assert {(row["WINDOWSTART"], row["WINDOWEND"]) for row in latest.values()} == {
        (T0, T0 + 900_000)
    }


def test_high_value_trades_are_the_big_expensive_ones_with_the_region(
    mesh: InProcessMesh,
) -> None:
    _run(mesh, "high-value-trades")
    product = mesh.product("risk.high_value_trades")
    assert product.descriptor.team == "risk"
    assert set(product.descriptor.upstreams) == {"execution.stocktrades.v1", "membership.users.v1"}
    # Propagated from the inputs: the price is financial, the account confidential.
    assert product.descriptor.classifications["PRICE"] == (Classification.FINANCIAL,)
    assert product.descriptor.classifications["ACCOUNT"] == (Classification.CONFIDENTIAL,)
    rows = _read(mesh, "risk.high_value_trades")
    assert sorted(
        (r["USERID"], r["REGIONID"], r["SYMBOL"], r["QUANTITY"], r["PRICE"]) for r in rows
    ) == [
        ("User_1", "REGION_1", "LLY", 3000, 752.3),
        ("User_2", "REGION_2", "COST", 5000, 721.6),
    ]


def test_us_trades_are_the_trades_of_region_1_members(mesh: InProcessMesh) -> None:
    _run(mesh, "us-trades")
    product = mesh.product("infosec.us_trades")
    assert product.descriptor.team == "infosec"
    assert product.descriptor.classifications["PRICE"] == (Classification.FINANCIAL,)
    rows = _read(mesh, "infosec.us_trades")
    # Re-keyed by user id from trades keyed by symbol: the order across symbols is the
    # order the repartition topic received them in, as in ksqlDB.
    assert sorted(
        (r["USERID"], r["REGIONID"], r["SYMBOL"], r["QUANTITY"], r["PRICE"]) for r in rows
    ) == [
        ("User_1", "REGION_1", "KO", 10, 58.7),
        ("User_1", "REGION_1", "LLY", 2500, 760.0),
        ("User_1", "REGION_1", "LLY", 3000, 752.3),
    ]
