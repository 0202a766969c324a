"""Web UI sessions: a server-side session id sealed in an HttpOnly cookie, and CSRF tokens.

Signing in starts a session in the metadata store (:class:`streammesh.identity.SessionStore`:
a random id bound to the token's id, with an expiry). The cookie holds that id, encrypted and
authenticated with AES-GCM under a key the browser never sees, with an expiry and a random
CSRF seed; the token itself never leaves the sign-in request. Each request opens the cookie,
looks the session up and re-checks its token, so signing out (the row is deleted), the session
expiring, or the token being revoked ends the session at once, and a copy of an old cookie is
refused. Sessions live in the store, so any replica sharing the key serves any request.

The key comes from ``STREAMMESH_UI_SESSION_KEY`` (URL-safe base64 of 32 bytes; set the same
value on every replica) or is drawn at random when the app first needs it (sessions then end
when the process stops).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.exceptions import HTTPException
from starlette.requests import Request

from streammesh.errors import ConfigError
from streammesh.identity import SESSION_LIFETIME, Principal, SessionStore
from streammesh.server.context import server_context

SESSION_COOKIE = "streammesh_ui_session"
"""The sealed session."""
PRE_SESSION_COOKIE = "streammesh_ui_presession"
"""A random seed that binds the sign-in form's CSRF token to this browser."""
KEY_VARIABLE = "STREAMMESH_UI_SESSION_KEY"
SESSION_SECONDS = int(SESSION_LIFETIME.total_seconds())
# v2: the cookie carries a server-side session id, no longer the token (v1 cookies do not open).
_AAD = b"streammesh-ui-session-v2"
_NONCE_BYTES = 12


class SessionKeyInvalid(ConfigError):
    """``STREAMMESH_UI_SESSION_KEY`` is not URL-safe base64 of 32 bytes."""

    def __init__(self) -> None:
        super().__init__(
            f"{KEY_VARIABLE} must be URL-safe base64 of 32 random bytes; make one with "
            "\"python -c 'import secrets; print(secrets.token_urlsafe(32))'\""
        )


@dataclass(frozen=True, slots=True)
class Session:
    """An opened session cookie: the server-side session id it carries and its CSRF seed."""

    session_id: str
    csrf_seed: str
    expires_at: float


class SessionKeys:
    """Seals and opens session cookies and makes and checks CSRF tokens."""

    def __init__(self, secret: bytes) -> None:
        # Separate keys per use, derived from the one secret.
        self._sealing = AESGCM(hashlib.sha256(b"seal:" + secret).digest())
        self._signing = hashlib.sha256(b"csrf:" + secret).digest()

    @classmethod
    def from_environment(cls) -> SessionKeys:
        """Keys from ``STREAMMESH_UI_SESSION_KEY``, or random ones when it is unset.

        Raises:
            SessionKeyInvalid: the variable is set but is not base64 of 32 bytes.
        """
        configured = os.environ.get(KEY_VARIABLE)
        if not configured:
            return cls(secrets.token_bytes(32))
        try:
            secret = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
        except (binascii.Error, ValueError):
            raise SessionKeyInvalid() from None
        if len(secret) != 32:
            raise SessionKeyInvalid()
        return cls(secret)

    def seal(self, session_id: str, *, now: float | None = None) -> str:
        """A cookie value carrying ``session_id`` for :data:`SESSION_SECONDS`."""
        moment = time.time() if now is None else now
        payload = json.dumps(
            {"s": session_id, "c": secrets.token_urlsafe(16), "e": moment + SESSION_SECONDS}
        ).encode()
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = nonce + self._sealing.encrypt(nonce, payload, _AAD)
        return base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, value: str, *, now: float | None = None) -> Session | None:
        """The session in a cookie value; ``None`` when it was altered, made under another
        key, or has expired."""
        try:
            sealed = base64.urlsafe_b64decode(value.encode("ascii"))
            nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
            payload = json.loads(self._sealing.decrypt(nonce, body, _AAD))
            session = Session(str(payload["s"]), str(payload["c"]), float(payload["e"]))
        except (binascii.Error, ValueError, InvalidTag, KeyError, TypeError, UnicodeError):
            return None
        moment = time.time() if now is None else now
        return session if session.expires_at > moment else None

    def csrf_token(self, seed: str) -> str:
        """The CSRF token forms carry for a session (or pre-session) with ``seed``."""
        return hmac.new(self._signing, seed.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, seed: str, token: str) -> bool:
        """Whether ``token`` is the CSRF token of ``seed`` (constant-time)."""
        return bool(seed) and hmac.compare_digest(self.csrf_token(seed), token)


def session_store(request: Request) -> SessionStore:
    """The server-side sessions of the mesh serving ``request`` (503 without a control plane,
    as in an app built for the registry alone)."""
    plane = server_context(request).runtime.plane
    if plane is None:
        raise HTTPException(503, "the web UI is not available on this server")
    return SessionStore(plane.store)


def session_principal(request: Request, session: Session) -> Principal | None:
    """Who an opened cookie's session speaks for; ``None`` once it was signed out, expired,
    or its token is no longer active."""
    return session_store(request).principal(session.session_id)


__all__ = [
    "KEY_VARIABLE",
    "PRE_SESSION_COOKIE",
    "SESSION_COOKIE",
    "Session",
    "SessionKeyInvalid",
    "SessionKeys",
    "session_principal",
    "session_store",
]
