"""The activity feed folds runs of key hand-outs into one counter row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streammesh.audit import AuditAction, AuditRecord
from streammesh.server.ui.overview import Folded, fold

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _event(number: int, action: AuditAction, actor: str) -> AuditRecord:
    return AuditRecord(
        number,
        START - timedelta(minutes=number),
        action,
        "sales.orders.v1",
        actor,
        None,
        None,
        None,
    )


def test_runs_of_key_handouts_fold_into_a_counter_between_the_changes_people_made() -> None:
    handout = AuditAction.KEY_HANDED_OUT
    events = [
        _event(1, AuditAction.PRODUCT_DEPRECATED, "sam"),
        _event(2, handout, "ledger-app"),
        _event(3, handout, "orders-audit"),
        _event(4, handout, "ledger-app"),
        _event(5, AuditAction.ACCESS_APPROVED, "sam"),
        _event(6, handout, "ledger-app"),
    ]
    shown = fold(events)
    assert shown == [
        events[0],
        Folded(handout, 3, ("ledger-app", "orders-audit"), events[1].at, events[3].at),
        events[4],
        Folded(handout, 1, ("ledger-app",), events[5].at, events[5].at),
    ]
