from __future__ import annotations

import random
from datetime import UTC, datetime

import fastavro
import pytest

from streammesh.demo.generators import USER_COUNT, event_factory
from streammesh.demo.products import ORDERS, PRODUCTS, STOCKTRADES, USERS, DemoProduct

MOMENT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def _events(product: DemoProduct, count: int, seed: int = 3) -> list[dict[str, object]]:
    make = event_factory(product)
    rng = random.Random(seed)
    return [make(rng, MOMENT) for _ in range(count)]


@pytest.mark.parametrize("product", PRODUCTS, ids=lambda p: p.reference)
def test_events_fit_their_product_schema_and_name_registered_members(
    product: DemoProduct,
) -> None:
    schema = fastavro.parse_schema(product.schema)
    events = _events(product, 200)
    for event in events:
        assert fastavro.validation.validate(event, schema, raise_errors=True)
        assert 1 <= int(str(event["userid"]).removeprefix("User_")) <= USER_COUNT


def test_trades_buy_and_sell_at_plausible_prices() -> None:
    trades = _events(STOCKTRADES, 300)
    assert {trade["side"] for trade in trades} == {"BUY", "SELL"}
    assert all(0 < float(str(trade["price"])) < 1_000 for trade in trades)
    assert len({trade["symbol"] for trade in trades}) > 3


def test_orders_move_through_their_states_without_going_back() -> None:
    seen: dict[str, list[str]] = {}
    for order in _events(ORDERS, 400):
        seen.setdefault(str(order["order_id"]), []).append(str(order["status"]))
    order_of = ["PLACED", "PAID", "SHIPPED"]
    for steps in seen.values():
        assert steps[0] == "PLACED"
        assert "CANCELLED" not in steps[:-1]
        live = [step for step in steps if step != "CANCELLED"]
        assert live == order_of[: len(live)]
    assert any(len(steps) == 3 for steps in seen.values())


def test_the_same_seed_gives_the_same_events() -> None:
    assert _events(ORDERS, 50, seed=9) == _events(ORDERS, 50, seed=9)


def test_some_trades_are_what_the_reference_use_cases_select() -> None:
    trades = _events(STOCKTRADES, 500)
    high_value = [t for t in trades if float(t["price"]) > 500 and int(t["quantity"]) > 2500]  # type: ignore[arg-type]
    assert 5 <= len(high_value) <= 100


def test_members_live_in_the_regions_the_use_cases_name() -> None:
    users = _events(USERS, 200)
    assert {user["regionid"] for user in users} == {f"REGION_{n}" for n in range(1, 7)}
