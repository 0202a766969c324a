"""A product's stream at a glance: recent sample events and throughput, read without a
consumer group (so looking at a product never moves any application's offsets).

The stats (offsets, counts, when the last event was written) are metadata, open to every
token like the contract and the schema. The sample is event contents: it needs a grant on the
product, membership of the owning team, or the governance or platform-admin role (see
:mod:`streammesh.access.contents`); anyone else gets 403 ``access-denied`` saying how to request
access. Protected fields stay masked unless a grant includes classified fields, also those
written in clear before they were protected.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from streammesh.access import AccessControl, ContentAccess, content_access
from streammesh.control import ControlPlane, ProductContract, ProductRecord
from streammesh.governance.policies import PolicyRegistry
from streammesh.identity import Principal
from streammesh.log import ConsumerOptions, EventLog, Record, TopicPartition
from streammesh.privacy import FieldProtection, KeyStore, PrivacyError
from streammesh.registry.base import SchemaRegistry
from streammesh.registry.errors import SchemaNotFound
from streammesh.schemas.errors import SchemaError
from streammesh.sdk import InvalidKey, ProductEvent
from streammesh.sdk.events import timestamp_of
from streammesh.sdk.keys import KeyCodec
from streammesh.sdk.protection import protection_for
from streammesh.serde import Deserializer, RegistryResolver
from streammesh.serde.wire import decode_schema_id
from streammesh.server.api.event_json import event_document
from streammesh.server.api.models.events import EventDocument, SampleReply, StatsReply
from streammesh.server.api.products import Reference
from streammesh.server.api.responses import errors
from streammesh.server.api.services import Access, Keys, Log, Plane, Policies, Registry
from streammesh.server.auth import Reader

router = APIRouter(tags=["products"])

MAX_SAMPLE = 100
_READ_S = 2.0
"""How long a sample or stats read may take at most."""
_MINUTE_MS = 60_000


JSONL_MEDIA_TYPE = "application/x-ndjson"
"""The media type of the sample's download: one event document per line."""


@router.get(
    "/products/{reference}/sample",
    response_model=SampleReply,
    responses={
        **errors(403, 404),
        200: {
            "content": {
                JSONL_MEDIA_TYPE: {"schema": {"type": "string"}},
            },
            "description": "The sample; with `format=jsonl` a download, one event per line.",
        },
    },
)
def sample(
    reference: Reference,
    principal: Reader,
    plane: Plane,
    log: Log,
    registry: Registry,
    access: Access,
    keys: Keys,
    policies: Policies,
    limit: Annotated[int, Query(ge=1, le=MAX_SAMPLE)] = 10,
    format: Annotated[
        Literal["json", "jsonl"],
        Query(description="`jsonl`: the events as a JSON lines download (`<product>.jsonl`)."),
    ] = "json",
) -> dict[str, Any] | Response:
    """The most recent events of the product (at most `limit`, newest last), deserialized.

    Reading them needs a grant on the product (held by the caller or an application of its
    team), membership of the owning team, or the governance or platform-admin role; anyone
    else gets 403 `access-denied`, whose message says how to request access. Classified
    fields are masked unless such a grant includes them. Records that are not events of the
    product are left out of a sample.
    """
    record = plane.product(reference)
    reading = event_access(access, plane, principal, record)
    events = sample_events(log, registry, keys, policies, record, reading, limit=limit)
    documents = [event_document(e) for e in events]
    if format == "jsonl":
        return Response(
            # Through the reply's model, so each line is exactly an event of the JSON sample.
            content="".join(
                json.dumps(EventDocument.model_validate(d).model_dump(mode="json")) + "\n"
                for d in documents
            ),
            media_type=JSONL_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{record.reference}.jsonl"'},
        )
    return {"product": record.reference, "events": documents}


def event_access(
    access: AccessControl, plane: ControlPlane, principal: Principal, record: ProductRecord
) -> ContentAccess:
    """What ``principal`` may see of ``record``'s events (see :mod:`streammesh.access.contents`).

    Raises:
        EventsNotReadable: It may not read them at all.
    """
    return content_access(
        access,
        plane.store,
        principal.name,
        principal.role,
        record.reference,
        record.descriptor.team,
    )


def sample_events(
    log: EventLog,
    registry: SchemaRegistry,
    keys: KeyStore,
    policies: PolicyRegistry,
    record: ProductRecord,
    reading: ContentAccess,
    *,
    limit: int,
) -> list[ProductEvent]:
    """The latest ``limit`` events of ``record``'s product (newest last), as ``reading``
    allows: classified fields in clear only through a grant that includes them (each key
    handout audited under the reader's name), masked otherwise."""
    records = _latest_records(log, record.topic, limit)
    decoder = _Decoder(
        record.contract,
        Deserializer(RegistryResolver(registry)),
        protection_for(keys, policies, record),
        reading,
    )
    return [event for event in map(decoder.event, records) if event is not None]


