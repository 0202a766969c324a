"""Decoding pgoutput (protocol 1) messages, byte layouts from PostgreSQL's "Logical
Replication Message Formats"."""

from __future__ import annotations

import struct

import pytest

from streammesh.connect.postgres import pgoutput
from streammesh.connect.postgres.errors import UndecodableMessage


def text(value: str) -> bytes:
    raw = value.encode()
    return b"t" + struct.pack("!i", len(raw)) + raw


def tuple_data(*values: bytes) -> bytes:
    return struct.pack("!h", len(values)) + b"".join(values)


def test_a_transaction_decodes_with_its_lsns_commit_time_and_rows() -> None:
    micros = 123_456_789  # after 2000-01-01
    begin = pgoutput.decode(b"B" + struct.pack("!QqI", 0x1_0000_0010, micros, 741))
    assert begin == pgoutput.Begin(0x1_0000_0010, 946_684_800_000 + micros // 1000, 741)
    relation = pgoutput.decode(
        b"R"
        + struct.pack("!I", 16384)
        + b"public\0orders\0d"
        + struct.pack("!h", 2)
        + b"\x01id\0"
        + struct.pack("!Ii", 20, -1)
        + b"\x00amount\0"
        + struct.pack("!Ii", 1700, ((10 << 16) | 2) + 4)
    )
    assert isinstance(relation, pgoutput.Relation)
    assert relation.qualified_name == "public.orders"
    assert relation.columns[0] == pgoutput.RelationColumn("id", 20, -1, True)
    assert relation.columns[1].key is False
    insert = b"I" + struct.pack("!I", 16384) + b"N" + tuple_data(text("7"), b"n")
    assert pgoutput.decode(insert) == pgoutput.Insert(16384, ("7", None))
    assert pgoutput.decode_insert(insert) == (16384, ("7", None))
    update = (
        b"U"
        + struct.pack("!I", 16384)
        + b"K"
        + tuple_data(text("7"), b"n")
        + b"N"
        + tuple_data(text("7"), b"u")
    )
    assert pgoutput.decode(update) == pgoutput.Update(
        16384, ("7", None), ("7", pgoutput.UNCHANGED_TOAST)
    )
    delete = b"D" + struct.pack("!I", 16384) + b"K" + tuple_data(text("7"), b"n")
    assert pgoutput.decode(delete) == pgoutput.Delete(16384, ("7", None))
    truncate = b"T" + struct.pack("!Ib", 2, 0) + struct.pack("!II", 16384, 16390)
    assert pgoutput.decode(truncate) == pgoutput.Truncate((16384, 16390))
    commit = pgoutput.decode(b"C" + struct.pack("!bQQq", 0, 0x1_0000_0010, 0x1_0000_0040, micros))
    assert commit == pgoutput.Commit(0x1_0000_0010, 0x1_0000_0040, begin.commit_time_ms)


def test_lsns_read_and_write_as_postgresql_spells_them() -> None:
    assert pgoutput.parse_lsn("0/16B3748") == 0x16B3748
    assert pgoutput.parse_lsn("1A/0") == 0x1A << 32
    assert pgoutput.format_lsn(0x1A_0016_B374) == "1A/16B374"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "an empty message"),
        (b"Z", "unknown message type 'Z'"),
        (b"I\0\0", "malformed 'I'"),
        (b"I" + struct.pack("!I", 1) + b"N" + struct.pack("!h", 1) + b"x", "kind 'x'"),
    ],
)
def test_malformed_messages_are_named(payload: bytes, reason: str) -> None:
    with pytest.raises(UndecodableMessage, match=reason):
        pgoutput.decode(payload)
