"""The demo's data products: descriptors and Avro schemas, written as files a team would keep.

The first three are the products of Confluent's data mesh prototype (stock trades, page views,
users); ``shop.orders`` carries personal and financial fields, ``marketing.adclicks`` is a raw
clickstream, and ``edge.pageviews`` has a second major version that adds a field, the first
one deprecated in its favour. Descriptors are built here rather than kept as static files
because the deprecation's sunset date is relative to the day the demo first runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

PAGEVIEWS_V1 = "edge.pageviews.v1"
PAGEVIEWS_V2 = "edge.pageviews.v2"

_LINKS = "https://docs.example.com/products"


@dataclass(frozen=True, slots=True)
class DemoProduct:
    """One product version of the demo, as its descriptor and value schema.

    Attributes:
        name: ``domain.product``.
        version: The major version.
        descriptor: The descriptor document (without ``schema``, ``version`` and ``status``,
            which :meth:`document` adds).
        schema: The Avro value schema.
        producer: The service account of the owning team that produces the events.
    """

    name: str
    version: int
    descriptor: dict[str, Any]
    schema: dict[str, Any]
    producer: str

    @property
    def domain(self) -> str:
        """The product's domain (the first part of its name)."""
        return self.name.split(".", 1)[0]

    @property
    def reference(self) -> str:
        """``domain.product.vN``: the product version and its topic."""
        return f"{self.name}.v{self.version}"

    @property
    def schema_file(self) -> str:
        """The schema's file name, next to the descriptor."""
        return f"{self.name.split('.', 1)[1]}.v{self.version}.avsc"

    def document(self, status: str, deprecation: dict[str, Any] | None) -> dict[str, Any]:
        """The descriptor as written to disk, with ``status`` (and its deprecation block)."""
        document = {
            "name": self.name,
            **self.descriptor,
            "schema": self.schema_file,
            "version": self.version,
            "status": status,
        }
        if deprecation is not None:
            document["deprecation"] = deprecation
        return document


def _record(name: str, doc: str, fields: list[tuple[str, Any, str]]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "com.example.demo",
        "doc": doc,
        "fields": [{"name": n, "type": t, "doc": d} for n, t, d in fields],
    }


_TIMESTAMP = {"type": "long", "logicalType": "timestamp-millis"}

STOCKTRADES = DemoProduct(
    name="execution.stocktrades",
    version=1,
    producer="trade-gateway",
    descriptor={
        "owner": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "team": "trading-platform",
        "description": "Every trade executed on the exchange, one event per fill, in execution "
        "order per instrument. The authoritative record of what was traded, by whom, at what "
        "price.",
        "tags": ["trades", "equities", "finance"],
        "alignment": "source",
        "kind": "measurement",
        "key": {"field": "symbol", "type": "string"},
        "partitions": "s",
        "retention": "full-history",
        "sla": {
            "tier": 1,
            "freshness": "1m",
            "availability": 99.95,
            "support_hours": "24x7",
            "contact": "#trading-oncall",
        },
        "quality": "authoritative",
        "classifications": {"account": ["confidential"], "price": ["financial"]},
        "links": {"docs": f"{_LINKS}/stocktrades", "runbook": f"{_LINKS}/stocktrades/runbook"},
    },
    schema=_record(
        "StockTrade",
        "One executed trade (a fill of an order).",
        [
            ("side", {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}, "Buy or sell."),
            ("quantity", "int", "Shares traded."),
            ("symbol", "string", "The instrument's ticker symbol."),
            ("price", "double", "Execution price per share in USD."),
            ("account", "string", "The trading account the trade is booked to."),
            ("userid", "string", "The user who placed the order."),
        ],
    ),
)

_PAGEVIEW_FIELDS: list[tuple[str, Any, str]] = [
    ("viewtime", _TIMESTAMP, "When the page was viewed."),
    ("userid", "string", "The member who viewed the page."),
    ("pageid", "string", "The page viewed."),
]

