from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from streammesh.cli.stock_trades import generate_trades
from tests.unit.cli.invoking import invoke_cli


def test_demo_makes_a_mesh_in_the_given_directory(tmp_path: Path) -> None:
    result = invoke_cli("demo", "--mesh", str(tmp_path / "mesh"), "--events", "50")
    assert result.exit_code == 0, result.stderr
    assert "round trip" in result.stdout
    listed = invoke_cli(
        "--log", f"embedded://{tmp_path / 'mesh' / 'log'}", "topics", "list", "--json"
    )
    assert json.loads(listed.stdout)[0]["name"] == "execution.stocktrades.v1"
    assert json.loads(listed.stdout)[0]["records"] == 50


def test_trades_look_like_executions_and_are_not_from_the_future() -> None:
    trades = generate_trades(200, seed=7)
    after = datetime.now(UTC)
    assert len({trade.trade_id for trade in trades}) == 200
    assert len({trade.account_id for trade in trades}) > 10
    assert all(trade.quantity > 0 and trade.price > 0 for trade in trades)
    assert {trade.side for trade in trades} == {"BUY", "SELL"}
    times = [trade.executed_at for trade in trades]
    assert times == sorted(times)
    assert times[-1] <= after
    document = trades[0].document()
    assert document["currency"] == "USD"
    assert document["executed_at"].endswith("Z")


def test_the_same_seed_gives_the_same_trades() -> None:
    start = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    assert generate_trades(20, seed=1, start=start) == generate_trades(20, seed=1, start=start)
