"""The reference prototype's three stream applications, as SQL files shipped with the demo.

Each use case is a ksqlDB script (``apps/<name>.sql``) publishing its output as a data product
described by the descriptor file next to it (``apps/<name>.yaml``; the query decides the
product's key, schema and upstreams). The demo runs each as its own service account of the
team owning the output, granted read access to its inputs, hosted by the server (placement
``server``); the UI offers them under "Create an app from data products".
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from streammesh.demo.products import STOCKTRADES, USERS

__all__ = ["USE_CASES", "UseCase", "use_case"]


@dataclass(frozen=True, slots=True)
class UseCase:
    """One reference use case: a SQL script, the product it publishes and who runs it.

    Attributes:
        name: The application's name, and the name of the service account it runs as.
        title: A short title for people.
        description: What it computes and for whom, one or two sentences.
        team: The team owning the service account and the output product.
        product: The output product (``domain.product``).
        reads: The input product versions, each with whether its grant includes the
            classified fields (the use case computes over them in clear).
        purpose: Why it reads its inputs, as its access requests say.
    """

    name: str
    title: str
    description: str
    team: str
    product: str
    reads: tuple[tuple[str, bool], ...]
    purpose: str

    @property
    def file_stem(self) -> str:
        """The name of its files under ``streammesh/demo/apps/`` (without suffix)."""
        return self.name.replace("-", "_")

    @property
    def sql(self) -> str:
        """The script, as shipped."""
        return _read(f"{self.file_stem}.sql")

    @property
    def descriptor(self) -> str:
        """The descriptor file of its output product (YAML), as shipped."""
        return _read(f"{self.file_stem}.yaml")


def _read(file: str) -> str:
    return resources.files("streammesh.demo").joinpath("apps", file).read_text(encoding="utf-8")


USE_CASES: tuple[UseCase, ...] = (
    UseCase(
        "trending-stocks",
        "Trending stocks",
        "The shares traded per stock symbol in 15-minute tumbling windows, updated as trades "
        "arrive: which stocks trade most right now.",
        "market-analytics",
        "analytics.trending_stocks",
        ((STOCKTRADES.reference, False),),
        "count the shares traded per symbol and window (no account or price needed)",
    ),
    UseCase(
        "high-value-trades",
        "High-value trades for review",
        "Trades above 500 USD a share and 2,500 shares, joined with the member who placed "
        "them (their region), for Risk to review.",
        "risk",
        "risk.high_value_trades",
        ((STOCKTRADES.reference, True), (USERS.reference, False)),
        "select trades to review by price and size, with the account they are booked to",
    ),
    UseCase(
        "us-trades",
        "US trades for InfoSec",
        "Every trade placed by a member of the US region (REGION_1), joined with the member's "
        "profile, for InfoSec to monitor.",
        "infosec",
        "infosec.us_trades",
        ((STOCKTRADES.reference, True), (USERS.reference, False)),
        "monitor the trades of US members, with their price",
    ),
)
"""The three use cases, in the prototype's order."""


def use_case(name: str) -> UseCase | None:
    """The use case called ``name``, or ``None``."""
    return next((item for item in USE_CASES if item.name == name), None)
