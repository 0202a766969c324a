"""Recording audit entries in the caller's transaction and reading them back, on every store."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from streammesh.audit import (
    AuditAction,
    AuditEntry,
    AuditLog,
    InvalidAuditEntry,
)
from streammesh.store import MetadataStore
from tests.conformance.audit.conftest import T0, entry


class Status(enum.StrEnum):
    PUBLISHED = "published"


class Failure(Exception):
    """The change the audit row describes failed."""


def test_an_entry_is_read_back_with_every_field(store: MetadataStore, audit: AuditLog) -> None:
    paris = timezone(timedelta(hours=1))
    with store.write("test-change") as connection:
        audit_id = audit.record(
            connection,
            AuditEntry(
                AuditAction.PRODUCT_DEPRECATED,
                "execution.stocktrades.v1",
                "cli:alice",
                before={"status": "published"},
                after={"status": "deprecated", "sunset": "2027-01-01", "replacement": None},
                note="replaced by v2",
            ),
            at=datetime(2026, 11, 23, 10, 30, 0, 123456, tzinfo=paris),
        )

    [record] = audit.entries()
    assert record.id == audit_id
    assert record.at == datetime(2026, 11, 23, 9, 30, 0, 123456, tzinfo=UTC)
    assert record.at.utcoffset() == timedelta(0)
    assert record.action is AuditAction.PRODUCT_DEPRECATED
    assert (record.subject, record.actor, record.note) == (
        "execution.stocktrades.v1",
        "cli:alice",
        "replaced by v2",
    )
    assert record.before == {"status": "published"}
    assert record.after == {"status": "deprecated", "sunset": "2027-01-01", "replacement": None}
    assert record.document() == {
        "id": audit_id,
        "type": "product.deprecated",
        "subject": "execution.stocktrades.v1",
        "actor": "cli:alice",
        "at": "2026-11-23T09:30:00.123456Z",
        "before": {"status": "published"},
        "after": {"status": "deprecated", "sunset": "2027-01-01", "replacement": None},
        "note": "replaced by v2",
    }


def test_an_entry_recorded_in_a_rolled_back_transaction_is_gone(
    store: MetadataStore, audit: AuditLog
) -> None:
    with pytest.raises(Failure), store.write("test-change") as connection:
        audit.record(connection, entry(), at=T0)
        raise Failure

    assert audit.entries() == []


def test_datetimes_dates_and_enums_in_state_are_stored_as_json_text(
    store: MetadataStore, audit: AuditLog
) -> None:
    after = {
        "status": Status.PUBLISHED,
        "sunset": date(2027, 1, 31),
        "published_at": datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        "tags": ("trading", "eu"),
        "nested": {"tier": 1, "ratio": 0.5, "ok": True},
    }
    with store.write("test-change") as connection:
        audit.record(
            connection, AuditEntry(AuditAction.PRODUCT_PUBLISHED, "p", "admin", after=after), at=T0
        )

    assert audit.entries()[0].after == {
        "status": "published",
        "sunset": "2027-01-31",
        "published_at": "2026-11-23T10:00:00Z",
        "tags": ["trading", "eu"],
        "nested": {"tier": 1, "ratio": 0.5, "ok": True},
    }


def test_a_refused_entry_writes_nothing_and_leaves_the_transaction_usable(
    store: MetadataStore, audit: AuditLog
) -> None:
    with store.write("test-change") as connection:
        audit.record(connection, entry(sequence=0), at=T0)
        with pytest.raises(InvalidAuditEntry, match=r"'after\.ids'"):
            bad = AuditEntry(AuditAction.PRODUCT_CREATED, "p", "admin", after={"ids": {1, 2}})
            audit.record(connection, bad, at=T0)
        audit.record(connection, entry(sequence=1), at=T0)

    assert [record.note for record in audit.entries()] == ["change 0", "change 1"]


def test_entries_filter_by_subject_prefix_and_action(store: MetadataStore, audit: AuditLog) -> None:
    with store.write("test-change") as connection:
        for subject, action in [
            ("execution.stock_trades.v1", AuditAction.PRODUCT_CREATED),
            ("execution.stockXtrades.v1", AuditAction.PRODUCT_CREATED),
            ("execution.stock_trades.v1", AuditAction.PRODUCT_PUBLISHED),
            ("execution.stock_trades.v1-value", AuditAction.SCHEMA_REGISTERED),
            ("domain:execution", AuditAction.DOMAIN_REGISTERED),
        ]:
            audit.record(connection, entry(subject, action=action), at=T0)

    def subjects(**query: object) -> list[tuple[str, str]]:
        return [(r.subject, r.action.value) for r in audit.entries(**query)]  # type: ignore[arg-type]

    assert subjects(subject="execution.stock_trades.v1") == [
        ("execution.stock_trades.v1", "product.created"),
        ("execution.stock_trades.v1", "product.published"),
    ]
    # "_" is literal, not a one-character wildcard.
    assert subjects(subject_prefix="execution.stock_") == [
        ("execution.stock_trades.v1", "product.created"),
        ("execution.stock_trades.v1", "product.published"),
        ("execution.stock_trades.v1-value", "schema.registered"),
    ]
    assert subjects(actions=[AuditAction.PRODUCT_CREATED, AuditAction.DOMAIN_REGISTERED]) == [
        ("execution.stock_trades.v1", "product.created"),
        ("execution.stockXtrades.v1", "product.created"),
        ("domain:execution", "domain.registered"),
    ]
    assert subjects(subject_prefix="execution.", actions=[AuditAction.SCHEMA_REGISTERED]) == [
        ("execution.stock_trades.v1-value", "schema.registered"),
    ]
    assert subjects(subject="nothing.here.v1") == []


def test_entries_page_in_ascending_id_order(
    audit: AuditLog, commit: Callable[..., list[int]]
) -> None:
    ids = commit(5) + commit(4)

    pages, after_id = [], None
    while page := audit.entries(after_id=after_id, limit=4):
        pages.append([record.id for record in page])
        after_id = page[-1].id

    assert pages == [ids[0:4], ids[4:8], ids[8:9]]
    assert ids == sorted(ids)


def test_the_largest_limit_is_accepted(audit: AuditLog, commit: Callable[..., list[int]]) -> None:
    commit(3)
    assert len(audit.entries(limit=1000)) == 3
    assert len(audit.entries(limit=1)) == 1


def test_many_entries_recorded_together_are_read_back_in_order(
    store: MetadataStore, audit: AuditLog
) -> None:
    with store.write("test-change") as connection:
        audit.record(connection, entry(sequence=0), at=T0)
        audit.record_many(
            connection, [(entry(sequence=n), T0 + timedelta(seconds=n)) for n in range(1, 4)]
        )
        audit.record_many(connection, [])
    records = audit.entries()
    assert [record.note for record in records] == [f"change {n}" for n in range(4)]
    assert records[3].at == T0 + timedelta(seconds=3)
    assert [record.id for record in records] == sorted(record.id for record in records)


def test_many_entries_with_one_refused_write_none(store: MetadataStore, audit: AuditLog) -> None:
    bad = AuditEntry(AuditAction.PRODUCT_CREATED, "p", "admin", after={"ids": {1, 2}})
    with store.write("test-change") as connection:
        with pytest.raises(InvalidAuditEntry, match=r"'after\.ids'"):
            audit.record_many(connection, [(entry(sequence=0), T0), (bad, T0)])
        audit.record(connection, entry(sequence=1), at=T0)
    assert [record.note for record in audit.entries()] == ["change 1"]


def test_a_batch_recorded_together_reads_back_like_entries_recorded_one_by_one(
    store: MetadataStore, audit: AuditLog
) -> None:
    paris = timezone(timedelta(hours=1))
    batch = [
        (
            AuditEntry(
                AuditAction.KEY_HANDED_OUT,
                "bench.trades.v1",
                "svc:reader" if n % 2 else "cli:zoë",
                before={"flag": True, "status": Status.PUBLISHED} if n % 3 == 0 else None,
                after={
                    "entity_key": f'acct-{n:04d}-é\u2028"',
                    "key_version": 2**70 if n == 999 else n,
                    "gone": None,
                },
                note=None if n % 2 else f"handout {n}",
            ),
            datetime(2026, 11, 23, 10, 30, 0, n, tzinfo=paris) + timedelta(seconds=n),
        )
        for n in range(1000)
    ]
    with store.write("test-change") as connection:
        audit.record_many(connection, batch)
    with store.write("test-change") as connection:
        for one, at in batch[:3]:
            audit.record(connection, one, at=at)

    records = audit.entries(limit=1000)
    assert len(records) == 1000
    for record, (one, at) in zip(records, batch, strict=True):
        assert (record.action, record.subject, record.actor, record.note) == (
            one.action,
            one.subject,
            one.actor,
            one.note,
        )
        assert record.at == at and record.at.utcoffset() == timedelta(0)
        assert record.before == (
            None if one.before is None else {"flag": True, "status": "published"}
        )
        assert record.after == one.after
    singles = audit.entries(after_id=records[-1].id)
    assert [r.document() | {"id": 0} for r in singles] == [
        r.document() | {"id": 0} for r in records[:3]
    ]
