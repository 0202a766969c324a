"""Field encryption, masking and crypto-shredding end to end.

Runs on the embedded default (SQLite store) and on Kafka + PostgreSQL: users' orders are
produced with their e-mail (pii, not nullable) and card (financial, nullable) encrypted; a
consumer granted classified fields reads them, another sees placeholders that still validate;
``forget`` makes one user's fields unreadable in the live log, after compaction and in a raw
copy, while the other users stay readable.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from streammesh.audit import AuditAction, AuditLog
from streammesh.dataplane import ProductConsumer, ProductProducer, UnreadableEvent
from streammesh.log.base import ConsumerOptions, OffsetReset, Record, TopicSpec
from streammesh.privacy import (
    EVENT_HEADER,
    MASK_TEXT,
    FieldProtection,
    KeyStore,
    LocalKms,
    UndecryptableField,
)
from streammesh.products.descriptor import Classification
from streammesh.schemas.formats import format_for
from streammesh.sdk import Mesh
from streammesh.sdk.local import InProcessMesh
from streammesh.serde.resolver import RegistryResolver
from tests.support.tansu import GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS
from tests.unit.cli.invoking import invoke_cli

CLASSIFIED = {"customer_email": (Classification.PII,), "card": (Classification.FINANCIAL,)}
USERS = ("o-1", "o-2", "o-3")
KAFKA_CONSUMER = ConsumerOptions(
    session_timeout_ms=GROUP_SESSION_TIMEOUT_MS, heartbeat_interval_ms=GROUP_HEARTBEAT_INTERVAL_MS
)
_counter = itertools.count()


@dataclass(frozen=True)
class Backend:
    name: str
    log_url: str | None
    store_url: str | None
    consumer_options: ConsumerOptions


@dataclass(frozen=True)
class Shop:
    """A mesh with one applied product, ``<domain>.orders``, whose classified fields are
    protected."""

    mesh: InProcessMesh
    backend: Backend
    home: Path
    domain: str

    @property
    def product(self) -> str:
        return f"{self.domain}.orders"

    @property
    def topic(self) -> str:
        return f"{self.product}.v1"

    def protection(self) -> FieldProtection:
        # A fresh key store, as another process would open: nothing cached.
        keys = KeyStore(self.mesh.local.store, LocalKms.for_mesh(self.home))
        return FieldProtection(keys, self.topic, CLASSIFIED)

    def produce(self) -> None:
        record = self.mesh.product(self.product)
        resolver = RegistryResolver(self.mesh.local.registry)
        with ProductProducer(
            self.mesh.local.log, resolver, record.contract, protection=self.protection()
        ) as producer:
            for user in USERS:
                producer.send(
                    {
                        "orders_id": user,
                        "customer_email": f"{user}@example.com",
                        "status": "new",
                        "updated_at": 1_700_000_000_000,
                        "card": f"4111-{user}",
                    }
                )

    def read(self, group: str, *, clear: bool) -> dict[str, dict[str, object]]:
        with self._consumer(group, clear=clear) as reader:
            events = reader.take(len(USERS), timeout=30)
        return {str(event.key): dict(event.value or {}) for event in events}

    def raw(self, topic: str, count: int = len(USERS)) -> list[Record]:
        consumer = self.mesh.local.log.consumer(
            _options(self.backend, f"raw-{topic}-{uuid.uuid4().hex[:6]}")
        )
        consumer.subscribe([topic])
        records: list[Record] = []
        for _ in range(150):
            records.extend(consumer.poll(0.2))
            if len(records) >= count:
                break
        consumer.close()
        return records

    def _consumer(self, group: str, *, clear: bool) -> ProductConsumer:
        return ProductConsumer(
            self.mesh.local.log,
            RegistryResolver(self.mesh.local.registry),
            self.mesh.product(self.product).contract,
            group,
            self.backend.consumer_options,
            protection=self.protection(),
            clear=clear,
            principal=group,
        )


def _options(backend: Backend, group: str) -> ConsumerOptions:
    return ConsumerOptions(
        group=group,
        auto_offset_reset=OffsetReset.EARLIEST,
        session_timeout_ms=backend.consumer_options.session_timeout_ms,
        heartbeat_interval_ms=backend.consumer_options.heartbeat_interval_ms,
    )


@pytest.fixture(params=["embedded", pytest.param("kafka+postgres", marks=pytest.mark.kafka)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "embedded":
        return Backend("embedded", None, None, ConsumerOptions())
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    store = request.getfixturevalue("migrated_postgres_url")
    return Backend("kafka+postgres", f"kafka://{bootstrap}", store, KAFKA_CONSUMER)


@pytest.fixture
def shop(tmp_path: Path, backend: Backend) -> Iterator[Shop]:
    # Topics live on a broker shared by the session: a fresh domain per test keeps them apart.
    domain = f"privacy{next(_counter)}{uuid.uuid4().hex[:6]}"
    assert invoke_cli("init", domain, "--dir", str(tmp_path / "repo")).exit_code == 0
    schema_file = tmp_path / "repo" / domain / "orders.avsc"
    schema = json.loads(schema_file.read_text())
    schema["fields"].append(
        {"name": "card", "type": ["null", "string"], "default": None, "doc": "Card (financial)."}
    )
    schema_file.write_text(json.dumps(schema))
    descriptor = tmp_path / "repo" / domain / "orders.yaml"
    descriptor.write_text(
        descriptor.read_text().replace(
            "customer_email: [pii]", "customer_email: [pii]\n  card: [financial]"
        )
    )
    home = tmp_path / "home"
    with Mesh.open(
        home, log_url=backend.log_url, store_url=backend.store_url, actor="tester"
    ) as mesh:
        mesh.apply([tmp_path / "repo" / domain])
        yield Shop(mesh, backend, home, domain)


def test_granted_consumers_see_fields_others_see_valid_placeholders(shop: Shop) -> None:
    shop.produce()
    clear = shop.read("fraud", clear=True)
    masked = shop.read("marketing", clear=False)
    assert clear["o-2"]["customer_email"] == "o-2@example.com"
    assert clear["o-2"]["card"] == "4111-o-2"
    assert masked["o-2"]["customer_email"] == MASK_TEXT  # not nullable: the text token
    assert masked["o-2"]["card"] is None  # nullable: null
    assert masked["o-2"]["status"] == "new"  # the rest stays plain
    _, schema = RegistryResolver(shop.mesh.local.registry).latest(f"{shop.topic}-value")
    for event in masked.values():
        format_for(schema.schema_type).validate(schema, event)
    raw = shop.raw(shop.topic)
    assert len(raw) == len(USERS)
    assert all(b"example.com" not in (record.value or b"") for record in raw)
    assert all(b"example.com" not in value for record in raw for _, value in record.headers)
    assert all(b"4111" not in value for record in raw for _, value in record.headers)


def test_forget_shreds_one_user_everywhere(shop: Shop) -> None:
    shop.produce()
    copies = f"{shop.domain}.copies"
    log = shop.mesh.local.log
    log.create_topic(TopicSpec(copies))
    with log.producer() as producer:
        for record in shop.raw(shop.topic):
            producer.send(copies, record.value, key=record.key, headers=record.headers)

    where = ["--mesh", str(shop.home)]
    if shop.backend.store_url is not None:
        where += ["--store", shop.backend.store_url]
    log_option = [] if shop.backend.log_url is None else ["--log", shop.backend.log_url]
    result = invoke_cli(*log_option, "forget", shop.product, "o-2", *where)
    assert result.exit_code == 0, result.stderr
    assert "1 data key version(s) destroyed" in result.stdout

    live = shop.read("after-forget", clear=True)
    assert live["o-2"]["customer_email"] == MASK_TEXT and live["o-2"]["card"] is None
    assert live["o-1"]["customer_email"] == "o-1@example.com"
    assert live["o-3"]["card"] == "4111-o-3"

    if shop.backend.name == "embedded":  # compaction is the embedded log's own work
        log.clean()
        compacted = shop.read("after-clean", clear=True)
        assert compacted["o-2"]["customer_email"] == MASK_TEXT
        assert compacted["o-1"]["customer_email"] == "o-1@example.com"

    protection = shop.protection()
    copied = shop.raw(copies)
    assert len(copied) == len(USERS)
    for record in copied:
        revealed = protection.reveal(
            {"customer_email": MASK_TEXT, "card": None},
            dict(record.headers),
            record.key or b"",
            clear=True,
            principal="someone-with-a-copy",
        )
        user = (record.key or b"").decode()
        expected = MASK_TEXT if user == "o-2" else f"{user}@example.com"
        assert revealed["customer_email"] == expected

    destroyed = AuditLog(shop.mesh.local.store).entries(actions=[AuditAction.KEY_DESTROYED])
    assert [(e.subject, dict(e.after or {})) for e in destroyed] == [
        (shop.product, {"entity_key": "o-2", "versions": 1})
    ]

    shop.produce()  # the same user again: a new key, so new data is readable again
    fresh = [
        protection.reveal(
            {"customer_email": MASK_TEXT},
            dict(record.headers),
            b"o-2",
            clear=True,
            principal="app",
        )["customer_email"]
        for record in shop.raw(shop.topic, 2 * len(USERS))
        if record.key == b"o-2"
    ]
    assert sorted(fresh) == [MASK_TEXT, "o-2@example.com"]


def test_key_handouts_are_audited_once_per_principal_and_entity(shop: Shop) -> None:
    shop.produce()
    shop.read("fraud", clear=True)
    shop.read("fraud-again", clear=True)
    shop.read("marketing", clear=False)
    handouts = AuditLog(shop.mesh.local.store).entries(actions=[AuditAction.KEY_HANDED_OUT])
    seen = sorted((e.actor, dict(e.after or {})["entity_key"]) for e in handouts)
    expected = [("fraud", user) for user in USERS] + [("fraud-again", user) for user in USERS]
    assert seen == sorted(expected)
    assert all(e.subject == shop.topic for e in handouts)


def test_a_header_moved_or_altered_is_refused_never_misread(shop: Shop) -> None:
    shop.produce()
    records = {record.key: record for record in shop.raw(shop.topic)}
    stolen = dict(records[b"o-1"].headers)
    protection = shop.protection()
    with pytest.raises(UndecryptableField, match=r"entity key .o-3.*does not authenticate"):
        protection.reveal(
            {"customer_email": MASK_TEXT}, stolen, b"o-3", clear=True, principal="app"
        )
    tampered = dict(stolen)
    name = EVENT_HEADER
    tampered[name] = tampered[name][:-1] + bytes([tampered[name][-1] ^ 1])
    with pytest.raises(UndecryptableField, match="does not authenticate"):
        protection.reveal(
            {"customer_email": MASK_TEXT}, tampered, b"o-1", clear=True, principal="app"
        )
    with shop.mesh.local.log.producer() as producer:  # o-1's ciphertext on o-3's record
        producer.send(shop.topic, records[b"o-3"].value, key=b"o-3", headers=tuple(stolen.items()))
    with (
        shop._consumer("strict", clear=True) as reader,
        pytest.raises(UnreadableEvent, match="cannot be decrypted"),
    ):
        for _ in range(10):
            reader.take(10, timeout=5)
