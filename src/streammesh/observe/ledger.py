"""``SloLedger``: the SLO state, availability probes and consumer-lag samples kept in the
metadata store.

A status change and its audit entry (``slo.breached`` / ``slo.recovered``) are written in
one transaction holding the ledger's lock, so two checkers (two server replicas) never both
record the same breach: the second sees the state the first committed and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from streammesh.audit import AuditAction, AuditEntry, AuditLog
from streammesh.observe.slo import Evaluation, SloKind, SloStatus
from streammesh.observe.tables import lag_samples, probes, slo_states
from streammesh.store import MetadataStore

LEDGER_LOCK = "observe-slo"
CHECKER_ACTOR = "streammesh:slo-checker"
"""The actor of the audit entries the checker writes."""
_ACTIONS = {SloStatus.BREACHED: AuditAction.SLO_BREACHED, SloStatus.MET: AuditAction.SLO_RECOVERED}


@dataclass(frozen=True, slots=True)
class SloState:
    """An SLO's current status, as last recorded."""

    product: str
    version: int
    slo: SloKind
    status: SloStatus
    since: datetime
    checked_at: datetime
    target: str
    observed: str

    @property
    def reference(self) -> str:
        return f"{self.product}.v{self.version}"

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API and ``--json`` output."""
        return {
            "product": self.reference,
            "slo": self.slo.value,
            "status": self.status.value,
            "since": self.since.isoformat(),
            "checked_at": self.checked_at.isoformat(),
            "target": self.target,
            "observed": self.observed,
        }


class SloLedger:
    """SLO states and probe counts of one mesh's store."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._audit = AuditLog(store)

    def record(self, evaluation: Evaluation, at: datetime) -> bool:
        """Store ``evaluation``; returns whether its status changed and was audited.

        The first evaluation of an SLO is audited only when it is a breach (a promise met
        from the start is no news); later ones only when the status flips.
        """
        key = _key(evaluation.name, evaluation.version, evaluation.slo)
        with self._store.write(LEDGER_LOCK) as connection:
            row = connection.execute(sa.select(slo_states).where(*key)).mappings().first()
            previous = None if row is None else SloStatus(row["status"])
            changed = previous is not evaluation.status
            values = {
                "status": evaluation.status.value,
                "checked_at": at,
                "target": evaluation.target,
                "observed": evaluation.observed,
            }
            if row is None:
                connection.execute(
                    slo_states.insert().values(
                        product=evaluation.name,
                        version=evaluation.version,
                        slo=evaluation.slo.value,
                        since=at,
                        **values,
                    )
                )
            else:
                if changed:
                    values["since"] = at
                connection.execute(slo_states.update().where(*key).values(**values))
            audited = changed and (previous is not None or evaluation.status is SloStatus.BREACHED)
            if audited:
                self._audit.record(connection, _entry(evaluation, previous), at=at)
            return audited

    def states(self, product: str | None = None, version: int | None = None) -> list[SloState]:
        """Every recorded SLO state, optionally of one product (and version)."""
        query = sa.select(slo_states).order_by(
            slo_states.c.product, slo_states.c.version, slo_states.c.slo
        )
        if product is not None:
            query = query.where(slo_states.c.product == product)
        if version is not None:
            query = query.where(slo_states.c.version == version)
        with self._store.read() as connection:
            return [_state(row) for row in connection.execute(query).mappings()]

    def count_probe(self, name: str, version: int, *, ok: bool, at: datetime) -> None:
        """Count one availability probe of a product version in the minute of ``at``."""
        minute = at.astimezone(UTC).replace(second=0, microsecond=0)
        where = (probes.c.product == name, probes.c.version == version, probes.c.minute == minute)
        failed = 0 if ok else 1
        with self._store.write(LEDGER_LOCK) as connection:
            found = connection.execute(sa.select(probes.c.probes).where(*where)).first()
            if found is None:
                connection.execute(
                    probes.insert().values(
                        product=name, version=version, minute=minute, probes=1, failures=failed
                    )
                )
            else:
                connection.execute(
                    probes.update()
                    .where(*where)
                    .values(probes=probes.c.probes + 1, failures=probes.c.failures + failed)
                )

    def probe_counts(self, name: str, version: int, since: datetime) -> tuple[int, int]:
        """Probes and failures of a product version counted from ``since`` (by minute)."""
        query = sa.select(
            sa.func.coalesce(sa.func.sum(probes.c.probes), 0),
            sa.func.coalesce(sa.func.sum(probes.c.failures), 0),
        ).where(
            probes.c.product == name,
            probes.c.version == version,
            probes.c.minute >= since.astimezone(UTC).replace(second=0, microsecond=0),
        )
        with self._store.read() as connection:
            total, failures = connection.execute(query).one()
        return int(total), int(failures)

    def forget_probes_before(self, before: datetime) -> None:
        """Drop probe counts older than ``before`` (outside every window)."""
        with self._store.write(LEDGER_LOCK) as connection:
            connection.execute(probes.delete().where(probes.c.minute < before.astimezone(UTC)))

    def record_lag(self, group: str, name: str, version: int, lag: int, *, at: datetime) -> None:
        """Keep ``group``'s lag on a product version as the sample of the minute of ``at``
        (a later measurement in the same minute replaces it)."""
        minute = at.astimezone(UTC).replace(second=0, microsecond=0)
        c = lag_samples.c
        where = (c.consumer_group == group, c.product == name, c.version == version)
        with self._store.write(LEDGER_LOCK) as connection:
            updated = connection.execute(
                lag_samples.update().where(*where, c.minute == minute).values(lag=lag)
            )
            if updated.rowcount == 0:
                connection.execute(
                    lag_samples.insert().values(
                        consumer_group=group, product=name, version=version, minute=minute, lag=lag
                    )
                )

    def lag_history(
        self, name: str, version: int, since: datetime
    ) -> dict[str, list[tuple[datetime, int]]]:
        """Each group's lag samples on a product version from ``since``, oldest first."""
        c = lag_samples.c
        query = (
            sa.select(c.consumer_group, c.minute, c.lag)
            .where(c.product == name, c.version == version, c.minute >= since.astimezone(UTC))
            .order_by(c.consumer_group, c.minute)
        )
        found: dict[str, list[tuple[datetime, int]]] = {}
        with self._store.read() as connection:
            for row in connection.execute(query):
                found.setdefault(row.consumer_group, []).append((row.minute, int(row.lag)))
        return found

    def forget_lags_before(self, before: datetime) -> None:
        """Drop lag samples older than ``before``."""
        with self._store.write(LEDGER_LOCK) as connection:
            connection.execute(
                lag_samples.delete().where(lag_samples.c.minute < before.astimezone(UTC))
            )


def _key(name: str, version: int, slo: SloKind) -> Iterable[sa.ColumnElement[bool]]:
    return (
        slo_states.c.product == name,
        slo_states.c.version == version,
        slo_states.c.slo == slo.value,
    )


def _entry(evaluation: Evaluation, previous: SloStatus | None) -> AuditEntry:
    breached = evaluation.status is SloStatus.BREACHED
    verb = "breached" if breached else "met again"
    return AuditEntry(
        _ACTIONS[evaluation.status],
        evaluation.product,
        CHECKER_ACTOR,
        before=None
        if previous is None
        else {"slo": evaluation.slo.value, "status": previous.value},
        after={
            "slo": evaluation.slo.value,
            "status": evaluation.status.value,
            "target": evaluation.target,
            "observed": evaluation.observed,
        },
        note=f"{evaluation.slo.value} SLO of '{evaluation.product}' {verb}: target "
        f"{evaluation.target}, {evaluation.observed}",
    )


def _state(row: RowMapping) -> SloState:
    return SloState(
        product=row["product"],
        version=row["version"],
        slo=SloKind(row["slo"]),
        status=SloStatus(row["status"]),
        since=row["since"],
        checked_at=row["checked_at"],
        target=row["target"],
        observed=row["observed"],
    )