@router.get("/products/{reference}/stats", response_model=StatsReply, responses=errors(404))
def stats(reference: Reference, _: Reader, plane: Plane, log: Log) -> dict[str, Any]:
    """Per-partition offsets, how many events the stream holds, when the last one was
    written and how many were written in the last minute."""
    record = plane.product(reference)
    topic = record.topic
    description = log.describe_topic(topic)
    partitions = sorted(description.end_offsets)
    begin = {p: description.beginning_offsets.get(p, 0) for p in partitions}
    end = {p: description.end_offsets[p] for p in partitions}
    last = _latest_records(log, topic, 1, per_partition=True)
    last_minute = _count_since(log, topic, end, int(time.time() * 1000) - _MINUTE_MS)
    return {
        "product": record.reference,
        "topic": topic,
        "partitions": [
            {"partition": p, "beginning_offset": begin[p], "end_offset": end[p]} for p in partitions
        ],
        "total_events": sum(end[p] - begin[p] for p in partitions),
        "last_event_at": (
            max(timestamp_of(r.timestamp_ms) for r in last).isoformat() if last else None
        ),
        "events_last_minute": last_minute,
    }


def _latest_records(
    log: EventLog, topic: str, limit: int, *, per_partition: bool = False
) -> list[Record]:
    """The last ``limit`` records of ``topic`` by timestamp (or of each partition)."""
    description = log.describe_topic(topic)
    wanted: dict[TopicPartition, tuple[int, int]] = {}
    for partition, end in description.end_offsets.items():
        start = max(description.beginning_offsets.get(partition, 0), end - limit)
        if start < end:
            wanted[TopicPartition(topic, partition)] = (start, end)
    if not wanted:
        return []
    found: list[Record] = []
    with log.consumer(ConsumerOptions(auto_commit=False, client_id="streammesh-sample")) as c:
        c.assign(list(wanted))
        for tp, (start, _end) in wanted.items():
            c.seek(tp, start)
        deadline = time.monotonic() + _READ_S
        while time.monotonic() < deadline:
            found.extend(c.poll(0.1))
            if all(c.position(tp) >= end for tp, (_start, end) in wanted.items()):
                break
    # Compaction may leave records past the end we asked for; keep the asked range.
    found = [r for r in found if r.offset < wanted[TopicPartition(r.topic, r.partition)][1]]
    found.sort(key=lambda record: (record.timestamp_ms, record.partition, record.offset))
    return found if per_partition else found[-limit:]


def _count_since(log: EventLog, topic: str, end: dict[int, int], since_ms: int) -> int:
    if not end:
        return 0
    partitions = [TopicPartition(topic, p) for p in end]
    with log.consumer(ConsumerOptions(auto_commit=False, client_id="streammesh-stats")) as c:
        c.assign(partitions)
        c.seek_to_timestamp(since_ms, partitions)
        return sum(max(end[tp.partition] - c.position(tp), 0) for tp in partitions)


class _Decoder:
    """Turns records of one product into events as a reader may see them; ``None`` for what
    is not one."""

    def __init__(
        self,
        contract: ProductContract,
        deserializer: Deserializer,
        protection: FieldProtection | None,
        reading: ContentAccess,
    ) -> None:
        self._contract = contract
        self._keys = KeyCodec(contract.key_field, contract.key_type)
        self._deserializer = deserializer
        self._protection = protection
        self._reading = reading

    def event(self, record: Record) -> ProductEvent | None:
        try:
            key = self._keys.decode(record.key) if record.key is not None else None
            value = None
            schema_id = None
            if record.value is not None:
                schema_id = decode_schema_id(record.value)
                value = self._deserializer.deserialize(record.value)
        except (SchemaError, SchemaNotFound, InvalidKey):
            return None
        if value is not None and not isinstance(value, dict):
            return None
        if value is not None and self._protection is not None:
            value = self._shown(value, record)
        return ProductEvent(
            product=self._contract.reference,
            key=key,
            value=value,
            partition=record.partition,
            offset=record.offset,
            timestamp=timestamp_of(record.timestamp_ms),
            schema_id=schema_id,
            headers=record.headers,
        )

    def _shown(self, value: dict[str, Any], record: Record) -> dict[str, Any]:
        """``value`` with protected fields revealed or masked for the reader."""
        assert self._protection is not None  # checked by the caller
        headers = dict(record.headers)
        key = record.key or b""
        reveal = self._protection.reveal
        principal = self._reading.principal
        if self._reading.clear:
            try:
                return reveal(value, headers, key, clear=True, principal=principal)
            except PrivacyError:
                pass  # an event that cannot be revealed stays masked
        return reveal(value, headers, key, clear=False, principal=principal)
