"""Catalog search latency over 10,000 data products, on SQLite (FTS5) and PostgreSQL.

Generates 10,000 realistic product versions (20 domains, 400 owners, 60 teams, 2-5 tags
each, schemas of ~10 fields with docs; 5 % deprecated, 2 % retired), loads them into a
catalog on a SQLite file in a temporary directory (and on PostgreSQL with ``--postgres``,
a throwaway server from ``tests/support/postgres.py``), then times a fixed, seeded mix of
queries through ``Catalog.search`` (single terms, two terms, prefixes, with a facet filter,
and the empty query) and reports ``search_p50``/``search_p95``/``search_p99`` in ms. Each
timed search returns its first page (20 hits) and the facet counts over every match. See
``benchmarks/README.md``.

    python benchmarks/catalog.py --quick --json
    python benchmarks/catalog.py --postgres
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# Standalone script: make the repository's ``tests.support`` importable.
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from streammesh.catalog import Catalog, CatalogEntry  # noqa: E402
from streammesh.products.descriptor import (  # noqa: E402
    Alignment,
    EventKind,
    QualityTier,
    SlaTier,
    Status,
)
from streammesh.schemas.base import SchemaField  # noqa: E402
from streammesh.store import open_store  # noqa: E402

BENCH = "catalog"
PRODUCTS = 10_000
TARGET_P95_MS = 50.0

DOMAINS = (
    "execution", "payments", "risk", "ledger", "customers", "marketing", "logistics",
    "inventory", "pricing", "fraud", "compliance", "treasury", "cards", "lending", "hr",
    "support", "identity", "catalog", "shipping", "analytics",
)  # fmt: skip
NOUNS = (
    "trades", "orders", "fills", "quotes", "payments", "refunds", "invoices", "accounts",
    "balances", "positions", "exposures", "limits", "alerts", "customers", "profiles",
    "addresses", "sessions", "clicks", "campaigns", "shipments", "parcels", "stock",
    "prices", "discounts", "claims", "transactions", "transfers", "settlements", "loans",
    "applications", "employees", "tickets", "logins", "devices", "products", "reviews",
    "deliveries", "returns", "events", "metrics",
)  # fmt: skip
QUALIFIERS = (
    "daily", "realtime", "enriched", "raw", "eu", "us", "apac", "retail", "wholesale",
    "card", "sepa", "wire", "mobile", "web", "intraday", "hourly", "validated", "flagged",
)  # fmt: skip
TAGS = (
    "trades", "equities", "fixed-income", "fx", "pii", "gdpr", "finance", "risk", "sales",
    "marketing", "ops", "realtime", "batch", "reference-data", "master-data", "kpi", "audit",
    "regulatory", "customer", "fraud", "mobile", "web", "b2b", "b2c", "legacy", "ml",
    "features", "reporting", "billing", "sepa", "cards", "loans", "shipping", "inventory",
    "support", "hr", "security", "telemetry", "pricing", "catalog",
)  # fmt: skip
FIRST = ("ada", "grace", "alan", "edsger", "barbara", "donald", "margaret", "ken", "dennis",
         "frances", "john", "radia", "tim", "vint", "leslie", "niklaus", "shafi", "judea",
         "yukihiro", "guido")  # fmt: skip
LAST = ("lovelace", "hopper", "turing", "dijkstra", "liskov", "knuth", "hamilton", "thompson",
        "ritchie", "allen", "backus", "perlman", "berners", "cerf", "lamport", "wirth",
        "goldwasser", "pearl", "matsumoto", "rossum")  # fmt: skip
FIELDS = (
    ("id", "string", "Unique identifier of the record, assigned by the source system."),
    ("account_id", "string", "Account the event belongs to."),
    ("customer_id", "string", "Customer identifier, pseudonymised."),
    ("amount", "double", "Amount in the currency of the record."),
    ("currency", "string", "ISO 4217 currency code."),
    ("price", "double", "Unit price at the time of the event."),
    ("quantity", "long", "Number of units."),
    ("isin", "string", "ISIN of the instrument traded."),
    ("venue", "string", "Market identifier code (ISO 10383) of the execution venue."),
    ("status", "string", "Processing status reported by the source."),
    ("country", "string", "ISO 3166 country code of the customer."),
    ("email", "string", "Contact e-mail address; personal data."),
    ("created_at", "long", "When the record was created, epoch milliseconds UTC."),
    ("updated_at", "long", "When the record last changed, epoch milliseconds UTC."),
    ("channel", "string", "Sales channel: web, mobile, branch or partner."),
    ("risk_score", "double", "Model score between 0 and 1; higher is riskier."),
    ("merchant.name", "string", "Merchant's trading name."),
    ("merchant.mcc", "string", "Merchant category code."),
    ("legs[].price", "double", "Price of each leg of the trade."),
    ("legs[].side", "string", "Buy or sell."),
    ("warehouse_id", "string", "Warehouse that handled the item."),
    ("tracking_number", "string", "Carrier tracking number of the parcel."),
)
DESCRIPTIONS = (
    "Every {noun} event from the {domain} systems, one event per change, keyed by id.",
    "{Noun} as recorded by {domain}, enriched with reference data and validated.",
    "Aggregated {noun} per account and day, for reporting and reconciliation.",
    "Near real-time feed of {noun} used by downstream {domain} consumers.",
    "Curated {noun} with late corrections applied; the authoritative source for {domain}.",
)


def generate(count: int, seed: int = 7) -> list[CatalogEntry]:
    """``count`` distinct, plausible product versions (deterministic for ``seed``)."""
    rng = random.Random(seed)
    owners = [(f"{f.title()} {s.title()}", f"{f}.{s}@example.com") for f in FIRST for s in LAST]
    teams = [f"{d}-{s}" for d in DOMAINS for s in ("core", "platform", "analytics")]
    made: list[CatalogEntry] = []
    seen: set[str] = set()
    while len(made) < count:
        domain = rng.choice(DOMAINS)
        noun = rng.choice(NOUNS)
        product = f"{rng.choice(QUALIFIERS)}_{noun}" if rng.random() < 0.8 else noun
        name = f"{domain}.{product}"
        suffix = 2
        while name in seen:
            name = f"{domain}.{product}_{suffix}"
            suffix += 1
        seen.add(name)
        owner_name, owner_email = rng.choice(owners)
        roll = rng.random()
        status = (
            Status.RETIRED if roll < 0.02 else Status.DEPRECATED if roll < 0.07 else
            Status.DRAFT if roll < 0.12 else Status.PUBLISHED
        )  # fmt: skip
        fields = rng.sample(FIELDS, rng.randint(8, 12))
        made.append(
            CatalogEntry(
                name=name,
                domain=domain,
                owner_name=owner_name,
                owner_email=owner_email,
                team=rng.choice([t for t in teams if t.startswith(domain)]),
                description=rng.choice(DESCRIPTIONS).format(
                    noun=noun, Noun=noun.title(), domain=domain
                ),
                tags=tuple(rng.sample(TAGS, rng.randint(2, 5))),
                quality=rng.choice(list(QualityTier)),
                sla_tier=rng.choice(list(SlaTier)),
                alignment=rng.choice(list(Alignment)),
                kind=rng.choice(list(EventKind)),
                status=status,
                version=1,
                topic=f"{name}.v1",
                fields=tuple(SchemaField(path, type_, doc) for path, type_, doc in fields),
            )
        )
    return made


Search = Callable[[Catalog], object]


def query_mix(count: int, seed: int = 11) -> list[tuple[str, Search]]:
    """``count`` (kind, search) pairs drawn from realistic query shapes."""
    rng = random.Random(seed)
    shapes: list[Callable[[], tuple[str, Search]]] = [
        lambda: _q("single_term", rng.choice(NOUNS)),
        lambda: _q("single_term", rng.choice(LAST)),
        lambda: _q("two_terms", f"{rng.choice(DOMAINS)} {rng.choice(NOUNS)}"),
        lambda: _q("two_terms", f"{rng.choice(QUALIFIERS)} {rng.choice(NOUNS)}"),
        lambda: _q("prefix", rng.choice(NOUNS)[:3]),
        lambda: _q("prefix", rng.choice(NOUNS)[:5]),
        lambda: _q("field_doc", rng.choice(("isin", "currency", "tracking", "merchant"))),
        lambda: _q("facet", rng.choice(NOUNS), domain=rng.choice(DOMAINS)),
        lambda: _q("facet", rng.choice(NOUNS), tags=rng.choice(TAGS)),
        lambda: _q("facet", rng.choice(NOUNS)[:4], sla_tier=1, quality="authoritative"),
        lambda: _q("empty", ""),
    ]
    return [rng.choice(shapes)() for _ in range(count)]


def _q(kind: str, text: str, **filters: Any) -> tuple[str, Search]:
    return kind, lambda catalog: catalog.search(text, **filters)


def measure(catalog: Catalog, queries: list[tuple[str, Search]]) -> list[float]:
    """Latency (ms) of each query, after one untimed pass of the first 20 (warm caches)."""
    for _kind, search in queries[:20]:
        search(catalog)
    timings = []
    for _kind, search in queries:
        started = time.perf_counter()
        search(catalog)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


@contextmanager
def store_url(backend: str, stack: ExitStack) -> Iterator[str]:
    """A fresh store URL for ``backend``."""
    if backend == "sqlite":
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="catalog-bench-")))
        yield f"sqlite:///{workdir / 'meta.db'}"
        return
    from tests.support.postgres import EmbeddedPostgres

    server = stack.enter_context(EmbeddedPostgres())
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


def run_backend(
    backend: str, products: list[CatalogEntry], queries: list[tuple[str, Search]], log: Console
) -> dict[str, float]:
    """Load ``products`` into a fresh catalog on ``backend`` and time ``queries``."""
    with ExitStack() as stack, store_url(backend, stack) as url:
        store = stack.enter_context(open_store(url))
        catalog = Catalog(store)
        started = time.perf_counter()
        for start in range(0, len(products), 1000):
            catalog.upsert_many(products[start : start + 1000])
        load_s = time.perf_counter() - started
        log.print(f"{backend}: loaded {len(products):,} products in {load_s:.1f} s")
        sanity = catalog.search("stoc")
        if sanity.total == 0:  # type: ignore[attr-defined]
            raise SystemExit(f"{backend}: the prefix query 'stoc' found nothing")
        timings = measure(catalog, queries)
        return {
            "search_p50": percentile(timings, 50),
            "search_p95": percentile(timings, 95),
            "search_p99": percentile(timings, 99),
            "search_mean": statistics.fmean(timings),
            "load_seconds": load_s,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="300 queries instead of 2,000")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout")
    parser.add_argument("--postgres", action="store_true", help="also measure PostgreSQL")
    parser.add_argument("--products", type=int, default=PRODUCTS)
    args = parser.parse_args(argv)

    log = Console(stderr=True)
    products = generate(args.products)
    queries = query_mix(300 if args.quick else 2000)
    backends = ["sqlite", *(["postgresql"] if args.postgres else [])]
    results = {backend: run_backend(backend, products, queries, log) for backend in backends}

    units = {"load_seconds": "s"}
    if args.json:
        for backend, metrics in results.items():
            for metric, value in metrics.items():
                row = {
                    "bench": BENCH,
                    "metric": metric,
                    "backend": backend,
                    "value": round(value, 3),
                    "unit": units.get(metric, "ms"),
                }
                print(json.dumps(row))
    else:
        table = Table(
            title=f"catalog search over {args.products:,} products ({len(queries)} queries)"
        )
        table.add_column("metric")
        for backend in backends:
            table.add_column(backend, justify="right")
        for metric in next(iter(results.values())):
            unit = units.get(metric, "ms")
            table.add_row(f"{metric} ({unit})", *(f"{results[b][metric]:.2f}" for b in backends))
        Console().print(table)
    missed = [b for b, m in results.items() if m["search_p95"] >= TARGET_P95_MS]
    if missed:
        log.print(f"p95 target ({TARGET_P95_MS} ms) missed on: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