_PAGEVIEWS_DESCRIPTOR: dict[str, Any] = {
    "owner": {"name": "Grace Hopper", "email": "grace@example.com"},
    "team": "web-analytics",
    "tags": ["clickstream", "web"],
    "alignment": "source",
    "kind": "measurement",
    "key": {"field": "userid", "type": "string"},
    "partitions": "s",
    "retention": "recent:30d",
    "sla": {
        "tier": 2,
        "freshness": "5m",
        "availability": 99.5,
        "support_hours": "extended-hours",
        "contact": "#web-analytics",
    },
    "quality": "curated",
    "links": {"docs": f"{_LINKS}/pageviews"},
}

PAGEVIEWS_1 = DemoProduct(
    name="edge.pageviews",
    version=1,
    producer="edge-collector",
    descriptor={
        **_PAGEVIEWS_DESCRIPTOR,
        "description": "Page views on the web site, one event per view, cleaned of bots and "
        "duplicates.",
    },
    schema=_record("PageView", "One page view.", _PAGEVIEW_FIELDS),
)

PAGEVIEWS_2 = DemoProduct(
    name="edge.pageviews",
    version=2,
    producer="edge-collector",
    descriptor={
        **_PAGEVIEWS_DESCRIPTOR,
        "description": "Page views on the web site, one event per view, cleaned of bots and "
        "duplicates; v2 adds the referring page, so journeys can be followed.",
    },
    schema=_record(
        "PageView",
        "One page view, with where the visitor came from.",
        [
            *_PAGEVIEW_FIELDS,
            ("referrer", ["null", "string"], "The page the visitor came from, if on this site."),
        ],
    ),
)

USERS = DemoProduct(
    name="membership.users",
    version=1,
    producer="membership-service",
    descriptor={
        "owner": {"name": "Katherine Johnson", "email": "katherine@example.com"},
        "team": "membership",
        "description": "Every registered member: the latest profile per user id, kept forever "
        "(compacted).",
        "tags": ["members", "customers"],
        "alignment": "source",
        "kind": "state",
        "key": {"field": "userid", "type": "string"},
        "partitions": "s",
        "retention": "compacted",
        "sla": {
            "tier": 1,
            "freshness": "1m",
            "availability": 99.9,
            "support_hours": "24x7",
            "contact": "#membership-oncall",
        },
        "quality": "authoritative",
        "classifications": {"gender": ["pii"]},
        "links": {"docs": f"{_LINKS}/users"},
    },
    schema=_record(
        "User",
        "A registered member's profile.",
        [
            ("registertime", _TIMESTAMP, "When the member registered."),
            ("userid", "string", "The member's id."),
            ("regionid", "string", "The sales region the member lives in."),
            ("gender", "string", "The gender the member gave, if any (personal data)."),
        ],
    ),
)

ORDERS = DemoProduct(
    name="shop.orders",
    version=1,
    producer="checkout-service",
    descriptor={
        "owner": {"name": "Margaret Hamilton", "email": "margaret@example.com"},
        "team": "storefront",
        "description": "Orders placed in the web shop: the current state of each order "
        "(placed, paid, shipped, cancelled) every time it changes.",
        "tags": ["orders", "e-commerce", "payments"],
        "alignment": "source",
        "kind": "state",
        "key": {"field": "order_id", "type": "string"},
        "partitions": "s",
        "retention": "compacted",
        "sla": {
            "tier": 1,
            "freshness": "2m",
            "availability": 99.9,
            "support_hours": "24x7",
            "contact": "#storefront-oncall",
        },
        "quality": "authoritative",
        "classifications": {
            "customer_email": ["pii"],
            "card_last4": ["financial"],
            "amount": ["financial"],
        },
        "regions": ["eu", "us-east-1"],
        "links": {"docs": f"{_LINKS}/orders"},
    },
    schema=_record(
        "Order",
        "The state of one web-shop order.",
        [
            ("order_id", "string", "The order's id."),
            ("userid", "string", "The member who ordered."),
            ("customer_email", "string", "Where order confirmations go (personal data)."),
            (
                "status",
                {
                    "type": "enum",
                    "name": "OrderStatus",
                    "symbols": ["PLACED", "PAID", "SHIPPED", "CANCELLED"],
                },
                "Where the order is in its life.",
            ),
            ("items", "int", "How many items the order has."),
            ("amount", "double", "The order's total."),
            ("currency", "string", "ISO 4217 currency of the amount."),
            ("card_last4", "string", "The last four digits of the card paid with."),
            ("ordered_at", _TIMESTAMP, "When the order was placed."),
        ],
    ),
)

