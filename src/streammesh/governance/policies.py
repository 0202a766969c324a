"""Policies in the mesh: stored, versioned and audited, so every ``apply`` on a server enforces
the mesh's rules rather than a client's files.

:func:`load_policies` reads them inside a caller's transaction (the planner loads them once per
plan); :class:`PolicyRegistry` sets and shows them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.governance.errors import PolicyLoosened
from streammesh.governance.merging import Loosening, effective_policy
from streammesh.governance.policy import BASELINE, Policy, policy_from
from streammesh.governance.tables import policies
from streammesh.log import LogError
from streammesh.products import InvalidName, check_segment
from streammesh.store import MetadataStore

_LOGGER = logging.getLogger(__name__)

GOVERNANCE_LOCK = "governance"
GLOBAL_SCOPE = ""
"""The scope of the global policy in the policies table."""


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """One version of a stored policy.

    Attributes:
        domain: The domain it is for; ``None`` for the global policy.
        version: 1 for the first policy set for that scope, then +1 each time.
        policy: The settings the file gave (unset rules keep the global or baseline value).
    """

    domain: str | None
    version: int
    policy: Policy
    created_at: datetime
    created_by: str

    def document(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "version": self.version,
            "policy": self.policy.explicit(),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class PolicySet:
    """The policies in force: the global one (the baseline until one is set) and the domains'."""

    global_policy: Policy = BASELINE
    domains: Mapping[str, Policy] = field(default_factory=dict)

    def for_domain(self, domain: str) -> tuple[Policy, list[Loosening]]:
        """The policy in force for ``domain``, and its domain policy's loosenings."""
        return effective_policy(self.global_policy, self.domains.get(domain))


def _latest(connection: Connection) -> dict[str, tuple[int, Policy, datetime, str]]:
    newest = (
        sa.select(policies.c.scope, sa.func.max(policies.c.version).label("version"))
        .group_by(policies.c.scope)
        .subquery()
    )
    rows = connection.execute(
        sa.select(policies).join(
            newest,
            sa.and_(policies.c.scope == newest.c.scope, policies.c.version == newest.c.version),
        )
    ).mappings()
    return {
        row["scope"]: (
            row["version"],
            policy_from(json.loads(row["document"]), origin=f"stored policy '{row['scope']}'"),
            row["created_at"],
            row["created_by"],
        )
        for row in rows
    }


def relay_quietly(relay: Callable[[], object] | None) -> None:
    """Append the committed audit rows to ``_mesh.events`` now, if a relay was given.

    The change is committed with its audit row; a log that cannot take the event now gets it
    on the next relay (any later change, or a server start), so the change still succeeds.
    """
    if relay is None:
        return
    try:
        relay()
    except LogError as exc:
        _LOGGER.warning("mesh events not relayed yet (will retry): %s", exc)


def load_policies(connection: Connection) -> PolicySet:
    """The policies stored in the mesh, read in the caller's transaction."""
    latest = _latest(connection)
    global_entry = latest.pop(GLOBAL_SCOPE, None)
    return PolicySet(
        global_entry[1] if global_entry is not None else BASELINE,
        {scope: entry[1] for scope, entry in latest.items()},
    )


class PolicyRegistry:
    """Sets and shows the mesh's policies.

    Example:
        >>> registry = PolicyRegistry(store)
        >>> registry.set(parse_policy(Path("governance.yaml").read_text()), actor="gov-bot")
        >>> registry.show().version
        1
    """

    def __init__(
        self,
        store: MetadataStore,
        *,
        clock: Callable[[], datetime] | None = None,
        relay: Callable[[], object] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._audit = AuditLog(store)
        self._relay = relay

    def policies(self) -> PolicySet:
        """The policies in force."""
        with self._store.read() as connection:
            return load_policies(connection)

    def show(self, domain: str | None = None) -> PolicyRecord | None:
        """The stored policy of ``domain`` (``None``: the global one), or ``None`` if unset."""
        with self._store.read() as connection:
            entry = _latest(connection).get(domain or GLOBAL_SCOPE)
        if entry is None:
            return None
        return PolicyRecord(domain, *entry)

    def effective(self, domain: str | None = None) -> Policy:
        """The policy in force for ``domain`` (``None``: the global one)."""
        found = self.policies()
        return found.global_policy if domain is None else found.for_domain(domain)[0]

    def set(self, policy: Policy, *, actor: str, domain: str | None = None) -> PolicyRecord:
        """Store ``policy`` as the next version of the global or ``domain``'s policy.

        Raises:
            PolicyLoosened: A domain policy relaxes the global one; nothing was stored.
            InvalidName: ``domain`` is not a valid domain name.
        """
        if domain is not None:
            problem = check_segment("domain", domain)
            if problem is not None:
                raise InvalidName("domain", domain, problem.split("; ", 1)[-1])
        now = self._clock()
        scope = domain or GLOBAL_SCOPE
        with self._store.write(GOVERNANCE_LOCK) as connection:
            if domain is not None:
                _, loosened = effective_policy(load_policies(connection).global_policy, policy)
                if loosened:
                    raise PolicyLoosened(domain, [item.finding() for item in loosened])
            before = _latest(connection).get(scope)
            version = before[0] + 1 if before is not None else 1
            record = PolicyRecord(domain, version, policy, now, actor)
            connection.execute(
                policies.insert().values(
                    scope=scope,
                    version=version,
                    document=json.dumps(policy.explicit(), sort_keys=True),
                    created_at=now,
                    created_by=actor,
                )
            )
            self._audit.record(
                connection,
                AuditEntry(
                    AuditAction.POLICY_CHANGED,
                    f"policy:{domain}" if domain else "policy:global",
                    actor,
                    before=(
                        {"version": before[0], "policy": before[1].explicit()}
                        if before is not None
                        else None
                    ),
                    after={"version": version, "policy": policy.explicit()},
                ),
                at=now,
            )
        relay_quietly(self._relay)
        return record
