"""The rules on the order of transactional producer calls, shared by every backend's producer.

Kafka's transactional producer is a small state machine: ``init_transactions`` once, then any
number of ``begin_transaction`` ... (``send``, ``send_offsets_to_transaction``) ...
``commit_transaction`` or ``abort_transaction``. A producer fenced by a newer one with the
same ``transactional_id`` refuses everything from then on. Keeping the rules here keeps both
backends' messages identical.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from enum import Enum

from streammesh.log.base import GroupMetadata, TopicPartition
from streammesh.log.errors import OffsetOutOfRange, ProducerFenced, TransactionStateError


class TransactionState(Enum):
    """Where a transactional producer is in its life."""

    UNINITIALISED = "uninitialised"
    READY = "ready"
    IN_TRANSACTION = "in-transaction"
    FENCED = "fenced"


_IN_TRANSACTION = TransactionState.IN_TRANSACTION


class TransactionRules:
    """Tracks a producer's transactional state and refuses calls it does not allow."""

    def __init__(self, transactional_id: str | None, timeout_ms: int) -> None:
        if transactional_id is not None and (
            not isinstance(transactional_id, str) or not transactional_id.strip()
        ):
            raise TransactionStateError(
                "create a transactional producer",
                f"transactional_id must be a non-empty string, not {transactional_id!r}",
            )
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms < 1:
            raise TransactionStateError(
                "create a transactional producer",
                f"transaction_timeout_ms must be a positive int, not {timeout_ms!r}",
            )
        self.transactional_id = transactional_id
        self.timeout_ms = timeout_ms
        self.state = TransactionState.UNINITIALISED
        self.began = 0.0

    @property
    def transactional(self) -> bool:
        return self.transactional_id is not None

    @property
    def in_transaction(self) -> bool:
        return self.state is TransactionState.IN_TRANSACTION

    def expired(self) -> bool:
        """True once the open transaction has lasted longer than its timeout."""
        return time.monotonic() - self.began > self.timeout_ms / 1000

    def require(self, operation: str, *states: TransactionState) -> str:
        """The transactional id, if the producer is transactional and in one of ``states``."""
        transactional_id = self.transactional_id
        if transactional_id is None:
            raise TransactionStateError(
                operation,
                "this producer is not transactional; create it with "
                "ProducerOptions(transactional_id=...)",
            )
        if self.state is TransactionState.FENCED:
            raise ProducerFenced(transactional_id)
        if self.state not in states:
            raise TransactionStateError(operation, _WHY[self.state])
        return transactional_id

    def check_send(self, topic: str) -> None:
        """Refuse a ``send`` of a transactional producer outside a transaction."""
        # The usual case first, without looking the member up on the enum (once per record).
        if self.state is _IN_TRANSACTION or self.transactional_id is None:
            return
        self.require(f"send to '{topic}'", TransactionState.IN_TRANSACTION)

    def fence(self) -> ProducerFenced:
        """Remember that a newer producer took over; the error to raise."""
        assert self.transactional_id is not None
        self.state = TransactionState.FENCED
        return ProducerFenced(self.transactional_id)

    def begin(self) -> None:
        self.require("begin_transaction", TransactionState.READY)
        self.state = TransactionState.IN_TRANSACTION
        self.began = time.monotonic()


_WHY = {
    TransactionState.UNINITIALISED: "call init_transactions() first",
    TransactionState.READY: "no transaction is open; call begin_transaction() first",
    TransactionState.IN_TRANSACTION: (
        "a transaction is open; commit_transaction() or abort_transaction() it first"
    ),
    TransactionState.FENCED: "the producer was fenced",
}


def transaction_offsets(
    offsets: Mapping[TopicPartition, int], group: GroupMetadata | str
) -> tuple[GroupMetadata, dict[TopicPartition, int]]:
    """Check the arguments of ``send_offsets_to_transaction``; the group and the offsets."""
    if isinstance(group, str):
        if not group:
            raise TransactionStateError(
                "send_offsets_to_transaction", "the consumer group id is empty"
            )
        group = GroupMetadata(group)
    elif not isinstance(group, GroupMetadata):
        raise TransactionStateError(
            "send_offsets_to_transaction",
            f"group must be the consumer's group_metadata() or a group id, not {group!r}",
        )
    checked: dict[TopicPartition, int] = {}
    for tp, offset in offsets.items():
        tp = TopicPartition(*tp)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise OffsetOutOfRange(tp.topic, tp.partition, offset, "cannot be committed")
        checked[tp] = offset
    return group, checked
