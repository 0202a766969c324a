"""The PostgreSQL engine: psycopg 3 connections whose every wait is bounded (see
:mod:`streammesh.store.timeouts`).

libpq bounds connecting (``connect_timeout``) and PostgreSQL bounds statements and lock waits
(``statement_timeout``, ``lock_timeout``), but neither bounds a server that stops answering
after a statement was sent: its host still acknowledges the packets, so TCP keepalives and
``tcp_user_timeout`` see nothing wrong, and psycopg waits for the reply forever. A
:class:`_AnsweredConnection` therefore drops its connection once the server has sent
nothing for ``reply_s``; the pool then replaces it, and the error becomes
``StoreUnavailable`` (503) like any lost connection.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from streammesh.store.timeouts import StoreTimeouts

RV = TypeVar("RV")

KEEPALIVE_IDLE_S = 10
"""An idle connection is probed after this long, then every :data:`KEEPALIVE_INTERVAL_S`."""
KEEPALIVE_INTERVAL_S = 5
KEEPALIVE_COUNT = 3


class ServerSilent(psycopg.OperationalError):
    """The server sent nothing for the connection's reply timeout; the connection is closed."""


class _AnsweredConnection(psycopg.Connection[Any]):
    """A connection that gives up on a server silent for :attr:`reply_s` (set right after
    ``connect``, whose own wait ``connect_timeout`` bounds)."""

    reply_s: float = float("inf")

    def wait(self, gen: PQGen[RV], *args: Any, **kwargs: Any) -> RV:
        """psycopg's wait for ``gen``, which raises :class:`ServerSilent` (and closes the
        connection) once the server has sent nothing for :attr:`reply_s`."""
        return super().wait(self._within(gen), *args, **kwargs)

    def _within(self, gen: PQGen[RV]) -> PQGen[RV]:
        # psycopg's wait resumes the generator with "nothing ready" every 0.1 s while the
        # socket is quiet, which is when the silence is measured; anything ready (a reply
        # arriving, room to send) starts it again, so a large result is never cut.
        silent_since = time.monotonic()
        try:
            state = next(gen)
            while True:
                ready = yield state
                now = time.monotonic()
                if ready:
                    silent_since = now
                elif now - silent_since >= self.reply_s:
                    self.close()  # mid-request: it cannot be used again
                    raise ServerSilent(
                        f"the server sent nothing for {self.reply_s:g} s (it does not answer)"
                    )
                state = gen.send(ready)
        except StopIteration as done:
            result: RV = done.value
            return result


def postgres_engine(url: URL, timeouts: StoreTimeouts, *, pooled: bool = True) -> Engine:
    """An engine for the PostgreSQL ``url`` whose waits are bounded by ``timeouts``.

    Args:
        url: A ``postgresql+psycopg`` URL.
        timeouts: The bounds (the server's, the CLI's, the readiness probe's).
        pooled: ``False`` opens a connection per use (the readiness probe's, which must not
            wait for a pool that busy requests hold).
    """
    connect_args: dict[str, Any] = {
        "connect_timeout": max(2, round(timeouts.connect_s)),
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE_S,
        "keepalives_interval": KEEPALIVE_INTERVAL_S,
        "keepalives_count": KEEPALIVE_COUNT,
        "tcp_user_timeout": round(timeouts.peer_gone_s * 1000),
    }
    settings = [
        f"-c {name}={round(seconds * 1000)}"
        for name, seconds in (
            ("statement_timeout", timeouts.statement_s),
            ("lock_timeout", timeouts.lock_s),
        )
        if seconds is not None
    ]
    if settings:
        given = url.query.get("options")
        given_text = " ".join(given) if isinstance(given, tuple) else given
        connect_args["options"] = " ".join([*([given_text] if given_text else []), *settings])
    options: dict[str, Any] = {"pool_pre_ping": True, "connect_args": connect_args}
    if pooled:
        options["pool_timeout"] = timeouts.checkout_s
    else:
        options["poolclass"] = NullPool
    engine = create_engine(url, **options)
    reply_s = timeouts.reply_s
    if reply_s is not None:

        @event.listens_for(engine, "do_connect")
        def _connect(
            _dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
        ) -> psycopg.Connection[Any]:
            connection = _AnsweredConnection.connect(*cargs, **cparams)
            connection.reply_s = reply_s
            return connection

    return engine
