"""Partition counts as T-shirt sizes, so that co-keyed streams line up on the same counts.

Free partition counts drift (7, 12, 10...), and two streams joined by key must have the same
number of partitions; a short list of sizes keeps the mesh on a few compatible counts.
"""

from __future__ import annotations

from enum import StrEnum


class PartitionSize(StrEnum):
    """A T-shirt size and the partition count it stands for."""

    XS = "xs"
    S = "s"
    M = "m"
    L = "l"
    XL = "xl"
    XXL = "xxl"
    JUMBO = "jumbo"

    @property
    def partitions(self) -> int:
        """The number of partitions of a topic of this size."""
        return _PARTITIONS[self]

    @classmethod
    def for_partitions(cls, count: int) -> PartitionSize | None:
        """The size whose partition count is exactly ``count``, if there is one."""
        for size, partitions in _PARTITIONS.items():
            if partitions == count:
                return size
        return None


_PARTITIONS = {
    PartitionSize.XS: 1,
    PartitionSize.S: 4,
    PartitionSize.M: 8,
    PartitionSize.L: 16,
    PartitionSize.XL: 32,
    PartitionSize.XXL: 64,
    PartitionSize.JUMBO: 256,
}


def size_table() -> str:
    """``xs=1, s=4, ...``: the sizes as a user would like to see them in a message."""
    return ", ".join(f"{size.value}={size.partitions}" for size in PartitionSize)
