"""Decoding the messages of PostgreSQL's ``pgoutput`` logical decoding plugin (protocol 1).

The format is PostgreSQL's "Logical Replication Message Formats" chapter: one message per
replication data payload, its first byte naming it. Only what a change data capture source
needs is kept: transaction bounds with their LSNs and commit time, relation (table) metadata,
row changes as text values, truncates; ``Origin``, ``Type`` and logical ``Message`` payloads
are decoded to :class:`Ignored`.
"""

from __future__ import annotations

import datetime
import struct
from dataclasses import dataclass

from streammesh.connect.postgres.errors import UndecodableMessage

__all__ = [
    "UNCHANGED_TOAST",
    "Begin",
    "Commit",
    "Delete",
    "Ignored",
    "Insert",
    "Message",
    "Relation",
    "RelationColumn",
    "Truncate",
    "Update",
    "decode",
    "decode_insert",
    "format_lsn",
    "parse_lsn",
]

_POSTGRES_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_POSTGRES_EPOCH_MS = int(_POSTGRES_EPOCH.timestamp() * 1000)


class _Unchanged:
    """The value of a TOASTed column an UPDATE left unchanged: PostgreSQL does not send it."""

    def __repr__(self) -> str:
        return "UNCHANGED_TOAST"


UNCHANGED_TOAST = _Unchanged()
"""Stands for a column value the server did not send (``'u'`` in a tuple)."""

TupleValues = tuple[str | _Unchanged | None, ...]


def parse_lsn(text: str) -> int:
    """``"0/16B3748"`` → its 64-bit integer."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(lsn: int) -> str:
    """A 64-bit LSN as PostgreSQL writes it (``"0/16B3748"``)."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def _commit_time_ms(micros: int) -> int:
    return _POSTGRES_EPOCH_MS + micros // 1000


@dataclass(frozen=True, slots=True)
class Begin:
    """A transaction starts; ``final_lsn`` is the LSN of its commit record."""

    final_lsn: int
    commit_time_ms: int
    xid: int


@dataclass(frozen=True, slots=True)
class Commit:
    """A transaction ends; resuming at ``end_lsn`` streams only what committed after it."""

    commit_lsn: int
    end_lsn: int
    commit_time_ms: int


@dataclass(frozen=True, slots=True)
class RelationColumn:
    """A column as the Relation message describes it."""

    name: str
    type_oid: int
    type_modifier: int
    key: bool


@dataclass(frozen=True, slots=True)
class Relation:
    """A table's metadata, sent before its first change and again after it changed."""

    oid: int
    namespace: str
    name: str
    replica_identity: str
    columns: tuple[RelationColumn, ...]

    @property
    def qualified_name(self) -> str:
        """``schema.table``."""
        return f"{self.namespace}.{self.name}"


@dataclass(frozen=True, slots=True)
class Insert:
    """A new row."""

    relation_oid: int
    new: TupleValues


@dataclass(frozen=True, slots=True)
class Update:
    """A changed row; ``old`` is the key (``K``) or the whole old row (``O``, REPLICA
    IDENTITY FULL) when the server sent it."""

    relation_oid: int
    old: TupleValues | None
    new: TupleValues


@dataclass(frozen=True, slots=True)
class Delete:
    """A removed row: its key columns (others ``None``), or the whole row under REPLICA
    IDENTITY FULL."""

    relation_oid: int
    old: TupleValues


@dataclass(frozen=True, slots=True)
class Truncate:
    """Tables emptied."""

    relation_oids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Ignored:
    """A message a CDC source has no use for (origin, type, logical message)."""

    kind: str


Message = Begin | Commit | Relation | Insert | Update | Delete | Truncate | Ignored


class _Reader:
    __slots__ = ("data", "offset")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return int(value)

    def byte(self) -> str:
        value = chr(self.data[self.offset])
        self.offset += 1
        return value

    def string(self) -> str:
        end = self.data.index(b"\0", self.offset)
        text = self.data[self.offset : end].decode()
        self.offset = end + 1
        return text

    def tuple_values(self) -> TupleValues:
        values, self.offset = _tuple_values(self.data, self.offset)
        return values


