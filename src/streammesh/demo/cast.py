"""Who is in the demo mesh: domains, teams, their service accounts, the applications that
read products, and who runs the reference stream applications."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from streammesh.demo.products import ORDERS, PAGEVIEWS_1, PAGEVIEWS_2, STOCKTRADES, USERS
from streammesh.streams import UseCase, use_case


@dataclass(frozen=True, slots=True)
class Team:
    """A registered team of the demo, in its domain."""

    name: str
    domain: str
    email: str
    description: str


@dataclass(frozen=True, slots=True)
class Application:
    """A consuming application: a service account of ``team`` reading ``reads`` as consumer
    group ``name``.

    Attributes:
        classified: Whether its grants include classified fields (unmasked).
        purpose: What it reads the data for, as its access requests say.
    """

    name: str
    team: str
    description: str
    reads: tuple[str, ...]
    purpose: str
    classified: bool = False


DOMAINS: dict[str, str] = {
    "execution": "Trading: orders, executions and positions on the exchange.",
    "edge": "The web site's edge: what visitors do on our pages.",
    "membership": "Members: registration and profiles.",
    "shop": "The web shop: carts, orders and payments.",
    "marketing": "Campaigns, ads and their results.",
    "risk": "Fraud and risk controls.",
    "personalization": "Recommendations and personalised content.",
    "finance": "Billing, invoicing and the ledger.",
    "analytics": "Market analytics: what trades, where and how much.",
    "infosec": "Information security: monitoring who does what.",
}

TEAMS: tuple[Team, ...] = (
    Team("trading-platform", "execution", "trading@example.com", "Runs the exchange gateway."),
    Team("web-analytics", "edge", "web-analytics@example.com", "Collects web events."),
    Team("membership", "membership", "membership@example.com", "Owns sign-up and profiles."),
    Team("storefront", "shop", "storefront@example.com", "Builds the web shop and checkout."),
    Team("growth-marketing", "marketing", "growth@example.com", "Runs paid campaigns."),
    Team("risk", "risk", "risk@example.com", "Detects fraud and market abuse."),
    Team("personalization", "personalization", "reco@example.com", "Recommends content."),
    Team("finance", "finance", "finance@example.com", "Bills customers and keeps the books."),
    Team("market-analytics", "analytics", "analytics@example.com", "Watches market activity."),
    Team("infosec", "infosec", "infosec@example.com", "Monitors security-relevant activity."),
)

APPLICATIONS: tuple[Application, ...] = (
    Application(
        "fraud-detector",
        "risk",
        "Scores every trade for market abuse.",
        (STOCKTRADES.reference,),
        "score trades for market abuse, with the account and price",
        classified=True,
    ),
    Application(
        "recommendations",
        "personalization",
        "Suggests pages from what similar members viewed.",
        (PAGEVIEWS_2.reference, USERS.reference),
        "recommend pages from viewing history by region (no personal data needed)",
    ),
    Application(
        "billing",
        "finance",
        "Invoices paid orders and e-mails the receipts.",
        (ORDERS.reference,),
        "invoice paid orders and send receipts to the customer's e-mail",
        classified=True,
    ),
    Application(
        "legacy-dashboard",
        "web-analytics",
        "The old traffic dashboard, still on page views v1 until it moves to v2.",
        (PAGEVIEWS_1.reference,),
        "traffic dashboard per page",
    ),
)


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """An access request the demo leaves for the owner to decide."""

    application: str
    team: str
    description: str
    product: str
    purpose: str
    classified: bool


PENDING = PendingRequest(
    "ad-attribution",
    "growth-marketing",
    "Attributes orders to the ad clicks that led to them.",
    ORDERS.name,
    "attribute orders to ad campaigns; the amount is needed for return on ad spend",
    classified=True,
)
"""The request waiting in ``shop.orders``'s owners' inbox."""


@dataclass(frozen=True, slots=True)
class ReferenceApp:
    """A reference stream application (``streammesh.streams.USE_CASES``) as the demo runs it:
    as its own service account ``name`` of ``team``, which owns the output product.

    Attributes:
        reads: The input product versions, each with whether its grant includes the
            classified fields (the statements compute over them in clear).
        purpose: Why it reads its inputs, as its access requests say.
    """

    name: str
    team: str
    reads: tuple[tuple[str, bool], ...]
    purpose: str

    @property
    def use_case(self) -> UseCase:
        """Its SQL, descriptor, title and description."""
        found = use_case(self.name)
        assert found is not None, self.name  # REFERENCE_APPS names only shipped use cases
        return found


REFERENCE_APPS: tuple[ReferenceApp, ...] = (
    ReferenceApp(
        "trending-stocks",
        "market-analytics",
        ((STOCKTRADES.reference, False),),
        "count the shares traded per symbol and window (no account or price needed)",
    ),
    ReferenceApp(
        "high-value-trades",
        "risk",
        ((STOCKTRADES.reference, True), (USERS.reference, False)),
        "select trades to review by price and size, with the account they are booked to",
    ),
    ReferenceApp(
        "us-trades",
        "infosec",
        ((STOCKTRADES.reference, True), (USERS.reference, False)),
        "monitor the trades of US members, with their price",
    ),
)
"""The three reference stream applications, deployed for the server to host."""


@dataclass(frozen=True, slots=True)
class LakeSink:
    """The demo's Parquet sink: a connector run by the server (placement ``server``) as its
    own service account ``name`` of ``team``, granted a read of ``product``.

    Attributes:
        roll_interval: How long after its first row a file is completed (a duration): short,
            so a first file is there to query soon after the demo starts.
    """

    name: str
    team: str
    description: str
    product: str
    purpose: str
    roll_interval: str = "30s"

    def definition(self, root: Path) -> str:
        """The connector's YAML definition, landing the files under ``root``."""
        document = {
            "name": self.name,
            "kind": "parquet",
            "principal": self.name,
            "products": [self.product],
            "config": {
                "root": str(root),
                "partitioning": "hourly",
                "roll_interval": self.roll_interval,
            },
        }
        return yaml.safe_dump(document, sort_keys=False, width=100)

    def duckdb_query(self, root: Path) -> str:
        """A SQL query DuckDB answers over the files under ``root``: views per hour."""
        files = str(root / "**" / "*.parquet").replace("'", "''")
        return (
            "SELECT dt, hour, count(*) AS views, count(DISTINCT userid) AS members "
            f"FROM read_parquet('{files}', hive_partitioning=true, union_by_name=true) "
            "GROUP BY ALL ORDER BY ALL"
        )


LAKE = LakeSink(
    "pageviews-lake",
    "web-analytics",
    "Lands page views as Parquet files (hourly folders) for SQL analytics, e.g. with DuckDB.",
    PAGEVIEWS_2.reference,
    "land page views as Parquet files for traffic analytics in SQL",
)
"""The Parquet sink of ``edge.pageviews.v2``, landing under ``<mesh>/lake/``."""
