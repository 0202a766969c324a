"""Realistic stock-trade execution events, the demo's data (topic ``execution.stocktrades.v1``).

Each event is one fill of an order on an exchange, keyed by the trading account so that an
account's trades stay in order in one partition.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Symbol, listing venue (ISO 10383 MIC), reference price in USD.
_INSTRUMENTS: tuple[tuple[str, str, float], ...] = (
    ("AAPL", "XNAS", 189.70),
    ("MSFT", "XNAS", 415.30),
    ("NVDA", "XNAS", 486.20),
    ("AMZN", "XNAS", 146.90),
    ("GOOGL", "XNAS", 137.60),
    ("META", "XNAS", 334.90),
    ("JPM", "XNYS", 156.40),
    ("V", "XNYS", 258.10),
    ("KO", "XNYS", 58.70),
    ("XOM", "XNYS", 102.30),
)
_LOT_SIZES = (1, 5, 10, 25, 50, 100, 200, 500)
_MEAN_GAP_MS = 20


@dataclass(frozen=True, slots=True)
class StockTrade:
    """One executed trade."""

    trade_id: str
    account_id: str
    symbol: str
    side: str
    quantity: int
    price: float
    venue: str
    executed_at: datetime

    def document(self) -> dict[str, Any]:
        """The event as JSON-ready values (timestamps ISO 8601 UTC, prices in USD)."""
        return {
            "trade_id": self.trade_id,
            "account_id": self.account_id,
            "symbol": self.symbol,
            "side": self.side,
            "quantity": self.quantity,
            "price": self.price,
            "currency": "USD",
            "venue": self.venue,
            "executed_at": self.executed_at.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
        }


def generate_trades(
    count: int, *, accounts: int = 40, start: datetime | None = None, seed: int | None = None
) -> list[StockTrade]:
    """``count`` trades by ``accounts`` accounts, a few milliseconds apart, prices drifting.

    Without ``start`` the last trade is now, so no event claims to come from the future.
    """
    rng = random.Random(seed)
    gaps_ms = [rng.randint(1, 2 * _MEAN_GAP_MS - 1) for _ in range(count)]
    clock = start or datetime.now(UTC) - timedelta(milliseconds=sum(gaps_ms))
    prices = {symbol: price for symbol, _, price in _INSTRUMENTS}
    account_ids = [f"ACC-{10_000 + rng.randrange(90_000):05d}" for _ in range(accounts)]
    trades = []
    for gap_ms in gaps_ms:
        symbol, venue, _ = rng.choice(_INSTRUMENTS)
        # A small random walk keeps prices plausible over a session.
        prices[symbol] = max(0.01, prices[symbol] * (1 + rng.gauss(0, 0.0008)))
        clock += timedelta(milliseconds=gap_ms)
        trades.append(
            StockTrade(
                trade_id=f"T-{uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper()}",
                account_id=rng.choice(account_ids),
                symbol=symbol,
                side=rng.choice(("BUY", "SELL")),
                quantity=rng.choice(_LOT_SIZES),
                price=round(prices[symbol], 2),
                venue=venue,
                executed_at=clock,
            )
        )
    return trades
