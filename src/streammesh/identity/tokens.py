"""API tokens: issued to a principal with a role, shown once, stored only as a hash.

A secret is ``sm_`` + 32 random bytes (URL-safe base64). Because secrets are random and long,
an unsalted SHA-256 is enough to store them (nothing to brute-force, unlike passwords), and
it lets ``verify`` find the token by an indexed lookup; the final comparison is constant-time.

Creating and revoking a token is audited (``token.created``, ``token.revoked``: who, when, the
token's id, principal and role, never its secret) in the same transaction, so the change and
its entry on ``_mesh.events`` commit together; whoever holds a log relays it
(``ControlPlane.relay_events``, or the next server start).

A server verifies the same tokens thousands of times a second, so its store remembers tokens
it verified for a few seconds (``TokenStore(store, remember_s=...)``, :data:`SERVER_REMEMBER_S`
in ``streammesh up``). A revocation made in this process forgets every remembered token before
``revoke`` returns, so the revoked token is refused at once here; another process (a replica
behind a load balancer, the CLI's own process) refuses it within ``remember_s`` seconds.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.identity import tables
from streammesh.identity.errors import InvalidTokenRequest, TokenNotFound
from streammesh.identity.roles import Role
from streammesh.store import Generation, MetadataStore

SECRET_PREFIX = "sm_"
ADMIN_PRINCIPAL = "admin"
SYSTEM_ACTOR = "streammesh"
"""Who the audit names for tokens the platform issues itself (the first admin token)."""
_LOCK = "identity-tokens"
SERVER_REMEMBER_S = 5.0
"""How long a server trusts a token it verified before asking the store again: how late a
revocation made in another process may reach it."""
_REMEMBERED_MAX = 10_000
"""Tokens remembered at once per store; when full, the oldest are forgotten first."""


# A revocation in any ``TokenStore`` of this process (the REST API's, the web UI's) voids the
# tokens every one of them remembers.
_REVOCATIONS = Generation()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for."""

    name: str
    role: Role
    token_id: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A newly created token. ``secret`` exists only here: show it once, it is not stored."""

    token_id: str
    secret: str
    principal: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    description: str

    def info(self) -> TokenInfo:
        """The token as listed (everything but the secret)."""
        return TokenInfo(
            self.token_id,
            self.principal,
            self.role,
            self.description,
            self.created_at,
            self.expires_at,
            None,
        )


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: everything but the secret."""

    token_id: str
    principal: str
    role: Role
    description: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def active(self, now: datetime | None = None) -> bool:
        """Whether the token is neither revoked nor expired at ``now`` (default: now)."""
        moment = now or datetime.now(UTC)
        expired = self.expires_at is not None and self.expires_at <= moment
        return self.revoked_at is None and not expired

    def status(self, now: datetime | None = None) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.active(now) else "expired"

    def document(self) -> dict[str, Any]:
        """The JSON shape of the token in the REST API, ``--json`` output and the audit log
        (never the secret, which is not stored)."""

        def moment(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "id": self.token_id,
            "principal": self.principal,
            "role": self.role.value,
            "description": self.description,
            "created_at": moment(self.created_at),
            "expires_at": moment(self.expires_at),
            "revoked_at": moment(self.revoked_at),
            "active": self.active(),
        }


