"""``AccessControl``: the data plane's question — may this principal read or write this product?

It only reads: an approved grant past its expiry already counts as gone here, before
:meth:`AccessService.expire_due` records the expiry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from streammesh.access import tables
from streammesh.access.errors import AccessDenied
from streammesh.access.model import AccessRequest, AccessState, Grant, request_from_row
from streammesh.identity import AccountKind, Role, TokenStore, accounts_table
from streammesh.store import MetadataStore

_REFERENCE = re.compile(r"^(?P<name>.+)\.v(?P<version>[1-9][0-9]*)$")


def split_reference(product: str) -> tuple[str, int] | None:
    """``("execution.stocktrades", 1)`` for ``"execution.stocktrades.v1"``; ``None`` for a
    reference without a version."""
    match = _REFERENCE.match(product)
    if match is None:
        return None
    return match["name"], int(match["version"])


class AccessControl:
    """Who may read and write which product version.

    Example:
        >>> access = AccessControl(store)
        >>> grant = access.check_read("fraud-detector", "execution.stocktrades.v1")
        >>> grant.classified
        False
    """

    def __init__(
        self, store: MetadataStore, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._tokens = TokenStore(store)

    def now(self) -> datetime:
        """The time grants and write permissions are judged at."""
        return self._clock()

    def read_grant(self, principal: str, product: str) -> Grant | None:
        """The active grant of ``principal`` on ``product`` (``<name>.v<N>``), or ``None``.

        With several (e.g. one without and one with classified fields), the one with
        classified fields wins.
        """
        return self.active_grant(self.approved(principal, product))

    def approved(self, principal: str, product: str) -> tuple[AccessRequest, ...]:
        """The approved requests of ``principal`` for ``product`` (``<name>.v<N>``), expired
        ones included: what :meth:`active_grant` judges against the clock, for a caller that
        keeps them while the store does not change."""
        parsed = split_reference(product)
        if parsed is None:
            return ()
        name, version = parsed
        r = tables.requests.c
        with self._store.read() as connection:
            rows = connection.execute(
                sa.select(tables.requests).where(
                    r.principal == principal,
                    r.product == name,
                    r.version == version,
                    r.state == AccessState.APPROVED.value,
                )
            ).all()
        return tuple(map(request_from_row, rows))

    def active_grant(self, approved: tuple[AccessRequest, ...]) -> Grant | None:
        """The grant of the best of ``approved`` active now (classified fields win)."""
        now = self._clock()
        active = [request for request in approved if request.active(now)]
        if not active:
            return None
        best = max(active, key=lambda request: (request.classified, request.decided_at))
        return best.grant()

    def check_read(self, principal: str, product: str) -> Grant:
        """The grant that lets ``principal`` read ``product``.

        Raises:
            AccessDenied: No active grant; the message names the command that requests one.
        """
        grant = self.read_grant(principal, product)
        if grant is None:
            raise AccessDenied(principal, product)
        return grant

    def check_write(self, principal: str, product: str, owning_team: str) -> None:
        """Let through a service account of ``owning_team``, or a principal holding an active
        platform-admin token.

        Raises:
            AccessDenied: Anyone else.
        """
        self.write_permission(principal, product, owning_team).check(self._clock())

    def write_permission(self, principal: str, product: str, owning_team: str) -> WritePermission:
        """Until when ``principal`` may write to ``product``, as the store says now: for a
        caller that keeps the answer while the store does not change and judges the expiry
        (of the platform-admin tokens it rests on) per write.

        Raises:
            AccessDenied: ``principal`` is neither a service account of ``owning_team`` nor
                holds an unexpired platform-admin token.
        """
        a = accounts_table.c
        with self._store.read() as connection:
            row = connection.execute(sa.select(a.kind, a.team).where(a.name == principal)).first()
        if (
            row is not None
            and row.kind == AccountKind.SERVICE_ACCOUNT.value
            and row.team == owning_team
        ):
            return WritePermission(principal, product, None)
        now = self._clock()
        expiries = [
            expires
            for role, expires in self._tokens.unrevoked_roles(principal)
            if role is Role.PLATFORM_ADMIN and (expires is None or expires > now)
        ]
        if not expiries:
            raise AccessDenied(principal, product, write=True)
        if None in expiries:
            return WritePermission(principal, product, None)
        return WritePermission(principal, product, max(e for e in expiries if e is not None))


@dataclass(frozen=True, slots=True)
class WritePermission:
    """That ``principal`` may write to ``product`` until ``until`` (``None``: until the
    store says otherwise)."""

    principal: str
    product: str
    until: datetime | None

    def check(self, now: datetime) -> None:
        """Raise ``AccessDenied`` when the permission has expired at ``now``."""
        if self.until is not None and self.until <= now:
            raise AccessDenied(self.principal, self.product, write=True)


__all__ = ["AccessControl", "WritePermission", "split_reference"]
