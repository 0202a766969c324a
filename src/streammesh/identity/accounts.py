"""Accounts: the user and service-account principals of the mesh.

A principal is who a token speaks for. Users are people; a service account is one
application (a producer, a consumer group, a stream processor) and belongs to exactly one
team, the team that runs it. Teams themselves are the control plane's registered teams
(``streammesh teams create``), so they are not stored again here. A token may be issued to any
principal name; an account is what access grants and write rights are attached to.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.control import teams_table
from streammesh.identity import tables
from streammesh.identity.errors import AccountExists, AccountNotFound, InvalidAccount
from streammesh.products import check_segment
from streammesh.store import MetadataStore

ACCOUNTS_LOCK = "identity-accounts"


class AccountKind(StrEnum):
    """What a principal is."""

    USER = "user"
    SERVICE_ACCOUNT = "service-account"
    TEAM = "team"
    """A registered team (listed with the principals; created with ``streammesh teams``)."""


@dataclass(frozen=True, slots=True)
class Account:
    """A principal as stored.

    Attributes:
        name: The principal name tokens are issued to (``User:<name>`` on Kafka).
        kind: User, service account, or team.
        team: The team a service account (required) or user (optional) belongs to.
    """

    name: str
    kind: AccountKind
    team: str | None
    description: str
    created_at: datetime
    created_by: str

    def document(self) -> dict[str, Any]:
        """The JSON shape of the account in the REST API and ``--json`` output."""
        return {
            "name": self.name,
            "kind": self.kind.value,
            "team": self.team,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


class AccountStore:
    """Users and service accounts in the metadata store.

    Example:
        >>> accounts = AccountStore(store)
        >>> accounts.create("fraud-detector", AccountKind.SERVICE_ACCOUNT, team="risk",
        ...                 actor="admin")
    """

    def __init__(
        self, store: MetadataStore, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._audit = AuditLog(store)

    def create(
        self,
        name: str,
        kind: AccountKind,
        *,
        team: str | None = None,
        description: str = "",
        actor: str,
    ) -> Account:
        """Create a user or service account (audited as ``account.created``).

        Raises:
            InvalidAccount: A bad name, a team kind, a service account without a team, or a
                team that is not registered.
            AccountExists: An account of that name exists.
        """
        problem = check_segment("account", name)
        if problem is not None:
            raise InvalidAccount(name, problem)
        if kind is AccountKind.TEAM:
            raise InvalidAccount(name, "teams are registered with 'streammesh teams create'")
        if kind is AccountKind.SERVICE_ACCOUNT and not team:
            raise InvalidAccount(name, "a service account belongs to a team; give --team")
        now = self._clock()
        with self._store.write(ACCOUNTS_LOCK) as connection:
            if team is not None and not _team_exists(connection, team):
                raise InvalidAccount(
                    name, f"team '{team}' is not registered; 'streammesh teams create {team}'"
                )
            if _row(connection, name) is not None:
                raise AccountExists(name)
            account = Account(name, kind, team, description, now, actor)
            connection.execute(
                tables.accounts.insert().values(
                    name=name,
                    kind=kind.value,
                    team=team,
                    description=description,
                    created_at=now,
                    created_by=actor,
                )
            )
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.ACCOUNT_CREATED,
                    f"principal:{name}",
                    actor,
                    after=account.document(),
                ),
                at=now,
            )
        return account

    def get(self, name: str) -> Account:
        """The account ``name`` (``AccountNotFound`` when there is none)."""
        found = self.find(name)
        if found is None:
            raise AccountNotFound(name)
        return found

    def find(self, name: str) -> Account | None:
        """The account ``name``, or ``None``."""
        with self._store.read() as connection:
            return _row(connection, name)

    def list(self, *, kind: AccountKind | None = None) -> builtins.list[Account]:
        """Every principal by name: accounts, and registered teams as ``team`` principals."""
        a = tables.accounts.c
        t = teams_table.c
        with self._store.read() as connection:
            rows = connection.execute(sa.select(tables.accounts).order_by(a.name)).all()
            teams = connection.execute(
                sa.select(t.name, t.description, t.created_at, t.created_by)
            ).all()
        found = [_account(row) for row in rows]
        found += [
            Account(row.name, AccountKind.TEAM, row.name, row.description or "",
                    row.created_at, row.created_by)
            for row in teams
        ]  # fmt: skip
        return sorted(
            (account for account in found if kind is None or account.kind is kind),
            key=lambda account: (account.name, account.kind.value),
        )


def _team_exists(connection: Connection, team: str) -> bool:
    t = teams_table.c
    return connection.scalar(sa.select(t.name).where(t.name == team)) is not None


def _row(connection: Connection, name: str) -> Account | None:
    row = connection.execute(
        sa.select(tables.accounts).where(tables.accounts.c.name == name)
    ).first()
    return None if row is None else _account(row)


def _account(row: sa.Row[Any]) -> Account:
    return Account(
        row.name,
        AccountKind(row.kind),
        row.team,
        row.description,
        row.created_at,
        row.created_by,
    )


__all__ = ["ACCOUNTS_LOCK", "Account", "AccountKind", "AccountStore"]
