"""Errors of monitoring: a question about offsets that cannot be answered as asked.

::

    ObserveError
    ├── InvalidOffsets   caught-up targets naming a partition the topic lacks, or a negative offset
    ├── InvalidGroup     an empty or over-long consumer group name
    └── TooManyWaits     more caught-up waits at once than a token (or the server) may hold
"""

from __future__ import annotations

from typing import Literal

from streammesh.errors import MeshError

WaitScope = Literal["token", "server"]
"""Whose limit of concurrent waits was reached: the caller's token's or the server's."""


class ObserveError(MeshError):
    """Base of the errors of :mod:`streammesh.observe`."""


class InvalidOffsets(ObserveError):
    """Target offsets that do not fit the product's topic; nothing was checked."""

    exit_code = 2

    def __init__(self, product: str, problem: str) -> None:
        self.product = product
        self.problem = problem
        super().__init__(
            f"offsets for '{product}' {problem}; give partition numbers of the product's "
            "topic with offsets >= 0 (as 'GET /api/v1/products/{reference}/metrics' lists them)"
        )


class InvalidGroup(ObserveError):
    """A consumer group name that cannot name a group."""

    exit_code = 2

    def __init__(self, group: str, problem: str) -> None:
        self.group = group
        self.problem = problem
        super().__init__(f"consumer group '{group}' {problem}; give the group's name")


class TooManyWaits(ObserveError):
    """A caught-up question that would wait while its caller (or the whole server) already
    holds as many waits as allowed; nothing was waited for.

    Attributes:
        scope: ``"token"`` when the caller's own limit was reached, ``"server"`` when the
            server's total was.
        limit: The limit that was reached.
        retry_after_s: Seconds after which a retry may find a free slot (the longest wait).
    """

    def __init__(self, scope: WaitScope, limit: int, retry_after_s: int) -> None:
        self.scope = scope
        self.limit = limit
        self.retry_after_s = retry_after_s
        holder = "this token already holds" if scope == "token" else "the server already holds"
        super().__init__(
            f"too many caught-up waits: {holder} {limit} waiting request(s), the most allowed; "
            f"retry after {retry_after_s} s, ask without 'wait', or wait for an earlier "
            "answer before asking again"
        )
