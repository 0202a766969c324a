"""How a REST consume answer writes events: every value type as the API documents it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import orjson

from streammesh.dataplane import ProductEvent
from streammesh.server.api.event_json import event_document, events_json

STAMP = datetime(2026, 12, 7, 16, 0, 1, 234000, tzinfo=UTC)


def _event(value: dict[str, object] | None, key: object = "k-1", offset: int = 0) -> ProductEvent:
    return ProductEvent(
        product="execution.stocktrades.v1",
        key=key,  # type: ignore[arg-type]
        value=value,
        partition=2,
        offset=offset,
        timestamp=STAMP + timedelta(milliseconds=offset // 2),
        schema_id=7,
        headers=(("trace", b"\x00\xff"),) if offset == 1 else (),
    )


def _answer(*events: ProductEvent) -> dict[str, object]:
    rendered = events_json({"product": "execution.stocktrades.v1", "group": "g"}, list(events))
    answer = orjson.loads(rendered)
    assert isinstance(answer, dict)
    return answer


def test_values_json_cannot_hold_are_written_as_text() -> None:
    identifier = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "symbol": "ACME",
        "price": 101.5,
        "quantity": 12,
        "open": True,
        "note": None,
        "raw": b"\x00\x01",
        "amount": Decimal("12.30"),
        "at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "local": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        "day": date(2026, 1, 2),
        "clock": time(3, 4, 5),
        "id": identifier,
        "tags": ["a", b"b"],
        "pair": (1, 2),
        "nested": {"when": date(2020, 2, 29), "bytes": b"\xff"},
    }
    [event] = _answer(_event(value))["events"]  # type: ignore[misc]
    assert event["value"] == {
        "symbol": "ACME",
        "price": 101.5,
        "quantity": 12,
        "open": True,
        "note": None,
        "raw": "AAE=",
        "amount": "12.30",
        "at": "2026-01-02T03:04:05.000006+00:00",
        "local": "2026-01-02T03:04:05+02:00",
        "day": "2026-01-02",
        "clock": "03:04:05",
        "id": "12345678-1234-5678-1234-567812345678",
        "tags": ["a", "Yg=="],
        "pair": [1, 2],
        "nested": {"when": "2020-02-29", "bytes": "/w=="},
    }


def test_each_event_carries_its_place_time_and_headers() -> None:
    answer = _answer(_event({"a": 1}), _event({"a": 2}, key=b"\x01", offset=1), _event(None, 5, 4))
    assert answer["product"] == "execution.stocktrades.v1"
    assert answer["group"] == "g"
    first, second, tombstone = answer["events"]  # type: ignore[misc]
    assert first == {
        "product": "execution.stocktrades.v1",
        "key": "k-1",
        "value": {"a": 1},
        "partition": 2,
        "offset": 0,
        "timestamp": "2026-12-07T16:00:01.234000Z",
        "schema_id": 7,
        "headers": [],
    }
    assert second["key"] == "AQ=="
    assert second["headers"] == [{"name": "trace", "value": "AP8="}]
    assert tombstone["key"] == 5
    assert tombstone["value"] is None
    assert tombstone["timestamp"] == "2026-12-07T16:00:01.236000Z"


def test_a_map_with_keys_that_are_not_text_is_written_as_the_sample_writes_it() -> None:
    # A Protobuf map may have integer keys: JSON object keys are text.
    event = _event({"counts": {1: "one", 2: b"\x02"}})
    [written] = _answer(event)["events"]  # type: ignore[misc]
    assert written["value"] == {"counts": {"1": "one", "2": "Ag=="}}
    assert written["value"] == event_document(event)["value"]
