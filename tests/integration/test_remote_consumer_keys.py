"""``Mesh.connect``'s consumer hands back the events an in-process consumer would: keys
decoded per the product's key type (text, numbers, UUIDs, bytes), values, timestamps and
headers as written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from streammesh.identity import Role
from streammesh.sdk.remote import RemoteMesh
from tests.integration.api_v1_support import Served, avro, descriptor, serve, sources

KEYS: dict[str, tuple[str, dict[str, object], list[object]]] = {
    "string": ("trade_id", {"name": "n", "type": "long"}, ["t-1", "t-2", "t-3"]),
    "long": ("n", {"name": "n", "type": "long"}, [7, 2**40, -3]),
    "uuid": (
        "u",
        {"name": "u", "type": {"type": "string", "logicalType": "uuid"}},
        [uuid.UUID(int=1), uuid.UUID(int=2**100), uuid.uuid4()],
    ),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("keys") / "mesh")


@pytest.mark.parametrize("key_type", sorted(KEYS))
def test_a_remote_consumer_reads_keys_values_and_times_as_written(
    served: Served, key_type: str
) -> None:
    field, extra, keys = KEYS[key_type]
    name = f"execution.keys{key_type}"
    text = descriptor(name).replace(
        "key: {field: trade_id, type: string}", f"key: {{field: {field}, type: {key_type}}}"
    )
    applied = served.client.post(
        "/api/v1/apply", json=sources((text, avro(extra))), headers=served.headers()
    )
    assert applied.status_code == 200, applied.text
    events = [
        {"trade_id": f"t-{i + 1}", "symbol": "ACME", "price": 1.5 + i, field: key}
        for i, key in enumerate(keys)
    ]
    if key_type == "string":
        for event in events:
            event["n"] = 1
    written_after = datetime.now(UTC) - timedelta(seconds=1)
    with RemoteMesh(
        "http://testserver", served.tokens[Role.PLATFORM_ADMIN], client=served.client
    ) as remote:
        with remote.producer(f"{name}.v1") as producer:
            producer.send_many(events)
        consumer = remote.consumer(f"{name}.v1", "key-readers")
        read = consumer.take(len(events), timeout=10)
    assert sorted(str(e.key) for e in read) == sorted(str(k) for k in keys)
    for event in read:
        assert type(event.key) is type(keys[0])
        assert event.value is not None and str(event.value[field]) == str(event.key)
        assert event.product == f"{name}.v1"
        assert event.timestamp.tzinfo is not None
        assert written_after <= event.timestamp <= datetime.now(UTC) + timedelta(seconds=1)
        # Mesh.connect's producer sends each batch with an Idempotency-Key: its records say so.
        [(header, claim)] = event.headers
        assert header == "streammesh-idempotency" and isinstance(claim, bytes)
