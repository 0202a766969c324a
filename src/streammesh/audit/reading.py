"""Reading the ``_mesh.events`` stream back, without a consumer group."""

from __future__ import annotations

import time

from streammesh.audit.entries import AuditRecord
from streammesh.audit.events import MESH_EVENTS_TOPIC, decode_event
from streammesh.log import ConsumerOptions, EventLog, TopicNotFound, TopicPartition

_POLL_S = 0.2


def read_mesh_events(
    log: EventLog,
    *,
    from_offset: int = 0,
    max_events: int = 1000,
    timeout: float = 1.0,
    topic: str = MESH_EVENTS_TOPIC,
) -> list[AuditRecord]:
    """The events of the mesh events topic from ``from_offset`` on, in topic order.

    Reads up to the end the topic had when the call began, or ``max_events`` events, or for
    ``timeout`` seconds, whichever comes first. The topic has one partition and the relay never
    writes anything else to it, so the next page starts at ``from_offset + len(events)``. Events
    may repeat after a relay crashed (at-least-once): de-duplicate by ``id`` where it matters.

    Args:
        log: The event log.
        from_offset: The offset of the first event to read.
        max_events: At most this many events.
        timeout: Give up waiting for more after this many seconds.
        topic: The events topic (see ``EventRelay``).

    Returns:
        The events read; empty when the topic does not exist yet.

    Raises:
        MalformedMeshEvent: a record on the topic is not a mesh event.
    """
    try:
        description = log.describe_topic(topic)
    except TopicNotFound:
        return []
    end = description.end_offsets.get(0, 0)
    start = max(from_offset, description.beginning_offsets.get(0, 0))
    if start >= end or max_events <= 0:
        return []
    partition = TopicPartition(topic, 0)
    found: list[AuditRecord] = []
    deadline = time.monotonic() + timeout
    with log.consumer(ConsumerOptions(auto_commit=False, client_id="streammesh-mesh-events")) as c:
        c.assign([partition])
        c.seek(partition, start)
        while len(found) < max_events and time.monotonic() < deadline:
            remaining = deadline - time.monotonic()
            for record in c.poll(min(_POLL_S, max(remaining, 0.0)), max_events - len(found)):
                found.append(decode_event(record))
            if c.position(partition) >= end:
                break
    return found[:max_events]
