"""Consumer groups in one process: members split partitions and rebalance on join and leave.

Members in different processes, and members that die, are covered by
``tests/integration/test_group_processes.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

from streammesh.log import Consumer, ConsumerOptions, Producer, Record, TopicPartition

PARTITIONS = 4


def split_between(members: int, topic: str) -> Callable[[list[frozenset[TopicPartition]]], bool]:
    """A settled group: every member holds partitions, none twice, all of them covered."""
    everything = {TopicPartition(topic, p) for p in range(PARTITIONS)}

    def settled(assignments: list[frozenset[TopicPartition]]) -> bool:
        held = [tp for assignment in assignments for tp in assignment]
        return (
            len(assignments) == members
            and all(assignments)
            and len(held) == len(set(held))
            and set(held) == everything
        )

    return settled


def send_keyed(producer: Producer, topic: str, start: int, count: int) -> set[bytes]:
    values = {f"record-{n}".encode() for n in range(start, start + count)}
    for value in sorted(values):
        producer.send(topic, value, key=value)
    producer.flush()
    return values


def drain(members: Sequence[Consumer], expected: int, timeout: float = 30.0) -> list[Record]:
    """Poll every member in turn until ``expected`` records arrived between them."""
    received: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(received) < expected and time.monotonic() < deadline:
        for member in members:
            batch = member.poll(timeout=0.2)
            assignment = member.assignment()
            assert all(TopicPartition(r.topic, r.partition) in assignment for r in batch)
            received.extend(batch)
    for member in members:  # anything beyond `expected` would be a duplicate
        received.extend(member.poll(timeout=0.3))
    return received


def assert_each_once(received: list[Record], sent: set[bytes]) -> None:
    counts = Counter(record.value for record in received)
    assert set(counts) == sent, "records were lost or invented"
    assert [value for value, n in counts.items() if n > 1] == [], "records were read twice"


def test_joining_member_takes_partitions_and_each_record_is_read_once(
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
    member_options: Callable[..., ConsumerOptions],
    make_consumer: Callable[..., Consumer],
    producer: Producer,
    wait_for_assignment: Callable[..., list[list[Record]]],
) -> None:
    topic = new_topic(partitions=PARTITIONS)
    group = group_id()
    first = make_consumer(member_options(group))
    first.subscribe([topic])
    wait_for_assignment([first], split_between(1, topic))
    early = send_keyed(producer, topic, 0, 100)
    received = drain([first], len(early))
    first.commit()

    second = make_consumer(member_options(group))
    second.subscribe([topic])
    during = wait_for_assignment([first, second], split_between(2, topic))
    late = send_keyed(producer, topic, 100, 200)
    after = drain([first, second], len(late))

    assert 0 < len(first.assignment()) < PARTITIONS
    assert_each_once(received + during[0] + during[1] + after, early | late)
    assert {r.partition for r in after} == set(range(PARTITIONS))


def test_remaining_member_takes_over_when_one_closes(
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
    member_options: Callable[..., ConsumerOptions],
    make_consumer: Callable[..., Consumer],
    producer: Producer,
    wait_for_assignment: Callable[..., list[list[Record]]],
) -> None:
    topic = new_topic(partitions=PARTITIONS)
    group = group_id()
    staying = make_consumer(member_options(group))
    leaving = make_consumer(member_options(group))
    staying.subscribe([topic])
    leaving.subscribe([topic])
    wait_for_assignment([staying, leaving], split_between(2, topic))
    early = send_keyed(producer, topic, 0, 100)
    received = drain([staying, leaving], len(early))
    staying.commit()
    leaving_had = leaving.assignment()

    leaving.close()
    during = wait_for_assignment([staying], split_between(1, topic))
    late = send_keyed(producer, topic, 100, 100)
    after = drain([staying], len(late))

    assert leaving_had < staying.assignment()
    assert_each_once(received + during[0] + after, early | late)


def test_members_get_the_same_partitions_of_topics_with_equal_counts(
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
    member_options: Callable[..., ConsumerOptions],
    make_consumer: Callable[..., Consumer],
    wait_for_assignment: Callable[..., list[list[Record]]],
) -> None:
    # A stream application's task p reads partition p of its source, join and repartition
    # topics: the group must hand every partition p of those topics to one member.
    topics = [new_topic(partitions=PARTITIONS), new_topic(partitions=PARTITIONS)]
    group = group_id()
    members = [make_consumer(member_options(group)) for _ in range(3)]
    for member in members:
        member.subscribe(topics)
    everything = {TopicPartition(t, p) for t in topics for p in range(PARTITIONS)}

    def settled(assignments: list[frozenset[TopicPartition]]) -> bool:
        held = [tp for assignment in assignments for tp in assignment]
        return all(assignments) and len(held) == len(set(held)) and set(held) == everything

    wait_for_assignment(members, settled)
    for member in members:
        by_topic = [{tp.partition for tp in member.assignment() if tp.topic == t} for t in topics]
        assert by_topic[0] == by_topic[1], member.assignment()