ADCLICKS = DemoProduct(
    name="marketing.adclicks",
    version=1,
    producer="ad-server",
    descriptor={
        "owner": {"name": "Hedy Lamarr", "email": "hedy@example.com"},
        "team": "growth-marketing",
        "description": "Clicks on our ads on partner sites, as the ad server logs them (not "
        "yet de-duplicated or attributed).",
        "tags": ["ads", "clickstream", "campaigns"],
        "alignment": "source",
        "kind": "measurement",
        "key": {"field": "click_id", "type": "string"},
        "partitions": "s",
        "retention": "recent:14d",
        "sla": {"tier": 3, "freshness": "15m", "support_hours": "business-hours"},
        "quality": "raw",
        "links": {"docs": f"{_LINKS}/adclicks"},
    },
    schema=_record(
        "AdClick",
        "One click on an ad.",
        [
            ("click_id", "string", "The click's id."),
            ("campaign", "string", "The campaign the ad belongs to."),
            ("ad_id", "string", "The ad clicked."),
            ("userid", "string", "The member who clicked, when known."),
            ("pageid", "string", "The landing page."),
            ("cost_micros", "long", "What the click cost, in millionths of a USD."),
            ("clicked_at", _TIMESTAMP, "When the ad was clicked."),
        ],
    ),
)

PRODUCTS: tuple[DemoProduct, ...] = (
    STOCKTRADES,
    PAGEVIEWS_1,
    PAGEVIEWS_2,
    USERS,
    ORDERS,
    ADCLICKS,
)
"""Every product version of the demo."""

INITIAL: tuple[DemoProduct, ...] = tuple(p for p in PRODUCTS if p is not PAGEVIEWS_2)
"""What the mesh had before ``edge.pageviews`` v2: the demo publishes these first."""


@dataclass(frozen=True, slots=True)
class Deprecation:
    """The deprecation of ``edge.pageviews`` v1 in favour of v2."""

    sunset: date
    reason: str = "v2 adds the referring page; v1 stops at the sunset, move to v2"
    replacement: str = PAGEVIEWS_V2

    def document(self) -> dict[str, Any]:
        """The descriptor's ``deprecation`` block."""
        return {
            "reason": self.reason,
            "sunset": self.sunset.isoformat(),
            "replacement": self.replacement,
        }


def write_products(
    directory: Path, products: tuple[DemoProduct, ...], deprecation: Deprecation | None
) -> Path:
    """Write ``products`` as descriptor and schema files, one folder per domain, under
    ``directory`` (replacing what the demo wrote there before); with ``deprecation``,
    ``edge.pageviews`` v1 is written as deprecated. Returns ``directory``."""
    for product in products:
        folder = directory / product.domain
        folder.mkdir(parents=True, exist_ok=True)
        deprecated = deprecation is not None and product.reference == PAGEVIEWS_V1
        document = product.document(
            "deprecated" if deprecated else "published",
            deprecation.document() if deprecated and deprecation is not None else None,
        )
        stem = product.schema_file.removesuffix(".avsc")
        (folder / f"{stem}.yaml").write_text(
            yaml.safe_dump(document, sort_keys=False, width=100), encoding="utf-8"
        )
        (folder / product.schema_file).write_text(
            json.dumps(product.schema, indent=2) + "\n", encoding="utf-8"
        )
    return directory
