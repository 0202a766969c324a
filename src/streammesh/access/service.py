"""``AccessService``: request, approve, reject, revoke and expire access to product versions.

Every step is one transaction that changes the request's row and records its audit entry
(``access.*``); the control plane then relays it to ``_mesh.events``. When a Kafka ACL admin
is given, the grantee's ACL bindings follow each change (after the commit).
"""

from __future__ import annotations

import builtins
import dataclasses
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.access import tables
from streammesh.access.acl_bindings import AclBinding, acl_change, desired_bindings
from streammesh.access.authority import Caller, check_may_decide, check_may_request_as
from streammesh.access.errors import (
    AccessRefused,
    AccessRequestExists,
    AccessRequestNotFound,
    AccessStateError,
    InvalidAccessRequest,
    OutsideDomain,
)
from streammesh.access.model import AccessRequest, AccessState, Grant, request_from_row
from streammesh.access.scope import domain_scope
from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.control import ControlPlane, registered_team
from streammesh.identity import Account, AccountKind, AccountStore, InvalidAccount
from streammesh.log import LogError
from streammesh.products import Descriptor, Status
from streammesh.store import MetadataStore

ACCESS_LOCK = "access-requests"
AUTO_APPROVER = "policy:auto-approve"
EXPIRER = "policy:expiry"
_LOGGER = logging.getLogger(__name__)

_ACTIONS = {
    AccessState.REQUESTED: AuditAction.ACCESS_REQUESTED,
    AccessState.APPROVED: AuditAction.ACCESS_APPROVED,
    AccessState.REJECTED: AuditAction.ACCESS_REJECTED,
    AccessState.REVOKED: AuditAction.ACCESS_REVOKED,
    AccessState.EXPIRED: AuditAction.ACCESS_EXPIRED,
}


def has_classified_fields(descriptor: Descriptor) -> bool:
    """The default approval rule: a product with any classified field needs an owner's
    approval. It covers governance's ``requires_approval`` (pii and financial fields, or what
    a stricter policy protects): the issue auto-approves only products with no classified
    field at all."""
    return bool(descriptor.classifications)


class AclAdmin(Protocol):
    """Creates and deletes ACL bindings on the log (``streammesh.log.kafka.acls.KafkaAcls``)."""

    def create(self, bindings: builtins.list[AclBinding]) -> None: ...

    def delete(self, bindings: builtins.list[AclBinding]) -> None: ...


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """How requests are decided.

    Attributes:
        auto_approve_unclassified: Approve at once a request for a product that needs no
            approval.
        requires_approval: Whether a product needs its owners' approval.
    """

    auto_approve_unclassified: bool = True
    requires_approval: Callable[[Descriptor], bool] = has_classified_fields


