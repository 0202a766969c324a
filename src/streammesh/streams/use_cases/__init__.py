"""The reference prototype's three stream applications, as ksqlDB scripts shipped with
streammesh: what ``streammesh demo`` runs and the UI offers as "Create an app from data
products".

Each use case is a script (``<name>.sql`` in this package) publishing its output as a data
product described by the descriptor file next to it (``<name>.yaml``; the query decides the
product's key, schema and upstreams). They read the demo's products
(``execution.stocktrades``, ``membership.users``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

__all__ = ["USE_CASES", "UseCase", "use_case"]


@dataclass(frozen=True, slots=True)
class UseCase:
    """One reference use case: a SQL script and the product it publishes.

    Attributes:
        name: The application's name (``trending-stocks``).
        title: A short title for people.
        description: What it computes and for whom, one or two sentences.
        product: The output product (``domain.product``).
        inputs: The data products it reads (``domain.product``).
    """

    name: str
    title: str
    description: str
    product: str
    inputs: tuple[str, ...]

    @property
    def file_stem(self) -> str:
        """The name of its files in this package (without suffix)."""
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
    return resources.files(__name__).joinpath(file).read_text(encoding="utf-8")


USE_CASES: tuple[UseCase, ...] = (
    UseCase(
        "trending-stocks",
        "Trending stocks",
        "The shares traded per stock symbol in 15-minute tumbling windows, updated as trades "
        "arrive: which stocks trade most right now.",
        "analytics.trending_stocks",
        ("execution.stocktrades",),
    ),
    UseCase(
        "high-value-trades",
        "High-value trades for review",
        "Trades above 500 USD a share and 2,500 shares, joined with the member who placed "
        "them (their region), for Risk to review.",
        "risk.high_value_trades",
        ("execution.stocktrades", "membership.users"),
    ),
    UseCase(
        "us-trades",
        "US trades for InfoSec",
        "Every trade placed by a member of the US region (REGION_1), joined with the member's "
        "profile, for InfoSec to monitor.",
        "infosec.us_trades",
        ("execution.stocktrades", "membership.users"),
    ),
)
"""The three use cases, in the prototype's order."""


def use_case(name: str) -> UseCase | None:
    """The use case called ``name``, or ``None``."""
    return next((item for item in USE_CASES if item.name == name), None)
