"""Plausible events for every demo product, drawn from one shared population of members.

The same user ids appear in trades, page views, orders and ad clicks, and every one of them is
a registered member in ``membership.users``: joins across products find their partners.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from streammesh.demo.products import (
    ADCLICKS,
    ORDERS,
    PAGEVIEWS_1,
    PAGEVIEWS_2,
    STOCKTRADES,
    USERS,
    DemoProduct,
)

Event = dict[str, Any]
EventFactory = Callable[[random.Random, datetime], Event]
"""Makes the next event of a product, at the given moment."""

USER_COUNT = 200
_SYMBOLS = {
    "AAPL": 189.7,
    "MSFT": 415.3,
    "NVDA": 486.2,
    "AMZN": 146.9,
    "JPM": 156.4,
    "KO": 58.7,
    "LLY": 752.3,
    "COST": 721.6,
}
_QUANTITIES = (1, 5, 10, 25, 50, 100, 500)
_BLOCK_QUANTITIES = (3_000, 5_000, 10_000)
"""Block trades: above the 2,500 shares the high-value review use case looks for."""
_BLOCK_SHARE = 0.1
# As the prototype's statements spell them: REGION_1 is the US (the InfoSec use case).
_REGIONS = ("REGION_1", "REGION_2", "REGION_3", "REGION_4", "REGION_5", "REGION_6")
_GENDERS = ("FEMALE", "MALE", "OTHER")
_PAGES = tuple(f"Page_{number}" for number in range(1, 60))
_CAMPAIGNS = ("spring-sale", "new-members", "retarget-carts", "brand-video")
_ORDER_STEPS = {"PLACED": "PAID", "PAID": "SHIPPED"}


def user_id(number: int) -> str:
    """The id of member ``number`` (``User_1`` … ``User_200``), as the prototype names them."""
    return f"User_{number}"


def _member(rng: random.Random) -> str:
    return user_id(rng.randint(1, USER_COUNT))


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class _Trades:
    """Trades whose prices follow a small random walk, plausible over a session."""

    def __init__(self) -> None:
        self._prices = dict(_SYMBOLS)

    def __call__(self, rng: random.Random, now: datetime) -> Event:
        symbol = rng.choice(sorted(self._prices))
        price = round(max(0.01, self._prices[symbol] * (1 + rng.gauss(0, 0.001))), 2)
        self._prices[symbol] = price
        member = rng.randint(1, USER_COUNT)
        return {
            "side": rng.choice(("BUY", "SELL")),
            "quantity": rng.choice(
                _BLOCK_QUANTITIES if rng.random() < _BLOCK_SHARE else _QUANTITIES
            ),
            "symbol": symbol,
            "price": price,
            "account": f"ACC-{10_000 + member:05d}",
            "userid": user_id(member),
        }


def _pageview(rng: random.Random, now: datetime) -> Event:
    return {"viewtime": _millis(now), "userid": _member(rng), "pageid": rng.choice(_PAGES)}


def _pageview_v2(rng: random.Random, now: datetime) -> Event:
    referrer = rng.choice(_PAGES) if rng.random() < 0.7 else None
    return {**_pageview(rng, now), "referrer": referrer}


def _user(rng: random.Random, now: datetime) -> Event:
    # Members update their profile: the compacted product keeps the latest per user id.
    return {
        "registertime": _millis(now) - rng.randint(0, 3 * 365 * 86_400_000),
        "userid": _member(rng),
        "regionid": rng.choice(_REGIONS),
        "gender": rng.choice(_GENDERS),
    }


class _Orders:
    """Orders move PLACED → PAID → SHIPPED (a few are cancelled), one change per event."""

    def __init__(self) -> None:
        self._open: dict[str, Event] = {}

    def __call__(self, rng: random.Random, now: datetime) -> Event:
        if self._open and rng.random() < 0.5:
            order_id = rng.choice(sorted(self._open))
            order = self._open[order_id]
            step = "CANCELLED" if rng.random() < 0.1 else _ORDER_STEPS[order["status"]]
            changed = {**order, "status": step}
            if step in _ORDER_STEPS:
                self._open[order_id] = changed
            else:
                del self._open[order_id]
            return changed
        member = rng.randint(1, USER_COUNT)
        order = {
            "order_id": f"O-{uuid.UUID(int=rng.getrandbits(128)).hex[:12].upper()}",
            "userid": user_id(member),
            "customer_email": f"member{member}@example.com",
            "status": "PLACED",
            "items": rng.randint(1, 6),
            "amount": round(rng.uniform(5, 400), 2),
            "currency": rng.choice(("EUR", "USD")),
            "card_last4": f"{rng.randint(0, 9999):04d}",
            "ordered_at": _millis(now),
        }
        self._open[order["order_id"]] = order
        return order


def _adclick(rng: random.Random, now: datetime) -> Event:
    return {
        "click_id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "campaign": rng.choice(_CAMPAIGNS),
        "ad_id": f"ad-{rng.randint(100, 140)}",
        "userid": _member(rng),
        "pageid": rng.choice(_PAGES),
        "cost_micros": rng.randint(50_000, 2_500_000),
        "clicked_at": _millis(now),
    }


def event_factory(product: DemoProduct) -> EventFactory:
    """A fresh source of events for ``product`` (each keeps its own state)."""
    factories: dict[str, Callable[[], EventFactory]] = {
        STOCKTRADES.reference: _Trades,
        PAGEVIEWS_1.reference: lambda: _pageview,
        PAGEVIEWS_2.reference: lambda: _pageview_v2,
        USERS.reference: lambda: _user,
        ORDERS.reference: _Orders,
        ADCLICKS.reference: lambda: _adclick,
    }
    return factories[product.reference]()


def now() -> datetime:
    """The current moment, in UTC."""
    return datetime.now(UTC)