class AccessService:
    """The access workflow of one mesh.

    Example:
        >>> access = AccessService(store, plane)
        >>> admin = Caller("admin", Role.PLATFORM_ADMIN)
        >>> request = access.request("execution.stocktrades", "fraud-detector",
        ...     purpose="score trades", classified=False, caller=admin)
        >>> request.state
        <AccessState.APPROVED: 'approved'>
    """

    def __init__(
        self,
        store: MetadataStore,
        plane: ControlPlane,
        *,
        policy: AccessPolicy | None = None,
        acls: AclAdmin | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._plane = plane
        self._policy = policy or AccessPolicy()
        self._acls = acls
        self._clock = clock or (lambda: datetime.now(UTC))
        self.accounts = AccountStore(store, clock=self._clock)
        """The mesh's user and service accounts."""
        self._audit = AuditLog(store)

    def create_account(
        self,
        name: str,
        kind: AccountKind,
        *,
        team: str | None,
        description: str,
        actor: str,
        caller: Caller | None = None,
    ) -> Account:
        """Create a user or service account and relay its audit entry (see
        :meth:`AccountStore.create` for the other errors).

        ``caller`` (``None``: the command line on a mesh directory, which may do anything)
        that is not governance or a platform admin creates accounts only in its own teams.

        Raises:
            InvalidAccount: A caller that is not mesh-wide gave no team.
            OutsideDomain: The team is not one of the caller's.
        """
        if caller is not None:
            scope = domain_scope(self._store, caller.name, caller.role)
            if not scope.mesh_wide:
                if team is None:
                    mine = ", ".join(sorted(scope.teams)) or "none"
                    raise InvalidAccount(name, f"give the account's team (yours: {mine})")
                if not scope.covers_team(team):
                    raise OutsideDomain(
                        caller.name,
                        "create an account in",
                        f"team:{team}",
                        self._team_domain(team),
                        sorted(scope.domains),
                    )
        account = self.accounts.create(name, kind, team=team, description=description, actor=actor)
        self._relay()
        return account

    def _team_domain(self, team: str) -> str:
        with self._store.read() as connection:
            found = registered_team(connection, team)
        return (found.domain if found is not None else None) or "none"

    def request(
        self, product: str, application: str, *, purpose: str, classified: bool, caller: Caller
    ) -> AccessRequest:
        """Ask for ``application`` (a service account) to read ``product`` (current version of
        a bare name); approved at once when the policy allows.

        Raises:
            ProductNotFound: No such product.
            AccessRefused: The product is deprecated or retired.
            InvalidAccessRequest: Empty purpose, or ``application`` is not a service account.
            AccountNotFound: No such principal.
            NotAllowedToDecide: ``caller`` may not ask for ``application``.
            AccessRequestExists: A pending request or an active grant covers it already.
        """
        if not purpose.strip():
            raise InvalidAccessRequest("the purpose is empty; say what the data is for")
        record = self._plane.product(product)
        account = self.accounts.get(application)
        if account.kind is not AccountKind.SERVICE_ACCOUNT:
            raise InvalidAccessRequest(
                f"'{application}' is a {account.kind.value}; access is granted to applications "
                "(service accounts)"
            )
        check_may_request_as(caller, self.accounts.find(caller.name), account, record.reference)
        if record.status in (Status.DEPRECATED, Status.RETIRED):
            replacement = record.deprecation.replacement if record.deprecation else None
            raise AccessRefused(
                record.reference, record.status.value, replacement or record.replaced_by
            )
        now = self._clock()
        automatic = self._policy.auto_approve_unclassified and not self._policy.requires_approval(
            record.descriptor
        )
        with self._store.write(ACCESS_LOCK) as connection:
            before = self._grants_of(connection, application, now)
            for existing in _requests(connection, principal=application, product=record.name):
                covers = existing.classified or not classified
                pending = existing.state is AccessState.REQUESTED
                if (
                    existing.version == record.version
                    and covers
                    and (pending or existing.active(now))
                ):
                    raise AccessRequestExists(
                        application, record.reference, existing.id, existing.state.value
                    )
            created = AccessRequest(
                id=secrets.token_hex(8),
                principal=application,
                product=record.name,
                version=record.version,
                purpose=purpose,
                classified=classified,
                state=AccessState.REQUESTED,
                requested_at=now,
                requested_by=caller.name,
            )
            self._save(connection, created, None, caller.name, now, insert=True)
            result = created
            if automatic:
                result = _replace(
                    created, state=AccessState.APPROVED, decided_at=now, decided_by=AUTO_APPROVER
                )
                self._save(connection, result, created, AUTO_APPROVER, now)
            after = self._grants_of(connection, application, now)
        self._after_change(desired_bindings(before), desired_bindings(after))
        return result

    def approve(
        self,
        request_id: str,
        *,
        caller: Caller,
        note: str | None = None,
        expires_at: datetime | None = None,
    ) -> AccessRequest:
        """Approve a pending request; the grant lasts until ``expires_at`` (or revocation)."""
        now = self._clock()
        if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
            raise InvalidAccessRequest("the expiry must be a time-zone aware moment in the future")
        return self._decide(
            request_id,
            caller,
            "approve",
            {AccessState.REQUESTED},
            lambda r: _replace(
                r,
                state=AccessState.APPROVED,
                decided_at=now,
                decided_by=caller.name,
                note=note,
                expires_at=expires_at,
            ),
        )

    def reject(self, request_id: str, *, caller: Caller, note: str | None = None) -> AccessRequest:
        """Reject a pending request."""
        now = self._clock()
        return self._decide(
            request_id,
            caller,
            "reject",
            {AccessState.REQUESTED},
            lambda r: _replace(
                r, state=AccessState.REJECTED, decided_at=now, decided_by=caller.name, note=note
            ),
        )

    def revoke(self, grant_id: str, *, caller: Caller, note: str | None = None) -> AccessRequest:
        """Revoke an approved grant at once."""
        now = self._clock()
        return self._decide(
            grant_id,
            caller,
            "revoke",
            {AccessState.APPROVED},
            lambda r: _replace(
                r,
                state=AccessState.REVOKED,
                ended_at=now,
                ended_by=caller.name,
                note=note if note is not None else r.note,
            ),
        )

    def expire_due(self) -> builtins.list[AccessRequest]:
        """Record as expired every approved grant past its expiry; returns them."""
        now = self._clock()
        expired = []
        r = tables.requests.c
        with self._store.write(ACCESS_LOCK) as connection:
            due = connection.execute(
                sa.select(tables.requests).where(
                    r.state == AccessState.APPROVED.value,
                    r.expires_at.is_not(None),
                    r.expires_at <= now,
                )
            ).all()
            for row in due:
                request = request_from_row(row)
                ended = _replace(request, state=AccessState.EXPIRED, ended_at=now, ended_by=EXPIRER)
                self._save(connection, ended, request, EXPIRER, now)
                expired.append(request)
            # Past their expiry the grants are inactive already: what remains is "after".
            remaining = {
                principal: self._grants_of(connection, principal, now)
                for principal in {request.principal for request in expired}
            }
        if not expired:
            return []
        for principal, after in remaining.items():
            stale = [request.grant() for request in expired if request.principal == principal]
            self._after_change(desired_bindings([*after, *stale]), desired_bindings(after))
        return [
            _replace(request, state=AccessState.EXPIRED, ended_at=now, ended_by=EXPIRER)
            for request in expired
        ]

    def get(self, request_id: str) -> AccessRequest:
        """One request (``AccessRequestNotFound`` when unknown)."""
        with self._store.read() as connection:
            return _one(connection, request_id)

    def list(
        self,
        *,
        product: str | None = None,
        state: AccessState | None = None,
        principal: str | None = None,
    ) -> builtins.list[AccessRequest]:
        """Requests, oldest first, after recording the expiries that are due. ``product`` is a
        name (every version) or ``<name>.v<N>``."""
        self.expire_due()
        with self._store.read() as connection:
            found = _requests(connection, principal=principal)
        return [
            request
            for request in found
            if (state is None or request.state is state)
            and (product is None or product in (request.product, request.reference))
        ]

    def _decide(
        self,
        request_id: str,
        caller: Caller,
        action: str,
        allowed: set[AccessState],
        change: Callable[[AccessRequest], AccessRequest],
    ) -> AccessRequest:
        current = self.get(request_id)
        record = self._plane.product(current.reference)
        check_may_decide(
            caller,
            self.accounts.find(caller.name),
            record.descriptor.team,
            action,
            current.reference,
        )
        # The access rule proper (a domain owner of the owning team) and then the rule every
        # change of a domain follows: its team must be of the product's domain, which guards
        # against a team registered under another domain than its products'.
        domain_scope(self._store, caller.name, caller.role).check(
            record.descriptor.domain, f"{action} access to", current.reference
        )
        now = self._clock()
        with self._store.write(ACCESS_LOCK) as connection:
            current = _one(connection, request_id)
            if current.state not in allowed:
                raise AccessStateError(request_id, current.state.value, action)
            before = self._grants_of(connection, current.principal, now)
            updated = change(current)
            self._save(connection, updated, current, caller.name, now)
            after = self._grants_of(connection, current.principal, now)
        self._after_change(desired_bindings(before), desired_bindings(after))
        return updated

    @staticmethod
    def _grants_of(connection: Connection, principal: str, now: datetime) -> builtins.list[Grant]:
        return [
            request.grant()
            for request in _requests(connection, principal=principal)
            if request.active(now)
        ]

    def _save(
        self,
        connection: Connection,
        request: AccessRequest,
        before: AccessRequest | None,
        actor: str,
        now: datetime,
        *,
        insert: bool = False,
    ) -> None:
        values = _values(request)
        if insert:
            connection.execute(tables.requests.insert().values(**values))
        else:
            connection.execute(
                tables.requests.update().where(tables.requests.c.id == request.id).values(**values)
            )
        self._audit.record(
            connection,
            AuditEntry(
                _ACTIONS[request.state],
                request.reference,
                actor,
                before=None if before is None else before.document(),
                after=request.document(),
                note=request.note
                if request.state is not AccessState.REQUESTED
                else request.purpose,
            ),
            at=now,
        )

    def _after_change(self, old: frozenset[AclBinding], new: frozenset[AclBinding]) -> None:
        self._relay()
        if self._acls is None:
            return
        change = acl_change(old, new)
        if change.create:
            self._acls.create(list(change.create))
        if change.delete:
            self._acls.delete(list(change.delete))

    def _relay(self) -> None:
        # Like the control plane: the change is committed with its audit rows; if the log
        # cannot take the events now, the next change (or server start) relays them.
        try:
            self._plane.relay_events()
        except LogError as exc:
            _LOGGER.warning("mesh events not relayed yet (will retry): %s", exc)


def _requests(
    connection: Connection, *, principal: str | None = None, product: str | None = None
) -> builtins.list[AccessRequest]:
    r = tables.requests.c
    query = sa.select(tables.requests).order_by(r.requested_at, r.id)
    if principal is not None:
        query = query.where(r.principal == principal)
    if product is not None:
        query = query.where(r.product == product)
    return [request_from_row(row) for row in connection.execute(query)]


def _one(connection: Connection, request_id: str) -> AccessRequest:
    row = connection.execute(
        sa.select(tables.requests).where(tables.requests.c.id == request_id)
    ).first()
    if row is None:
        raise AccessRequestNotFound(request_id)
    return request_from_row(row)


def _values(request: AccessRequest) -> dict[str, object]:
    return {
        "id": request.id,
        "principal": request.principal,
        "product": request.product,
        "version": request.version,
        "purpose": request.purpose,
        "classified": request.classified,
        "state": request.state.value,
        "requested_at": request.requested_at,
        "requested_by": request.requested_by,
        "decided_at": request.decided_at,
        "decided_by": request.decided_by,
        "note": request.note,
        "expires_at": request.expires_at,
        "ended_at": request.ended_at,
        "ended_by": request.ended_by,
    }


_replace = dataclasses.replace


__all__ = ["ACCESS_LOCK", "AUTO_APPROVER", "AccessPolicy", "AccessService", "AclAdmin"]
