"""What producers accept as events and how consumed events describe themselves."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import pydantic

from streammesh.dataplane import ProductEvent
from streammesh.dataplane.events import event_fields, timestamp_of


@dataclass
class Account:
    id: int


@dataclass
class TradeRecord:
    symbol: str
    account: Account


class TradeModel(pydantic.BaseModel):
    symbol: str
    price: float


def test_mappings_dataclasses_and_pydantic_models_become_field_dicts() -> None:
    plain = {"symbol": "ACME"}
    assert event_fields(plain) is plain
    assert event_fields(OrderedDict(symbol="ACME")) == {"symbol": "ACME"}
    assert event_fields(TradeRecord("ACME", Account(7))) == {
        "symbol": "ACME",
        "account": {"id": 7},
    }
    assert event_fields(TradeModel(symbol="ACME", price=1.5)) == {"symbol": "ACME", "price": 1.5}


def test_other_objects_and_classes_are_not_events() -> None:
    assert event_fields(["symbol", "ACME"]) is None
    assert event_fields("ACME") is None
    assert event_fields(TradeRecord) is None
    assert event_fields(TradeModel) is None


def test_timestamps_are_exact_utc_milliseconds() -> None:
    assert timestamp_of(1_700_000_000_123) == datetime(2023, 11, 14, 22, 13, 20, 123_000, UTC)
    assert timestamp_of(0).tzinfo is UTC


def test_header_gives_the_last_value_of_a_repeated_name() -> None:
    event = ProductEvent(
        product="execution.stocktrades.v1",
        key="acct-1",
        value={"symbol": "ACME"},
        partition=0,
        offset=3,
        timestamp=timestamp_of(0),
        schema_id=1,
        headers=(("trace", b"a"), ("source", b"x"), ("trace", b"b")),
    )
    assert event.header("trace") == b"b"
    assert event.header("missing") is None
    assert not event.is_tombstone
