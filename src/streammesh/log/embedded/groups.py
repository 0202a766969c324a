"""Consumer-group membership on the embedded log, coordinated through the log database.

There is no coordinator process. Each member keeps a row in ``group_members`` fresh with
heartbeats (from a background thread), and every heartbeat interval runs :meth:`sync` in one
write transaction: it expires members whose heartbeat is older than their session timeout,
computes the group's target assignment from the live members (Kafka's range assignor,
deterministic, so every member computes the same), gives up partitions it should no longer
own and claims free ones it should. A partition has at most one owner (``group_claims``),
and a member never takes a partition from a live member — the owner gives it up on its own
next sync, after committing. So a rebalance completes within about two heartbeat intervals
of a join or leave, and within the session timeout of a member that stopped heartbeating
(``kill -9``).

A *static* member (``group_instance_id``, Kafka's KIP-345) carries its instance id in its
member id. One joining with the instance id of a member still listed (killed, not expired
yet) replaces it in one transaction: it takes over that member's place in the join order and
its claims, so it owns the same partitions at once and no other member's assignment moves;
the old member, should it still run, finds itself replaced at its next sync and is fenced
(``ConsumerStateError``) — its commits were refused from the moment its claims moved.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from streammesh.log.base import TopicPartition
from streammesh.log.embedded.database import rollback, write_alone, writer_turn
from streammesh.log.errors import ConsumerStateError

_CLAIMS_OF = """
SELECT json_group_array(json_array(c.group_id, c.member_id, c.topic, c.partition))
FROM group_claims AS c
WHERE c.group_id IN (SELECT json_extract(m.value, '$[0]') FROM json_each(?1) AS m)
"""
"""The claims of the groups named in ``?1`` (JSON ``[[group, member], ...]``), as one JSON
array ``[[group, member, topic, partition], ...]``."""

_WRITE_IF_ALL_OWNED = """
INSERT INTO group_offsets (group_id, topic, partition, committed, committed_ms)
SELECT json_extract(o.value, '$[0]'), json_extract(o.value, '$[2]'),
       json_extract(o.value, '$[3]'), json_extract(o.value, '$[4]'), ?2
FROM json_each(?1) AS o
WHERE (
    SELECT count(*) FROM json_each(?1) AS a, group_claims AS c
    WHERE c.group_id = json_extract(a.value, '$[0]')
      AND c.member_id = json_extract(a.value, '$[1]')
      AND c.topic = json_extract(a.value, '$[2]')
      AND c.partition = json_extract(a.value, '$[3]')
) = json_array_length(?1)
ON CONFLICT (group_id, topic, partition)
DO UPDATE SET committed = excluded.committed, committed_ms = excluded.committed_ms
"""
"""Upsert the offsets in ``?1`` (JSON ``[[group, member, topic, partition, offset], ...]``)
if every partition named is its member's, else none: one statement, so all or nothing."""

_WRITE_OFFSETS = """
INSERT INTO group_offsets (group_id, topic, partition, committed, committed_ms)
SELECT json_extract(o.value, '$[0]'), json_extract(o.value, '$[1]'),
       json_extract(o.value, '$[2]'), json_extract(o.value, '$[3]'), ?2
FROM json_each(?1) AS o WHERE true
ON CONFLICT (group_id, topic, partition)
DO UPDATE SET committed = excluded.committed, committed_ms = excluded.committed_ms
"""
"""Upsert the offsets in ``?1`` (JSON ``[[group, topic, partition, offset], ...]``)."""

_GROUP_STATE = """
SELECT
    (SELECT json_group_array(json_array(joined_ms, member_id, topics,
                                        heartbeat_ms + session_timeout_ms))
     FROM group_members WHERE group_id = ?1),
    (SELECT json_group_array(json_array(topic, partition, member_id))
     FROM group_claims WHERE group_id = ?1),
    (SELECT json_group_array(json_array(name, partitions)) FROM topics
     WHERE name IN (SELECT j.value FROM group_members AS m, json_each(m.topics) AS j
                    WHERE m.group_id = ?1))
"""
"""A group's members (join time, id, topics, when it expires), claims and the partition
counts of its topics, as three JSON arrays of one snapshot."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The partitions this member owns after a sync, and what changed."""

    owned: frozenset[TopicPartition]
    gained: frozenset[TopicPartition]
    lost: frozenset[TopicPartition]


