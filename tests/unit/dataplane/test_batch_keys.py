"""A batch of classified events meeting many new entities (``send_many``, a REST produce)
creates their data keys in one store write, not one each, and every event reads back; a
consumer's ``take`` audits the key handouts of all its events in one write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from streammesh.audit import AuditAction, AuditLog
from streammesh.dataplane.errors import InvalidEvent
from streammesh.log import ConsumerOptions
from streammesh.privacy import EVENT_HEADER, MASK_TEXT, KeyStore, LocalKms
from streammesh.privacy.envelope import event_key_version
from streammesh.privacy.keys import KEYS_LOCK
from streammesh.sdk import Mesh
from streammesh.sdk.local import InProcessMesh
from streammesh.store import default_store_url, open_store
from tests.unit.cli.invoking import invoke_cli


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[InProcessMesh]:
    result = invoke_cli("init", "sales", "--dir", str(tmp_path / "repo"))
    assert result.exit_code == 0, result.stderr
    with Mesh.open(tmp_path / "home", actor="owner") as opened:
        opened.apply([tmp_path / "repo" / "sales"])
        yield opened


def _order(number: int) -> dict[str, Any]:
    return {
        "orders_id": f"o-{number}",
        "customer_email": f"c{number}@example.com",
        "status": "shipped",
        "updated_at": dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
    }


def _count_key_writes(mesh: InProcessMesh, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The locks of the store writes made from now on (a spy on the real store)."""
    store = mesh.local.keys.store
    locks: list[str] = []
    write = store.write

    def counted(lock: str) -> AbstractContextManager[Connection]:
        locks.append(lock)
        return write(lock)

    monkeypatch.setattr(store, "write", counted)
    return locks


def test_a_batch_creates_the_keys_of_its_new_entities_in_one_store_write(
    mesh: InProcessMesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mesh.producer("sales.orders") as producer:
        producer.send(_order(1))  # o-1 has a key
        producer.send(_order(2))
    mesh.privacy.forget("sales.orders", "o-2")  # o-2's next event needs version 2
    locks = _count_key_writes(mesh, monkeypatch)

    with mesh.producer("sales.orders") as producer:
        assert producer.send_many([_order(number) for number in range(1, 301)]) == 300

    assert locks.count(KEYS_LOCK) == 1
    with mesh.consumer("sales.orders", "reader") as consumer:
        events = consumer.take(302, timeout=10)
    emails = [(event.value["orders_id"], event.value["customer_email"]) for event in events]
    assert len(emails) == 302
    assert emails.count(("o-2", MASK_TEXT)) == 1  # written before forget: stays forgotten
    assert sorted(set(emails) - {("o-2", MASK_TEXT)}) == sorted(
        (f"o-{number}", f"c{number}@example.com") for number in range(1, 301)
    )
    versions = {
        (event.value["orders_id"], event_key_version(dict(event.headers)[EVENT_HEADER]))
        for event in events
    }
    assert {entry for entry in versions if entry[0] in ("o-1", "o-2", "o-300")} == {
        ("o-1", 1),
        ("o-2", 1),  # the event written before forget
        ("o-2", 2),
        ("o-300", 1),
    }


def test_an_invalid_event_in_a_batch_writes_no_key_and_no_event(
    mesh: InProcessMesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    locks = _count_key_writes(mesh, monkeypatch)
    events = [_order(number) for number in range(1, 5)]
    del events[2]["orders_id"]  # no key: refused, named by its index

    with (
        mesh.producer("sales.orders") as producer,
        pytest.raises(InvalidEvent, match="event #2: field 'orders_id'"),
    ):
        producer.send_many(events)

    with mesh.consumer("sales.orders", "reader") as consumer:
        assert consumer.take(1, timeout=1) == []
    assert locks.count(KEYS_LOCK) <= 1  # the valid events' keys, made together


@pytest.fixture(params=["sqlite", "postgresql"])
def key_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    url = (
        default_store_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("migrated_postgres_url")
    )
    store = open_store(url)
    yield KeyStore(store, LocalKms.for_mesh(tmp_path))
    store.close()


def test_keys_prepared_together_are_the_keys_each_entity_gets_alone(key_store: KeyStore) -> None:
    product = "sales.orders.v1"
    known = key_store.current(product, b"e-1")
    key_store.current(product, b"e-2")
    assert key_store.destroy(product, b"e-2", actor="dpo") == 1
    entities = [f"e-{number}".encode() for number in range(1, 1_201)]  # over two IN lists

    key_store.prepare_current(product, entities + entities[:5])

    assert key_store.current(product, b"e-1") == known
    assert key_store.current(product, b"e-2").version == 2
    prepared = {entity: key_store.current(product, entity) for entity in entities}
    assert len({key.material for key in prepared.values()}) == len(entities)
    # What another process reads from the store: the very keys handed out here.
    other = KeyStore(key_store.store, key_store.kms)
    assert all(other.current(product, entity) == key for entity, key in prepared.items())


def test_a_take_over_several_polls_audits_its_key_handouts_in_one_write_before_returning(
    mesh: InProcessMesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mesh.producer("sales.orders") as producer:
        producer.send_many([_order(number) for number in range(1, 61)])
    locks = _count_key_writes(mesh, monkeypatch)
    handouts = AuditLog(mesh.local.keys.store)

    options = ConsumerOptions(max_poll_records=10)  # six polls of ten new entities
    with mesh.consumer("sales.orders", "reader", options=options) as consumer:
        events = consumer.take(60, timeout=10)
        audited = handouts.entries(actions=[AuditAction.KEY_HANDED_OUT])

    assert {event.value["customer_email"] for event in events} == {
        f"c{number}@example.com" for number in range(1, 61)
    }
    assert len(audited) == 60  # every handout audited by the time take returned
    assert locks.count(KEYS_LOCK) == 1
