"""How long the metadata store may take, per use: requests are bounded, maintenance is not.

A PostgreSQL that accepts connections but never answers (its processes stopped, a host frozen,
a network that drops packets) must not hang a request: the server's engine bounds every step
(connecting, each statement on the server, each wait for a lock, each wait for the server's
reply, each wait for a pooled connection), and a step that runs out raises
``StoreUnavailable``, which the server answers with 503. Maintenance (``streammesh migrate``,
``keys rotate``, an in-process ``apply``, the CLI in general) may legitimately run long
statements, so it bounds only connecting and a peer that is gone (TCP keepalives and
``tcp_user_timeout``), as before. SQLite ignores these: its waits are its busy timeout.
"""

from __future__ import annotations

from dataclasses import dataclass

CONNECT_FLOOR_S = 2.0
"""libpq (and psycopg) wait at least 2 s for a connection, whatever is asked."""


@dataclass(frozen=True, slots=True)
class StoreTimeouts:
    """Bounds on the PostgreSQL store's waits, in seconds (``None``: no bound).

    Attributes:
        connect_s: Establishing a connection, login included (libpq ``connect_timeout``).
        statement_s: One statement on the server (PostgreSQL ``statement_timeout``).
        lock_s: One wait for a lock, the store's write locks included (``lock_timeout``).
        reply_s: The client waiting for the server's reply to one request (a statement, a
            commit) with nothing arriving: the connection is then dropped. The server
            enforces ``statement_s`` only while it runs; this bounds a server that does not.
        checkout_s: Waiting for a free connection of the pool.
        peer_gone_s: A connection whose packets the peer's host stopped acknowledging is
            dropped after this long (``tcp_user_timeout``; keepalives probe idle ones).
    """

    connect_s: float = 10.0
    statement_s: float | None = None
    lock_s: float | None = None
    reply_s: float | None = None
    checkout_s: float = 30.0
    peer_gone_s: float = 30.0

    @classmethod
    def for_requests(cls, bound_s: float) -> StoreTimeouts:
        """The bounds of a server whose requests answer 503 within ``bound_s + 3`` seconds
        when PostgreSQL does not answer: a pooled connection's check (``reply_s``) and one
        new connection (``connect_s``, libpq's shortest) at worst.

        A statement may run ``bound_s`` and wait ``bound_s - 1`` for a lock (another
        writer's transaction); the reply is awaited a second longer, so that a slow
        statement ends with PostgreSQL's own clear error rather than a dropped connection.

        Args:
            bound_s: The server's dependency timeout (``ServerSettings.dependency_timeout_s``).
        """
        return cls(
            connect_s=CONNECT_FLOOR_S,
            statement_s=bound_s,
            lock_s=max(1.0, bound_s - 1.0),
            reply_s=bound_s + 1.0,
            checkout_s=bound_s,
            peer_gone_s=2 * bound_s,
        )

    @property
    def bounded(self) -> bool:
        """Whether statements are bounded (a migration then needs a maintenance engine)."""
        return self.statement_s is not None or self.reply_s is not None


MAINTENANCE = StoreTimeouts()
"""The CLI's and the SDK's bounds: connecting and a gone peer only."""
PROBE = StoreTimeouts(
    connect_s=CONNECT_FLOOR_S, statement_s=2.0, reply_s=3.0, checkout_s=2.0, peer_gone_s=5.0
)
"""The bounds of ``MetadataStore.probe`` (``/readyz``'s store check)."""
