"""The demo's live traffic: a generator thread per product version producing events through
the SDK, and a consumer thread per application and product reading them.

Producers and consumers act as their service accounts, so the mesh checks their grants,
encrypts classified fields on the way in and decrypts (or masks) them on the way out, exactly
as for any other application.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from streammesh.dataplane import UnreadableEvent
from streammesh.demo.cast import APPLICATIONS
from streammesh.demo.generators import EventFactory, event_factory, now
from streammesh.demo.postgres import DemoPostgres, DemoPostgresError, OrdersTable
from streammesh.demo.products import ORDERS, PRODUCTS, DemoProduct
from streammesh.errors import MeshError
from streammesh.log import ConsumerOptions
from streammesh.sdk import InProcessMesh

_LOGGER = logging.getLogger(__name__)
FLUSH_EVERY_S = 1.0
"""How often generators flush: events are durable within a second, in batches."""
POLL_TIMEOUT_S = 0.5
"""How long a consumer waits for events; also how quickly it notices the stop."""
CONSUMER_OPTIONS = ConsumerOptions(session_timeout_ms=6_000, heartbeat_interval_ms=500)
"""On Kafka, a short session lets a restarted demo's groups rejoin in seconds, not ~45 s."""


@dataclass(frozen=True, slots=True)
class TrafficReport:
    """What the traffic did while it ran.

    Attributes:
        produced: Events produced per product version.
        consumed: Events read per (application, product version).
        failures: What stopped a thread early, one line each.
    """

    produced: dict[str, int]
    consumed: dict[tuple[str, str], int]
    failures: tuple[str, ...]


class Traffic:
    """Background producers and consumers over one opened mesh; :meth:`stop` ends them.

    Example:
        >>> traffic = Traffic(mesh, rate=2.0)  # doctest: +SKIP
        >>> traffic.start()  # doctest: +SKIP
        >>> report = traffic.stop()  # doctest: +SKIP
    """

    def __init__(
        self,
        mesh: InProcessMesh,
        *,
        rate: float,
        seed: int | None = None,
        postgres: DemoPostgres | None = None,
    ) -> None:
        """Args:
        mesh: The opened mesh (its services are shared by every thread).
        rate: Events per second per product version.
        seed: Seeds the generators, for repeatable events.
        postgres: When given, orders are written to its ``orders`` table (for the CDC
            connector to capture) once it is ready, instead of produced; produced after all
            when it fails to start.
        """
        self._mesh = mesh
        self._postgres = postgres
        self._interval = 1.0 / rate
        self._rng = random.Random(seed)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._produced: Counter[str] = Counter()
        self._consumed: Counter[tuple[str, str]] = Counter()
        self._failures: list[str] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every generator and consumer thread."""
        for product in PRODUCTS:
            self._spawn(f"generate {product.reference}", partial(self._generate, product))
        for app in APPLICATIONS:
            for reference in app.reads:
                work = partial(self._consume, app.name, reference)
                self._spawn(f"{app.name} reads {reference}", work)

    def stop(self, timeout: float = 10.0) -> TrafficReport:
        """Stop the threads (generators flush, consumers commit) and report what they did."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return TrafficReport(dict(self._produced), dict(self._consumed), tuple(self._failures))

    def _spawn(self, name: str, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            except MeshError as exc:
                # A user-visible failure of one application must not take the demo down.
                _LOGGER.warning("demo thread %r stopped: %s", name, exc)
                with self._lock:
                    self._failures.append(f"{name}: {exc}")

        thread = threading.Thread(target=run, name=f"demo: {name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _as(self, principal: str) -> InProcessMesh:
        return InProcessMesh(self._mesh.local, actor=principal, principal=principal)

    def _generate(self, product: DemoProduct) -> None:
        make = event_factory(product)
        rng = random.Random(self._rng.random())
        if product is ORDERS and self._postgres is not None:
            while not self._postgres.ready.wait(POLL_TIMEOUT_S):
                if self._stopping.is_set():
                    return
            if self._postgres.url is not None:
                self._write_orders(make, rng, OrdersTable(self._postgres.url))
                return
        flushed = time.monotonic()
        with self._as(product.producer).producer(product.reference) as producer:
            while not self._stopping.wait(self._interval * rng.uniform(0.5, 1.5)):
                producer.send(make(rng, now()))
                with self._lock:
                    self._produced[product.reference] += 1
                if time.monotonic() - flushed >= FLUSH_EVERY_S:
                    producer.flush()
                    flushed = time.monotonic()
            producer.flush()

    def _write_orders(self, make: EventFactory, rng: random.Random, table: OrdersTable) -> None:
        """Insert and update orders in the table: the CDC connector makes them events."""
        try:
            while not self._stopping.wait(self._interval * rng.uniform(0.5, 1.5)):
                table.write(make(rng, now()))
                with self._lock:
                    self._produced[f"{ORDERS.reference} (table public.orders)"] += 1
        except Exception as exc:  # psycopg2's errors: the database went away
            raise DemoPostgresError(f"writing orders: {exc}") from None
        finally:
            table.close()

    def _consume(self, application: str, reference: str) -> None:
        as_app = self._as(application)
        with as_app.consumer(reference, application, options=CONSUMER_OPTIONS) as consumer:
            committed = time.monotonic()
            while not self._stopping.is_set():
                try:
                    event = consumer.poll(POLL_TIMEOUT_S)
                except UnreadableEvent as exc:
                    # Like a real application: skip (it counts as read) and carry on; a mesh
                    # directory can hold records written to the topic before it was a product.
                    _LOGGER.warning("%s skipped an unreadable event: %s", application, exc)
                    continue
                if event is not None:
                    with self._lock:
                        self._consumed[(application, reference)] += 1
                if time.monotonic() - committed >= FLUSH_EVERY_S:
                    consumer.commit()
                    committed = time.monotonic()
            consumer.commit()
