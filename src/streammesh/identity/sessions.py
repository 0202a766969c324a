"""Web UI sessions kept in the metadata store, so that signing out ends them for good.

A session is a random id bound to the token the user signed in with. The browser holds the
id only inside the UI's sealed cookie; the store keeps a SHA-256 of it (like token secrets),
the token's id and an expiry. Every page request looks the session up and re-checks the
token, so a session ends when it is signed out (its row is deleted), when it expires, or when
its token is revoked or expires. Any server replica on the same store sees the same sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from streammesh.identity import tables
from streammesh.identity.tokens import Principal, TokenStore
from streammesh.store import MetadataStore

SESSION_LIFETIME = timedelta(hours=12)
"""How long a session lasts after sign-in (the cookie's own expiry is the same)."""
_LOCK = "identity-sessions"


class SessionStore:
    """Server-side sessions of the web UI.

    Example:
        >>> sessions = SessionStore(store)
        >>> session_id = sessions.start(principal.token_id)
        >>> sessions.principal(session_id)
        Principal(name='ada', role=<Role.MEMBER: 'member'>, token_id='...')
        >>> sessions.end(session_id)
        True
    """

    def __init__(
        self,
        store: MetadataStore,
        *,
        lifetime: timedelta = SESSION_LIFETIME,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._tokens = TokenStore(store)
        self._lifetime = lifetime
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def lifetime(self) -> timedelta:
        """How long a new session lasts."""
        return self._lifetime

    def start(self, token_id: str) -> str:
        """Start a session for the token ``token_id`` and return its id (the caller seals it
        into the cookie; it is not stored). Expired sessions are cleared on the way."""
        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        s = tables.sessions.c
        with self._store.write(_LOCK) as connection:
            connection.execute(tables.sessions.delete().where(s.expires_at <= now))
            connection.execute(
                tables.sessions.insert().values(
                    id_hash=_hash(session_id),
                    token_id=token_id,
                    created_at=now,
                    expires_at=now + self._lifetime,
                )
            )
        return session_id

    def principal(self, session_id: str) -> Principal | None:
        """Who the session speaks for; ``None`` when it was ended, has expired, or its token
        is no longer active."""
        s = tables.sessions.c
        with self._store.read() as connection:
            row = connection.execute(
                sa.select(s.token_id, s.expires_at).where(s.id_hash == _hash(session_id))
            ).first()
        if row is None or row.expires_at <= self._clock():
            return None
        return self._tokens.principal_of(row.token_id)

    def end(self, session_id: str) -> bool:
        """End the session at once; whether there was one to end."""
        s = tables.sessions.c
        with self._store.write(_LOCK) as connection:
            deleted = connection.execute(
                tables.sessions.delete().where(s.id_hash == _hash(session_id))
            )
        return bool(deleted.rowcount)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


__all__ = ["SESSION_LIFETIME", "SessionStore"]
