"""The default partitioner must match Kafka's, key for key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streammesh.log.partitioner import KeyPartitioner, murmur2, partition_for_key

# Vectors from Apache Kafka's own UtilsTest.testMurmur2.
KAFKA_VECTORS = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (bytes([ord("a"), ord("b"), ord("c")]), 479470107),
]


@pytest.mark.parametrize(("key", "expected"), KAFKA_VECTORS)
def test_murmur2_matches_kafka_vectors(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_partition_is_positive_hash_modulo_partitions() -> None:
    # murmur2(b"foobar") is negative; Kafka masks the sign bit rather than taking abs().
    assert partition_for_key(b"foobar", 7) == (-790332482 & 0x7FFFFFFF) % 7


@given(key=st.binary(max_size=64), partitions=st.integers(min_value=1, max_value=256))
def test_partition_is_in_range_and_stable(key: bytes, partitions: int) -> None:
    chosen = partition_for_key(key, partitions)
    assert 0 <= chosen < partitions
    assert KeyPartitioner(partitions).partition(key) == chosen


@given(key=st.binary(max_size=64))
def test_murmur2_is_a_signed_32_bit_int(key: bytes) -> None:
    assert -(2**31) <= murmur2(key) < 2**31


def test_keyless_records_spread_over_every_partition() -> None:
    partitioner = KeyPartitioner(4)
    chosen = [partitioner.partition(None) for _ in range(8)]
    assert sorted(set(chosen)) == [0, 1, 2, 3]
    assert chosen.count(0) == 2
