"""Errors of monitoring: a question about offsets that cannot be answered as asked.

::

    ObserveError
    ├── InvalidOffsets   caught-up targets naming a partition the topic lacks, or a negative offset
    └── InvalidGroup     an empty or over-long consumer group name
"""

from __future__ import annotations

from streammesh.errors import MeshError


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