class TokenStore:
    """Tokens in the metadata store.

    Example:
        >>> tokens = TokenStore(open_store("sqlite:///meta.db"))
        >>> issued = tokens.create("ci-bot", Role.MEMBER, description="domain CI")
        >>> tokens.verify(issued.secret)
        Principal(name='ci-bot', role=<Role.MEMBER: 'member'>, token_id='...')
    """

    def __init__(self, store: MetadataStore, *, remember_s: float = 0.0) -> None:
        """Open the tokens of ``store``.

        Args:
            store: The metadata store holding the tokens.
            remember_s: Seconds to trust a verified token without asking the store again
                (0: ask every time). A revocation in this process ends that at once.
        """
        self._store = store
        self._audit = AuditLog(store)
        self._remember_s = remember_s
        # hash of the secret -> (principal, trusted until (monotonic), expiry (Unix
        # seconds, inf for none), revocations counted when it was read)
        self._remembered: dict[str, tuple[Principal, float, float, int]] = {}
        self._remembered_lock = threading.Lock()

    def create(
        self,
        principal: str,
        role: Role,
        *,
        expires_at: datetime | None = None,
        description: str = "",
        actor: str = SYSTEM_ACTOR,
    ) -> IssuedToken:
        """Issue a token for ``principal`` with ``role`` (audited as ``token.created`` by
        ``actor``).

        Raises:
            InvalidTokenRequest: empty principal, unknown role, naive or past ``expires_at``.
        """
        with self._store.write(_LOCK) as connection:
            issued = _insert(connection, principal, role, expires_at, description)
            self._record(connection, AuditAction.TOKEN_CREATED, issued.info(), actor)
            return issued

    def verify(self, secret: str) -> Principal | None:
        """The principal of an active token with this secret; ``None`` for an unknown,
        revoked or expired one (callers must not tell these apart to the outside)."""
        if not secret.startswith(SECRET_PREFIX):
            return None
        wanted = _hash(secret)
        remembered = self._recall(wanted)
        if remembered is not None:
            return remembered
        revocations = _REVOCATIONS.count  # before reading: a revocation after it voids this
        t = tables.tokens.c
        with self._store.read() as connection:
            row = connection.execute(
                sa.select(
                    t.id, t.principal, t.role, t.secret_hash, t.expires_at, t.revoked_at
                ).where(t.secret_hash == wanted)
            ).first()
        if row is None or not hmac.compare_digest(row.secret_hash, wanted):
            return None
        if row.revoked_at is not None or (
            row.expires_at is not None and row.expires_at <= datetime.now(UTC)
        ):
            return None
        principal = Principal(name=row.principal, role=Role(row.role), token_id=row.id)
        if self._remember_s > 0:
            expiry = math.inf if row.expires_at is None else row.expires_at.timestamp()
            until = time.monotonic() + self._remember_s
            with self._remembered_lock:
                while len(self._remembered) >= _REMEMBERED_MAX:
                    del self._remembered[next(iter(self._remembered))]
                self._remembered[wanted] = (principal, until, expiry, revocations)
        return principal

    def remembered(self, secret: str) -> Principal | None:
        """The principal of a token this store verified within ``remember_s`` seconds, without
        asking the store (``None``: not remembered; call :meth:`verify`)."""
        if self._remember_s <= 0 or not secret.startswith(SECRET_PREFIX):
            return None
        return self._recall(_hash(secret))

    def _recall(self, wanted: str) -> Principal | None:
        found = self._remembered.get(wanted)
        if found is None:
            return None
        principal, until, expiry, revocations = found
        if revocations != _REVOCATIONS.count or until <= time.monotonic() or expiry <= time.time():
            with self._remembered_lock:
                self._remembered.pop(wanted, None)
            return None
        return principal

    def principal_of(self, token_id: str) -> Principal | None:
        """The principal of the active token ``token_id``; ``None`` when it is unknown,
        revoked or expired (what a web UI session re-checks on every request)."""
        found = self.find(token_id)
        if found is None or not found.active():
            return None
        return Principal(name=found.principal, role=found.role, token_id=found.token_id)

    def revoke(self, token_id: str, *, actor: str = SYSTEM_ACTOR) -> TokenInfo:
        """Revoke a token at once, ending its web UI sessions too (audited as
        ``token.revoked`` by ``actor``). Revoking twice keeps the first revocation time and
        records nothing the second time.

        Returns:
            The token as it is now (revoked).

        Raises:
            TokenNotFound: no token has this id.
        """
        t = tables.tokens.c
        with self._store.write(_LOCK) as connection:
            before = _info(connection, token_id)
            if before is None:
                raise TokenNotFound(token_id)
            if before.revoked_at is not None:
                return before
            connection.execute(
                tables.tokens.update()
                .where(t.id == token_id, t.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            connection.execute(
                tables.sessions.delete().where(tables.sessions.c.token_id == token_id)
            )
            after = _info(connection, token_id)
            assert after is not None  # the row was just read and tokens are never deleted
            self._record(connection, AuditAction.TOKEN_REVOKED, after, actor, before=before)
        # Committed: every token remembered in this process is read from the store again.
        _REVOCATIONS.bump()
        return after

    def get(self, token_id: str) -> TokenInfo:
        """The token ``token_id`` (``TokenNotFound`` when there is none)."""
        found = self.find(token_id)
        if found is None:
            raise TokenNotFound(token_id)
        return found

    def find(self, token_id: str) -> TokenInfo | None:
        """The token ``token_id``, or ``None``."""
        with self._store.read() as connection:
            return _info(connection, token_id)

    def list(self) -> builtins.list[TokenInfo]:
        """Every token, oldest first, revoked and expired ones included."""
        t = tables.tokens.c
        with self._store.read() as connection:
            found = connection.execute(_SELECT_INFO.order_by(t.created_at, t.id)).all()
        return [_info_of(row) for row in found]

    def roles_of(self, principal: str) -> frozenset[Role]:
        """The roles ``principal`` holds through its active tokens (empty when none)."""
        now = datetime.now(UTC)
        return frozenset(
            role
            for role, expires in self.unrevoked_roles(principal)
            if expires is None or expires > now
        )

    def unrevoked_roles(self, principal: str) -> builtins.list[tuple[Role, datetime | None]]:
        """The role and expiry (``None``: none) of each token of ``principal`` that is not
        revoked, expired ones included: for a caller that judges the expiry itself, later."""
        t = tables.tokens.c
        with self._store.read() as connection:
            rows = connection.execute(
                sa.select(t.role, t.expires_at).where(
                    t.principal == principal, t.revoked_at.is_(None)
                )
            ).all()
        return [(Role(row.role), row.expires_at) for row in rows]

    def ensure_admin(self) -> IssuedToken | None:
        """Create the first platform-admin token of a store that has no tokens at all;
        ``None`` if it has some. Safe when several servers start on one store at once."""
        with self._store.write(_LOCK) as connection:
            if connection.scalar(sa.select(sa.func.count()).select_from(tables.tokens)):
                return None
            issued = _insert(
                connection,
                ADMIN_PRINCIPAL,
                Role.PLATFORM_ADMIN,
                None,
                "created at the first start of the mesh",
            )
            self._record(connection, AuditAction.TOKEN_CREATED, issued.info(), SYSTEM_ACTOR)
            return issued

    def _record(
        self,
        connection: sa.Connection,
        action: AuditAction,
        token: TokenInfo,
        actor: str,
        *,
        before: TokenInfo | None = None,
    ) -> None:
        self._audit.record(
            connection,
            AuditEntry(
                action,
                f"token:{token.token_id}",
                actor,
                before=None if before is None else before.document(),
                after=token.document(),
                note=f"{token.role.value} token of '{token.principal}'",
            ),
            at=datetime.now(UTC),
        )


_t = tables.tokens.c
_SELECT_INFO = sa.select(
    _t.id, _t.principal, _t.role, _t.description, _t.created_at, _t.expires_at, _t.revoked_at
)


def _info(connection: sa.Connection, token_id: str) -> TokenInfo | None:
    row = connection.execute(_SELECT_INFO.where(_t.id == token_id)).first()
    return None if row is None else _info_of(row)


def _info_of(row: sa.Row[Any, Any, Any, Any, Any, Any, Any]) -> TokenInfo:
    return TokenInfo(
        token_id=row.id,
        principal=row.principal,
        role=Role(row.role),
        description=row.description,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def _insert(
    connection: sa.Connection,
    principal: str,
    role: Role,
    expires_at: datetime | None,
    description: str,
) -> IssuedToken:
    if not principal.strip():
        raise InvalidTokenRequest("the principal name is empty")
    try:
        checked_role = Role(role)
    except ValueError as exc:
        choices = ", ".join(member.value for member in Role)
        raise InvalidTokenRequest(f"unknown role {role!r}; use one of {choices}") from exc
    now = datetime.now(UTC)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidTokenRequest("expires_at has no time zone; give an aware datetime")
        if expires_at <= now:
            raise InvalidTokenRequest(f"expires_at {expires_at.isoformat()} is in the past")
        try:
            expires_at = expires_at.astimezone(UTC)  # stored in UTC
        except OverflowError:
            raise InvalidTokenRequest(
                f"expires_at {expires_at.isoformat()} is beyond the year 9999 in UTC"
            ) from None
    token_id = secrets.token_hex(8)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    connection.execute(
        tables.tokens.insert().values(
            id=token_id,
            principal=principal,
            role=checked_role.value,
            secret_hash=_hash(secret),
            description=description,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return IssuedToken(token_id, secret, principal, checked_role, now, expires_at, description)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


__all__ = [
    "SERVER_REMEMBER_S",
    "SYSTEM_ACTOR",
    "IssuedToken",
    "Principal",
    "Role",
    "TokenInfo",
    "TokenStore",
]
