"""What ``AuditLog.record`` and ``AuditLog.entries`` refuse, and that a refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from streammesh.audit import (
    AuditAction,
    AuditEntry,
    AuditLog,
    InvalidAuditEntry,
    InvalidAuditQuery,
)
from streammesh.store import MetadataStore

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def created(**fields: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "action": AuditAction.PRODUCT_CREATED,
        "subject": "p",
        "actor": "admin",
    }
    values.update(fields)
    return AuditEntry(**values)


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (created(after={"ids": {1, 2}}), "after.ids", "a set, which is not JSON-able"),
        (created(after={"raw": b"\x00"}), "after.raw", "a bytes"),
        (created(before={"at": datetime(2026, 1, 1)}), "before.at", "without a timezone"),
        (created(after={"x": [1, float("nan")]}), "after.x[1]", "nan"),
        (created(after={"x": {"y": float("inf")}}), "after.x.y", "inf"),
        (created(after={1: "a"}), "after", "key 1 that is not a str"),
        (created(after=["not", "a", "mapping"]), "after", "must be a mapping"),
        (created(after={"s": "x" * 300_000}), "after", "more than 262144"),
        (created(subject=""), "subject", "non-empty"),
        (created(actor=" "), "actor", "non-empty"),
        (created(actor=None), "actor", "non-empty"),
        (created(note=3), "note", "text or None"),
        (created(action="product.exploded"), "action", "not one of the AuditAction values"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_field_and_nothing_is_written(
    store: MetadataStore, audit: AuditLog, bad: AuditEntry, field: str, words: str
) -> None:
    with store.write("test-change") as connection, pytest.raises(InvalidAuditEntry) as caught:
        audit.record(connection, bad, at=NOW)

    assert caught.value.field == field
    assert f"'{field}'" in str(caught.value)
    assert words in str(caught.value)
    assert audit.entries() == []


def test_an_action_given_as_its_value_is_recorded_as_the_enum(
    store: MetadataStore, audit: AuditLog
) -> None:
    with store.write("test-change") as connection:
        audit.record(connection, created(action="product.published"), at=NOW)

    assert audit.entries()[0].action is AuditAction.PRODUCT_PUBLISHED


@pytest.mark.parametrize("at", [datetime(2026, 11, 23, 9, 30), "2026-11-23T09:30:00Z"])
def test_a_moment_without_timezone_is_refused(
    store: MetadataStore, audit: AuditLog, at: object
) -> None:
    with (
        store.write("test-change") as connection,
        pytest.raises(InvalidAuditEntry, match=r"'at'.*timezone-aware"),
    ):
        audit.record(connection, created(), at=at)  # type: ignore[arg-type]

    assert audit.entries() == []


@pytest.mark.parametrize("limit", [0, -1, 1001, True, 2.5, "10"])
def test_a_limit_out_of_range_is_refused(audit: AuditLog, limit: object) -> None:
    with pytest.raises(InvalidAuditQuery, match=r"'limit' is .*; use an integer in 1\.\.1000"):
        audit.entries(limit=limit)  # type: ignore[arg-type]


def test_an_after_id_that_is_not_an_integer_is_refused(audit: AuditLog) -> None:
    with pytest.raises(InvalidAuditQuery, match="'after_id'"):
        audit.entries(after_id="5")  # type: ignore[arg-type]


def test_an_unknown_action_filter_is_refused(audit: AuditLog) -> None:
    with pytest.raises(InvalidAuditQuery, match="'actions' holds an unknown action"):
        audit.entries(actions=["product.exploded"])  # type: ignore[list-item]