_SHORT = struct.Struct("!h").unpack_from
_INT = struct.Struct("!i").unpack_from
_TEXT, _BINARY, _NULL, _UNCHANGED = (ord(kind) for kind in "tbnu")


def _tuple_values(data: bytes, offset: int) -> tuple[TupleValues, int]:
    """The column values of a TupleData at ``offset``, and the offset after it (a hot loop:
    one call per row change)."""
    (count,) = _SHORT(data, offset)
    offset += 2
    values: list[str | _Unchanged | None] = []
    append = values.append
    for _ in range(count):
        kind = data[offset]
        offset += 1
        if kind in (_TEXT, _BINARY):
            (length,) = _INT(data, offset)
            offset += 4
            append(data[offset : offset + length].decode())
            offset += length
        elif kind == _NULL:
            append(None)
        elif kind == _UNCHANGED:
            append(UNCHANGED_TOAST)
        else:
            raise UndecodableMessage(f"unknown tuple value kind {chr(kind)!r}")
    return tuple(values), offset


_OID = struct.Struct("!I").unpack_from


def decode_insert(payload: bytes) -> tuple[int, TupleValues]:
    """An Insert message's relation OID and new row, without building an :class:`Insert`
    (the hot path of a change data capture source).

    Raises:
        UndecodableMessage: The payload is malformed.
    """
    try:
        (oid,) = _OID(payload, 1)
        values, _ = _tuple_values(payload, 6)  # after 'I', the OID and 'N'
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise UndecodableMessage(f"a malformed 'I' message: {exc}") from exc
    return oid, values


def decode(payload: bytes) -> Message:
    """One ``pgoutput`` message.

    Raises:
        UndecodableMessage: The payload is not a protocol-1 message this decoder knows.
    """
    if not payload:
        raise UndecodableMessage("an empty message")
    reader = _Reader(payload)
    kind = reader.byte()
    try:
        return _decode(kind, reader)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise UndecodableMessage(f"a malformed {kind!r} message: {exc}") from exc


def _decode(kind: str, reader: _Reader) -> Message:
    if kind == "B":
        final_lsn = reader.take("!Q")
        commit_time = reader.take("!q")
        return Begin(final_lsn, _commit_time_ms(commit_time), reader.take("!I"))
    if kind == "C":
        reader.take("!b")  # flags, unused
        commit_lsn = reader.take("!Q")
        end_lsn = reader.take("!Q")
        return Commit(commit_lsn, end_lsn, _commit_time_ms(reader.take("!q")))
    if kind == "R":
        oid = reader.take("!I")
        namespace = reader.string() or "pg_catalog"
        name = reader.string()
        identity = reader.byte()
        columns = []
        for _ in range(reader.take("!h")):
            flags = reader.take("!b")
            column_name = reader.string()
            columns.append(
                RelationColumn(column_name, reader.take("!I"), reader.take("!i"), bool(flags & 1))
            )
        return Relation(oid, namespace, name, identity, tuple(columns))
    if kind == "I":
        oid = reader.take("!I")
        reader.byte()  # 'N'
        return Insert(oid, reader.tuple_values())
    if kind == "U":
        oid = reader.take("!I")
        marker = reader.byte()
        old = None
        if marker in ("K", "O"):
            old = reader.tuple_values()
            marker = reader.byte()
        return Update(oid, old, reader.tuple_values())
    if kind == "D":
        oid = reader.take("!I")
        reader.byte()  # 'K' or 'O'
        return Delete(oid, reader.tuple_values())
    if kind == "T":
        count = reader.take("!I")
        reader.take("!b")  # options (CASCADE, RESTART IDENTITY)
        return Truncate(tuple(reader.take("!I") for _ in range(count)))
    if kind in ("O", "Y", "M"):
        return Ignored(kind)
    raise UndecodableMessage(f"unknown message type {kind!r}")