def target_assignment(
    members: Sequence[tuple[str, frozenset[str]]], partition_counts: Mapping[str, int]
) -> dict[str, set[TopicPartition]]:
    """Split every subscribed topic's partitions into ranges, one per subscribed member.

    Kafka's range assignor (librdkafka's default): per topic, the members subscribed to it
    in the order given (the order they joined) each take a contiguous range of partitions,
    the first ``partitions % members`` of them one more. So members subscribed to the same
    topics get the same partition numbers of topics with equal partition counts — a stream
    application's task ``p`` (partition ``p`` of its source, join and repartition topics)
    stays on one member, as it does on Kafka. Topics are split independently: many topics of
    one partition all go to the first member, as with Kafka's range assignor.
    """
    assignment: dict[str, set[TopicPartition]] = {member: set() for member, _ in members}
    for topic, count in sorted(partition_counts.items()):
        candidates = [member for member, topics in members if topic in topics]
        if not candidates:
            continue
        share, extra = divmod(count, len(candidates))
        start = 0
        for index, member in enumerate(candidates):
            size = share + (1 if index < extra else 0)
            assignment[member].update(TopicPartition(topic, p) for p in range(start, start + size))
            start += size
    return assignment


@dataclass(slots=True, eq=False)
class _Commit:
    """One member's commit, waiting for the transaction that writes it."""

    group: str
    member_id: str
    offsets: Mapping[TopicPartition, int]
    strict: bool
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    """Set (with ``done``) when this commit's thread is to write the next transaction."""
    error: BaseException | None = None


class OffsetCommits:
    """Group commit: the offset commits that members of one log file in this process ask
    for while a transaction is being written go in the next one, together.

    Every commit pays for a write transaction (a turn among the process's writers, an
    ``fsync``), and each call into SQLite inside it gives up the interpreter lock, which
    can take a switch interval (5 ms) to come back while other threads run Python: the 16
    consumer groups of a loaded REST server spent most of a consume waiting for the turns
    of the others' commits. Here the first commit to come waits for the turn and then
    writes one transaction with every commit waiting by then; those arriving while it is
    written wait, and the first of them writes the next. Each commit is answered only once
    the transaction holding it is durable; one whose partition is not its member's
    (``strict``) is refused alone, and a transaction that fails fails every commit in it
    with its error (the error a commit alone would get).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Commit] = []
        self._writing = False

    def commit(self, conn: sqlite3.Connection, commit: _Commit) -> None:
        """Write ``commit`` (in a transaction on ``conn``, or on another waiting member's
        connection) and return once it is durable.

        Raises:
            ConsumerStateError: ``commit.strict``, and a partition is not its member's.
            sqlite3.Error: the transaction failed.
        """
        with self._lock:
            self._waiting.append(commit)
            writes = not self._writing
            self._writing = True
        if not writes:
            commit.done.wait()
            writes = commit.lead
        if writes:
            try:
                _write_commits(conn, self._take)
            finally:
                with self._lock:
                    if self._waiting:
                        successor = self._waiting[0]
                        successor.lead = True
                        successor.done.set()
                    else:
                        self._writing = False
        if commit.error is not None:
            raise commit.error

    @property
    def waiting(self) -> int:
        """How many commits wait for a transaction (the one being written holds none)."""
        with self._lock:
            return len(self._waiting)

    def _take(self) -> list[_Commit]:
        with self._lock:
            batch, self._waiting = self._waiting, []
        return batch


def _write_commits(conn: sqlite3.Connection, take: Callable[[], list[_Commit]]) -> None:
    """Write the commits ``take`` hands out once this thread's turn to write has come (those
    arriving while it waited for it go in too); each is marked done, with its error if it
    failed.

    First as one statement that writes every offset if every partition is its member's,
    else nothing (one call into SQLite in the turn); only when it wrote nothing, again in a
    transaction that refuses the commits naming a partition not their member's and writes
    the others.
    """
    batch: list[_Commit] = []
    try:
        with writer_turn(conn):
            batch = take()
            rows = [
                (c.group, c.member_id, tp.topic, tp.partition, offset)
                for c in batch
                for tp, offset in c.offsets.items()
            ]
            written = conn.execute(_WRITE_IF_ALL_OWNED, (json.dumps(rows), _now_ms())).rowcount
            if written != len(rows):
                _write_owned(conn, batch)
    except BaseException as exc:
        batch = batch or take()  # the turn never came: the commits waiting fail with it
        for commit in batch:
            if commit.error is None:
                commit.error = exc
    finally:
        for commit in batch:
            commit.done.set()


def _write_owned(conn: sqlite3.Connection, batch: Sequence[_Commit]) -> None:
    """``batch`` in one transaction: a ``strict`` commit naming a partition not its member's
    refused (its ``error`` set, nothing of it written), the owned offsets of the others
    written."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        members = sorted({(c.group, c.member_id) for c in batch})
        found = conn.execute(_CLAIMS_OF, (json.dumps(members),)).fetchone()[0]
        owned = {(g, m, t, p) for g, m, t, p in json.loads(found)}
        rows: list[tuple[str, str, int, int]] = []
        for commit in batch:
            mine = [
                (commit.group, tp.topic, tp.partition, offset)
                for tp, offset in commit.offsets.items()
                if (commit.group, commit.member_id, tp.topic, tp.partition) in owned
            ]
            if commit.strict and len(mine) < len(commit.offsets):
                commit.error = _not_assigned(commit, owned)
            else:
                rows.extend(mine)
        if rows:
            conn.execute(_WRITE_OFFSETS, (json.dumps(rows), _now_ms()))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def _not_assigned(commit: _Commit, owned: set[tuple[str, str, str, int]]) -> ConsumerStateError:
    tp = next(
        tp
        for tp in commit.offsets
        if (commit.group, commit.member_id, tp.topic, tp.partition) not in owned
    )
    return ConsumerStateError(
        f"cannot commit '{tp.topic}' partition {tp.partition}: it is no longer "
        f"assigned to this member of group '{commit.group}' (a rebalance moved it); "
        "its records will be delivered to its new owner"
    )


