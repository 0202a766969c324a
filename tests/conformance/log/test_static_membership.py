"""Static group membership (``ConsumerOptions.group_instance_id``, Kafka's KIP-345): a member
killed without leaving and started again with the same instance id takes its partitions back
at once, instead of after the session timeout."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from streammesh.log import ConsumerOptions, ConsumerStateError, TopicPartition
from tests.conformance.log.conftest import ConsumerFactory

PARTITIONS = 4
SESSION_TIMEOUT_MS = 10_000
"""Long, so that taking the partitions back long before it shows static membership at work
(a static member returns in well under a second; tansu holds a first join about half of it)."""

MEMBER = """
import sys, time
from streammesh.log import ConsumerOptions, open_log

url, topic, group, instance, session_ms = sys.argv[1:6]
consumer = open_log(url).consumer(
    ConsumerOptions(group=group, group_instance_id=instance, session_timeout_ms=int(session_ms),
                    heartbeat_interval_ms=200)
)
consumer.subscribe([topic])
deadline = time.monotonic() + 60
while len(consumer.assignment()) < int(sys.argv[6]) and time.monotonic() < deadline:
    consumer.poll(timeout=0.2)
print("ready", sorted(tp.partition for tp in consumer.assignment()), flush=True)
while True:
    consumer.poll(timeout=0.2)
"""


def _wait_for(
    consumer: object, wanted: Callable[[frozenset[TopicPartition]], bool], timeout: float
) -> frozenset[TopicPartition]:
    assert hasattr(consumer, "poll") and hasattr(consumer, "assignment")
    deadline = time.monotonic() + timeout
    while True:
        consumer.poll(timeout=0.2)
        assignment: frozenset[TopicPartition] = consumer.assignment()
        if wanted(assignment) or time.monotonic() > deadline:
            return assignment


TANSU = (
    "tansu 0.6, the test broker, does not implement static membership: a consumer joining with "
    "the group.instance.id of a killed member waits as a new member would (no partition after "
    "5 s of a 10 s session); a Kafka broker (2.3+) gives it the partitions back at once"
)


@pytest.mark.slow
def test_a_restarted_static_member_takes_its_partitions_back_at_once(
    request: pytest.FixtureRequest,
    backend: str,
    log_url: str,
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
    make_consumer: ConsumerFactory,
) -> None:
    if backend == "kafka":
        request.applymarker(pytest.mark.xfail(reason=TANSU, strict=True))
    topic = new_topic(partitions=PARTITIONS)
    group = group_id()
    everything = frozenset(TopicPartition(topic, p) for p in range(PARTITIONS))
    member = subprocess.Popen(
        [
            sys.executable,
            "-c",
            MEMBER,
            log_url,
            topic,
            group,
            "instance-a",
            str(SESSION_TIMEOUT_MS),
            str(PARTITIONS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert member.stdout is not None
        assert member.stdout.readline().strip() == "ready [0, 1, 2, 3]"
    finally:
        member.kill()  # gone without leaving the group
        member.wait()
        if member.stdout is not None:
            member.stdout.close()

    started = time.monotonic()
    again = make_consumer(
        ConsumerOptions(
            group=group,
            group_instance_id="instance-a",
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=200,
        )
    )
    again.subscribe([topic])
    # Waiting past half the session timeout could only end in the failure below.
    at_once = SESSION_TIMEOUT_MS / 1000 / 2
    assignment = _wait_for(again, lambda found: found == everything, timeout=at_once)
    took = time.monotonic() - started
    assert assignment == everything
    assert took < at_once, f"took {took:.1f} s"


def test_a_static_member_replaced_by_its_instance_is_fenced_and_others_keep_theirs(
    backend: str,
    new_topic: Callable[..., str],
    group_id: Callable[[], str],
    make_consumer: ConsumerFactory,
) -> None:
    if backend == "kafka":
        pytest.skip("one process cannot hold two members of one instance id on Kafka")
    topic = new_topic(partitions=PARTITIONS)
    group = group_id()

    def member(instance: str) -> object:
        consumer = make_consumer(
            ConsumerOptions(
                group=group,
                group_instance_id=instance,
                session_timeout_ms=SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=200,
            )
        )
        consumer.subscribe([topic])
        return consumer

    first, other = member("instance-a"), member("instance-b")
    halves = lambda found: len(found) == PARTITIONS // 2  # noqa: E731
    mine = _wait_for(first, halves, timeout=15)
    theirs = _wait_for(other, halves, timeout=15)
    assert len(mine) == len(theirs) == PARTITIONS // 2 and not mine & theirs

    # The same instance again while the first still runs (a frozen process): it takes over.
    replacing = member("instance-a")
    assert _wait_for(replacing, lambda found: found == mine, timeout=5) == mine
    assert _wait_for(other, lambda found: found != theirs, timeout=1) == theirs
    with pytest.raises(ConsumerStateError, match="fenced"):
        _wait_for(first, lambda found: False, timeout=3)
