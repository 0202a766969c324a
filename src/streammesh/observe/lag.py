"""Consumer-group lag by offsets, and whether a group has caught up to given offsets.

The lag itself is the log's one definition (:func:`streammesh.log.partition_lags`): how many
records lie between a group's committed offset and a partition's end offset, a partition
never committed on counting from its beginning; here it is named per product. Offsets follow
the log's conventions: an end offset and a committed offset are both *the next offset to read*, so a
group has caught up to an end offset ``E`` once it committed ``E`` or more; a caller holding
the offset ``o`` of a record it wrote asks for ``o + 1``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from streammesh.log import EventLog, PartitionLag, partition_lags
from streammesh.observe.errors import InvalidGroup, InvalidOffsets

MAX_WAIT_S = 30.0
"""The longest a caught-up question may wait for the group."""
_POLL_S = 0.2
_SLOW_POLL_AFTER_S = 2.0
_SLOWEST_POLL_S = 1.0
_MAX_GROUP = 255


@dataclass(frozen=True, slots=True)
class GroupLag:
    """A consumer group's lag on one product version's topic."""

    group: str
    product: str
    topic: str
    partitions: tuple[PartitionLag, ...]

    @property
    def total(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def caught_up(self) -> bool:
        """Every partition read up to its end offset."""
        return self.total == 0

    @property
    def committed_any(self) -> bool:
        """The group committed on at least one partition of the topic."""
        return any(p.committed is not None for p in self.partitions)

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API and ``--json`` output."""
        return {
            "group": self.group,
            "product": self.product,
            "topic": self.topic,
            "total_lag": self.total,
            "caught_up": self.caught_up,
            "partitions": [
                {
                    "partition": p.partition,
                    "committed_offset": p.committed,
                    "end_offset": p.end,
                    "lag": p.lag,
                }
                for p in self.partitions
            ],
        }


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """The answer to "has ``group`` read ``product`` up to these offsets?".

    Attributes:
        behind: Per partition still short of its target, by how many offsets.
        committed: The group's committed offset per asked partition (``None``: none yet).
    """

    group: str
    product: str
    targets: Mapping[int, int]
    committed: Mapping[int, int | None]
    behind: Mapping[int, int]

    @property
    def caught_up(self) -> bool:
        return not self.behind

    def document(self) -> dict[str, Any]:
        """The JSON shape in the REST API (partition numbers as keys, like the request)."""
        return {
            "group": self.group,
            "product": self.product,
            "caught_up": self.caught_up,
            "behind": {str(p): n for p, n in sorted(self.behind.items())},
            "committed": {str(p): c for p, c in sorted(self.committed.items())},
        }


def check_group(group: str) -> None:
    """Refuse a name that cannot be a consumer group's.

    Raises:
        InvalidGroup: ``group`` is blank or longer than 255 characters.
    """
    if not group.strip():
        raise InvalidGroup(group, "is empty")
    if len(group) > _MAX_GROUP:
        raise InvalidGroup(group[:40] + "...", f"is longer than {_MAX_GROUP} characters")


def group_lag(log: EventLog, group: str, product: str, topic: str) -> GroupLag:
    """``group``'s lag on ``topic`` (the stream of ``product``), per partition.

    Raises:
        InvalidGroup: The group name is blank or too long.
        TopicNotFound: The topic is gone.
        LogError: The log cannot be read.
    """
    check_group(group)
    return GroupLag(group, product, topic, partition_lags(log, group, topic))


def caught_up(
    log: EventLog, group: str, product: str, topic: str, targets: Mapping[int, int]
) -> CaughtUp:
    """Whether ``group`` committed at least ``targets[p]`` on every partition ``p`` asked.

    Raises:
        InvalidGroup: The group name is blank or too long.
        InvalidOffsets: No targets, a partition the topic lacks, or a negative offset.
        TopicNotFound: The topic is gone.
    """
    check_group(group)
    description = log.describe_topic(topic)
    _check_targets(product, targets, set(description.end_offsets))
    committed = log.committed_offsets(group, topic)
    asked = {p: committed.get(p) for p in targets}
    behind = {}
    for partition, target in targets.items():
        position = asked[partition]
        if position is None:
            position = description.beginning_offsets.get(partition, 0)
        if position < target:
            behind[partition] = target - position
    return CaughtUp(group, product, dict(targets), asked, behind)


def wait_caught_up(
    log: EventLog,
    group: str,
    product: str,
    topic: str,
    targets: Mapping[int, int],
    *,
    wait_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> CaughtUp:
    """Like :func:`caught_up`, but wait up to ``wait_s`` seconds (at most 30) for the group to
    get there; returns the last answer, caught up or not, when the time is over."""
    deadline = time.monotonic() + min(max(wait_s, 0.0), MAX_WAIT_S)
    while True:
        answer = caught_up(log, group, product, topic, targets)
        remaining = deadline - time.monotonic()
        if answer.caught_up or remaining <= 0:
            return answer
        sleep(min(_POLL_S, remaining))


async def await_caught_up(
    check: Callable[[], Awaitable[CaughtUp]],
    *,
    wait_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> CaughtUp:
    """Like :func:`wait_caught_up` for an event loop: ``check`` is awaited every 0.2 s (it
    should run :func:`caught_up` off the loop, e.g. in a worker thread) and the loop is free
    in between, so a waiting question holds no thread. After 2 s the checks slow down to one
    a second: a group that has not caught up by then is rarely seconds away, and dozens of
    waiting questions should not keep the server busy. Returns the last answer, caught up or
    not, when ``wait_s`` seconds (at most 30) are over."""
    started = time.monotonic()
    deadline = started + min(max(wait_s, 0.0), MAX_WAIT_S)
    interval = _POLL_S
    while True:
        answer = await check()
        now = time.monotonic()
        if answer.caught_up or now >= deadline:
            return answer
        if now - started >= _SLOW_POLL_AFTER_S:
            interval = min(interval * 1.5, _SLOWEST_POLL_S)
        await sleep(min(interval, deadline - now))


def _check_targets(product: str, targets: Mapping[int, int], partitions: set[int]) -> None:
    if not targets:
        raise InvalidOffsets(product, "name no partition")
    unknown = sorted(p for p in targets if p not in partitions)
    if unknown:
        have = ", ".join(str(p) for p in sorted(partitions))
        raise InvalidOffsets(
            product, f"name partition(s) {unknown} the topic lacks (it has {have})"
        )
    negative = sorted(p for p, offset in targets.items() if offset < 0)
    if negative:
        raise InvalidOffsets(product, f"give a negative offset for partition(s) {negative}")
