"""Kafka's default partitioner, so a product keeps its partitioning across backends.

Java Kafka (and librdkafka's ``murmur2_random``) put a keyed record in partition
``(murmur2(key) & 0x7fffffff) % partitions``; keyless records are spread. Moving a product
from the embedded log to Kafka therefore keeps every key in the same partition, and with it
per-key ordering and any state keyed by partition.
"""

from __future__ import annotations

import struct

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
_UNPACK = tuple(struct.Struct(f"<{words}I").unpack_from for words in range(64))
"""Little-endian words of keys up to 255 bytes, by word count (no format built per call)."""
_PAIR = struct.Struct("<2I").unpack
_H8 = ((_SEED ^ 8) * _M) & _MASK
"""The hash of an 8-byte key (a ``long`` key) before its first word: a constant."""


def murmur2(data: bytes) -> int:
    """Kafka's 32-bit murmur2 of ``data``, as a signed int like Java's ``Utils.murmur2``."""
    # Constants are literals and an 8-byte key (every long key) is unrolled: the keys of a
    # CDC stream are all new, so the partitioner's cache misses and this runs per record.
    length = len(data)
    h: int
    if length == 8:
        first, second = _PAIR(data)
        first = (first * 0x5BD1E995) & 0xFFFFFFFF
        second = (second * 0x5BD1E995) & 0xFFFFFFFF
        h = _H8 ^ (((first ^ (first >> 24)) * 0x5BD1E995) & 0xFFFFFFFF)
        h = ((h * 0x5BD1E995) & 0xFFFFFFFF) ^ (((second ^ (second >> 24)) * 0x5BD1E995) & _MASK)
    else:
        h = _SEED ^ length
        words = length >> 2
        unpack = _UNPACK[words] if words < 64 else struct.Struct(f"<{words}I").unpack_from
        for k in unpack(data):
            k = (k * 0x5BD1E995) & 0xFFFFFFFF
            h = ((h * 0x5BD1E995) & 0xFFFFFFFF) ^ (((k ^ (k >> 24)) * 0x5BD1E995) & 0xFFFFFFFF)
        remaining = length & 3
        if remaining:
            tail = length & ~3
            if remaining == 3:
                h ^= data[tail + 2] << 16
            if remaining >= 2:
                h ^= data[tail + 1] << 8
            h = ((h ^ data[tail]) * 0x5BD1E995) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0x5BD1E995) & 0xFFFFFFFF
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KeyPartitioner:
    """Partition choice for one topic: murmur2 for keys, round-robin for keyless records.

    Keys of a stream repeat (they name entities), so results are memoised in a bounded dict:
    pure-Python murmur2 costs a few microseconds, a dict hit a few dozen nanoseconds. A hot
    path may look a key up in ``known`` itself (skipping a method call) and call
    :meth:`partition` on a miss; it must not write to it.
    """

    _CACHE_LIMIT = 65_536

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.known: dict[bytes, int] = {}
        self._next_keyless = 0

    def partition(self, key: bytes | None) -> int:
        if key is None:
            self._next_keyless += 1
            return self._next_keyless % self.partitions
        chosen = self.known.get(key)
        if chosen is None:
            chosen = partition_for_key(key, self.partitions)
            if len(self.known) >= self._CACHE_LIMIT:
                self.known.clear()
            self.known[key] = chosen
        return chosen
