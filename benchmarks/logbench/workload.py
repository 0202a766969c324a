"""The records every backend is measured with: keyed trade events with 200-byte JSON values."""

from __future__ import annotations

import random
from dataclasses import dataclass

VALUE_BYTES = 200
ACCOUNTS = 1_000
PARTITIONS = 4
"""Partitions per benchmark topic: a few per core, as a small production topic would have."""

KeyValue = tuple[bytes, bytes]

_SYMBOLS = ("ZTEST", "ZVZZT", "ZWZZT", "ZXZZT", "ZBZX", "ZIEXT", "ZJZZT", "ZAZZT")


@dataclass(frozen=True, slots=True)
class Workload:
    """How much each measurement does; ``--quick`` and the full run differ only here."""

    records: int
    latency_rate: int
    latency_seconds: float
    latency_warmup_seconds: float
    repetitions: int = 3
    """Produce/consume repetitions per backend, each on a fresh topic; the median is reported
    (a 2-core machine shared with other work is noisy)."""


QUICK = Workload(
    records=200_000, latency_rate=5_000, latency_seconds=3.0, latency_warmup_seconds=1.0
)
FULL = Workload(
    records=1_000_000, latency_rate=5_000, latency_seconds=20.0, latency_warmup_seconds=2.0
)


def account_keys() -> list[bytes]:
    """The distinct keys records are spread over: one per account."""
    return [f"acct-{i:06d}".encode() for i in range(ACCOUNTS)]


def trade_value(seq: int, account: bytes, rng: random.Random) -> bytes:
    """A JSON trade event of exactly ``VALUE_BYTES`` bytes (padded by a filler field)."""
    body = (
        f'{{"account":"{account.decode()}","seq":{seq},"symbol":"{rng.choice(_SYMBOLS)}",'
        f'"side":"{rng.choice(("buy", "sell"))}","qty":{rng.randint(1, 5_000)},'
        f'"price":{rng.uniform(1, 500):.2f},"venue":"XNAS","pad":"'
    )
    filler = VALUE_BYTES - len(body) - 2
    return (body + "x" * filler + '"}').encode()


def make_records(count: int, seed: int = 20_260_101) -> list[KeyValue]:
    """``count`` (key, value) pairs, keys drawn uniformly from the accounts, made up front so
    that building them is never inside a timed section."""
    rng = random.Random(seed)
    keys = account_keys()
    records: list[KeyValue] = []
    for seq in range(count):
        key = rng.choice(keys)
        records.append((key, trade_value(seq, key, rng)))
    return records