_COMMITS: dict[str, OffsetCommits] = {}
_COMMITS_GUARD = threading.Lock()


def offset_commits(path: str) -> OffsetCommits:
    """The group commit of the log file at ``path`` in this process."""
    with _COMMITS_GUARD:
        return _COMMITS.setdefault(path, OffsetCommits())


class GroupMembership:
    """One consumer's membership in a group stored in the embedded log's database."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        heartbeat_conn: sqlite3.Connection,
        group: str,
        session_timeout_ms: int,
        heartbeat_interval_ms: int,
        instance_id: str | None = None,
        commits: OffsetCommits | None = None,
    ) -> None:
        self.group = group
        self._commits = commits or OffsetCommits()
        # A static member's id starts with its instance id, length-prefixed so that no instance
        # id's prefix is another's.
        self._static_prefix = (
            None if instance_id is None else f"static:{len(instance_id)}:{instance_id}:"
        )
        self.member_id = f"{self._static_prefix or 'member-'}{uuid.uuid4().hex[:12]}"
        self._conn = conn
        self._heartbeat_conn = heartbeat_conn
        self._session_timeout_ms = session_timeout_ms
        self._heartbeat_s = heartbeat_interval_ms / 1000
        self._topics: frozenset[str] = frozenset()
        self._owned: frozenset[TopicPartition] = frozenset()
        self._stop = threading.Event()
        self._heartbeats: threading.Thread | None = None

    @property
    def owned(self) -> frozenset[TopicPartition]:
        return self._owned

    def join(self, topics: Sequence[str]) -> None:
        """Join (or change the subscription) and start heartbeating."""
        self._topics = frozenset(topics)
        if self._static_prefix is None:
            self._upsert_member(_now_ms())
        else:
            self._join_static(_now_ms())
        if self._heartbeats is None:
            self._heartbeats = threading.Thread(
                target=self._heartbeat_loop, name=f"{self.member_id}-heartbeat", daemon=True
            )
            self._heartbeats.start()

    def sync(self, commit_offsets: Mapping[TopicPartition, int]) -> SyncResult:
        """Expire dead members, rebalance, and commit ``commit_offsets`` of owned partitions."""
        if not commit_offsets:
            unchanged = self._unchanged()
            if unchanged is not None:
                previous, self._owned = self._owned, unchanged
                return SyncResult(unchanged, unchanged - previous, previous - unchanged)
        conn = self._conn
        now = _now_ms()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "DELETE FROM group_members WHERE group_id = ? "
                "AND heartbeat_ms + session_timeout_ms < ?",
                (self.group, now),
            )
            conn.execute(
                "DELETE FROM group_claims WHERE group_id = ?1 AND member_id NOT IN "
                "(SELECT member_id FROM group_members WHERE group_id = ?1)",
                (self.group,),
            )
            claims = {
                TopicPartition(topic, partition): member
                for topic, partition, member in conn.execute(
                    "SELECT topic, partition, member_id FROM group_claims WHERE group_id = ?",
                    (self.group,),
                )
            }
            still_owned = {tp for tp, member in claims.items() if member == self.member_id}
            self._write_offsets(
                {tp: off for tp, off in commit_offsets.items() if tp in still_owned}, now
            )
            members = self._live_members(now)
            counts = self._partition_counts({t for _, topics in members for t in topics})
            target = target_assignment(members, counts).get(self.member_id, set())
            for tp in still_owned - target:
                conn.execute(
                    "DELETE FROM group_claims WHERE group_id = ? AND topic = ? AND partition = ?",
                    (self.group, tp.topic, tp.partition),
                )
            claimable = [tp for tp in target if tp not in claims]
            conn.executemany(
                "INSERT INTO group_claims (group_id, topic, partition, member_id) "
                "VALUES (?, ?, ?, ?)",
                [(self.group, tp.topic, tp.partition, self.member_id) for tp in claimable],
            )
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise
        owned = frozenset((still_owned & target) | set(claimable))
        previous, self._owned = self._owned, owned
        return SyncResult(owned, owned - previous, previous - owned)

    def _unchanged(self) -> frozenset[TopicPartition] | None:
        """What this member owns, if a sync would change nothing now: no member expired, no
        claim of a member gone, this member listed and owning exactly its target; else
        ``None``.

        Read in one statement (one snapshot), without a write transaction: most syncs of a
        steady group change nothing, and a write transaction of ten statements held every
        other writer of the process up (see ``write_alone``). Deciding on a snapshot is
        deciding as a sync at that moment would have.
        """
        now = _now_ms()
        members_json, claims_json, counts_json = self._conn.execute(
            _GROUP_STATE, (self.group,)
        ).fetchone()
        members = sorted(json.loads(members_json))
        if any(expires < now for _, _, _, expires in members):
            return None
        live = [(member, frozenset(json.loads(topics))) for _, member, topics, _ in members]
        names = {member for member, _ in live}
        if self.member_id not in names:
            return None
        owned: set[TopicPartition] = set()
        for topic, partition, member in json.loads(claims_json):
            if member not in names:
                return None
            if member == self.member_id:
                owned.add(TopicPartition(topic, partition))
        counts = {name: partitions for name, partitions in json.loads(counts_json)}
        target = target_assignment(live, counts).get(self.member_id, set())
        return frozenset(owned) if owned == target else None

    def commit(self, offsets: Mapping[TopicPartition, int], *, strict: bool) -> None:
        """Commit offsets of partitions this member owns; with ``strict``, refuse others
        (and then commit none). Durable when it returns; written in one transaction with the
        commits other members of this process ask for meanwhile (see :class:`OffsetCommits`).

        Raises:
            ConsumerStateError: ``strict``, and a partition is not this member's.
            sqlite3.Error: the transaction failed (every commit in it fails with it).
        """
        if offsets:
            self._commits.commit(self._conn, _Commit(self.group, self.member_id, offsets, strict))

    def leave(self, final_offsets: Mapping[TopicPartition, int]) -> None:
        """Commit ``final_offsets``, give up every partition and leave the group."""
        self._stop.set()
        if self._heartbeats is not None:
            self._heartbeats.join()
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._write_offsets(
                {tp: o for tp, o in final_offsets.items() if tp in self._owned}, _now_ms()
            )
            conn.execute(
                "DELETE FROM group_claims WHERE group_id = ? AND member_id = ?",
                (self.group, self.member_id),
            )
            conn.execute(
                "DELETE FROM group_members WHERE group_id = ? AND member_id = ?",
                (self.group, self.member_id),
            )
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise
        self._owned = frozenset()
        self._heartbeat_conn.close()

    def _join_static(self, now: int) -> None:
        """Join, replacing any member listed with this instance id: its place in the join
        order and its claims become this member's."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            replaced = self._same_instance()
            self._upsert_member(now)
            if replaced:
                joined = min(joined_ms for _, joined_ms in replaced)
                conn.execute(
                    "UPDATE group_members SET joined_ms = ? WHERE group_id = ? AND member_id = ?",
                    (joined, self.group, self.member_id),
                )
                for member, _ in replaced:
                    conn.execute(
                        "UPDATE group_claims SET member_id = ? WHERE group_id = ? "
                        "AND member_id = ?",
                        (self.member_id, self.group, member),
                    )
                    conn.execute(
                        "DELETE FROM group_members WHERE group_id = ? AND member_id = ?",
                        (self.group, member),
                    )
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise

    def _same_instance(self) -> list[tuple[str, int]]:
        """The other members listed with this member's instance id, and when they joined."""
        assert self._static_prefix is not None
        prefix = self._static_prefix
        rows = self._conn.execute(
            "SELECT member_id, joined_ms FROM group_members WHERE group_id = ? "
            "AND substr(member_id, 1, ?) = ? AND member_id <> ?",
            (self.group, len(prefix), prefix, self.member_id),
        ).fetchall()
        return [(member, joined) for member, joined in rows]

    def _live_members(self, now: int) -> list[tuple[str, frozenset[str]]]:
        rows = self._conn.execute(
            "SELECT member_id, topics FROM group_members WHERE group_id = ? "
            "ORDER BY joined_ms, member_id",
            (self.group,),
        ).fetchall()
        members = [(member, frozenset(json.loads(topics))) for member, topics in rows]
        if not any(member == self.member_id for member, _ in members):
            if self._static_prefix is not None and self._same_instance():
                raise ConsumerStateError(
                    f"this member of group '{self.group}' was fenced: another consumer joined "
                    f"with its group instance id and took its partitions"
                )
            # This member was expired (it stopped heartbeating for a while): join again.
            self._upsert_member(now)
            members.append((self.member_id, self._topics))
        return members

    def _upsert_member(self, now: int) -> None:
        """Insert this member (joined now), or refresh its subscription and heartbeat."""
        self._conn.execute(
            "INSERT INTO group_members (group_id, member_id, topics, joined_ms, heartbeat_ms, "
            "session_timeout_ms) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (group_id, member_id) DO UPDATE SET topics = excluded.topics, "
            "heartbeat_ms = excluded.heartbeat_ms",
            (
                self.group,
                self.member_id,
                json.dumps(sorted(self._topics)),
                now,
                now,
                self._session_timeout_ms,
            ),
        )

    def _partition_counts(self, topics: set[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for topic in topics:
            row = self._conn.execute(
                "SELECT partitions FROM topics WHERE name = ?", (topic,)
            ).fetchone()
            if row is not None:
                counts[topic] = row[0]
        return counts

    def _write_offsets(self, offsets: Mapping[TopicPartition, int], now: int) -> None:
        write_offsets(self._conn, self.group, offsets, now)

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self._heartbeat_s):
            try:
                write_alone(
                    self._heartbeat_conn,
                    "UPDATE group_members SET heartbeat_ms = ? "
                    "WHERE group_id = ? AND member_id = ?",
                    (_now_ms(), self.group, self.member_id),
                )
            except sqlite3.Error:
                continue  # a busy database delays one heartbeat; the session timeout allows it


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def write_offsets(
    conn: sqlite3.Connection, group: str, offsets: Mapping[TopicPartition, int], now_ms: int
) -> None:
    """Upsert a group's committed offsets (inside the caller's transaction, if any)."""
    conn.executemany(
        "INSERT INTO group_offsets (group_id, topic, partition, committed, committed_ms) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_id, topic, partition) "
        "DO UPDATE SET committed = excluded.committed, committed_ms = excluded.committed_ms",
        [(group, tp.topic, tp.partition, offset, now_ms) for tp, offset in offsets.items()],
    )
