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


def _java_murmur2(data: bytes) -> int:
    """Line for line Apache Kafka's ``Utils.murmur2`` (ints as signed 32-bit)."""

    def int32(value: int) -> int:
        value &= 0xFFFFFFFF
        return value - (1 << 32) if value & 0x80000000 else value

    length, seed, m, r = len(data), int32(0x9747B28C), int32(0x5BD1E995), 24
    h = int32(seed ^ length)
    for i in range(length // 4):
        i4 = i * 4
        k = data[i4] | data[i4 + 1] << 8 | data[i4 + 2] << 16 | data[i4 + 3] << 24
        k = int32(k * m)
        k ^= (k & 0xFFFFFFFF) >> r  # >>> in Java
        k = int32(k * m)
        h = int32(h * m)
        h = int32(h ^ k)
    tail = length & ~3
    if length % 4 >= 3:
        h = int32(h ^ data[tail + 2] << 16)
    if length % 4 >= 2:
        h = int32(h ^ data[tail + 1] << 8)
    if length % 4 >= 1:
        h = int32(h ^ data[tail])
        h = int32(h * m)
    h = int32(h ^ (h & 0xFFFFFFFF) >> 13)
    h = int32(h * m)
    return int32(h ^ (h & 0xFFFFFFFF) >> 15)


@given(
    key=st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1).map(
            lambda n: n.to_bytes(8, "big", signed=True)  # a long key: the unrolled path
        ),
        st.binary(min_size=8, max_size=8),
        st.binary(max_size=300),  # words past the precompiled unpackers too
    )
)
def test_murmur2_equals_kafkas_java_code_for_long_keys_and_any_length(key: bytes) -> None:
    assert murmur2(key) == _java_murmur2(key)


def test_murmur2_of_long_keys_matches_recorded_values() -> None:
    # Recorded from the loop implementation the Kafka vectors above validated.
    keys = [n.to_bytes(8, "big", signed=True) for n in (0, 1, -1, 123456789)]
    assert [murmur2(key) for key in keys] == [-522759933, 2100486060, 185950397, -160263360]
