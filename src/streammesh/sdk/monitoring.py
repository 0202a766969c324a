"""``MonitoringClient``: how a product's stream, a consumer group and the SLOs are doing.

The same operations in-process
(:class:`~streammesh.sdk.inprocess.monitoring.InProcessMonitoring`) and through a server
(:class:`~streammesh.sdk.remote.monitoring.RemoteMonitoring`); both answer the REST API's JSON
documents (``/api/v1/products/{reference}/metrics``, ``/groups/{group}/lag``,
``/groups/{group}/caught-up``, ``/slo``) and raise the same ``MeshError`` classes.

Example:
    >>> with Mesh.open("/tmp/mesh") as mesh:  # doctest: +SKIP
    ...     mesh.monitoring.lag("risk", "execution.stocktrades")["total_lag"]
    0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from streammesh.observe import MAX_WAIT_S
from streammesh.sdk.errors import ArgumentOutOfRange

__all__ = ["MAX_WINDOW_S", "MonitoringClient", "check_arguments"]

MAX_WINDOW_S = 3600
"""The longest window, in seconds, that product metrics look back (as the REST API allows)."""


class MonitoringClient(Protocol):
    """Throughput, consumer lag and SLO states of one mesh."""

    def metrics(self, product: str, *, window: int = 60) -> dict[str, Any]:
        """Events/s and bytes/s over the last ``window`` seconds (1 to 3600), the newest
        event's time, each partition's end offset and the product's SLO states.

        Raises:
            ArgumentOutOfRange: ``window`` is not 1 to 3600.
            ProductNotFound: No such product.
            TopicNotFound: Its stream is gone (a retired product).
        """
        ...

    def lag(self, group: str, product: str | None = None) -> dict[str, Any]:
        """Consumer ``group``'s lag by offsets on ``product``, or on every live product it
        committed on or is registered with: ``{group, total_lag, caught_up, products}``.

        Raises:
            InvalidGroup: The group name is blank or too long.
            ProductNotFound: ``product`` names no product.
        """
        ...

    def caught_up(
        self, group: str, product: str, offsets: Mapping[int, int], *, wait: float = 0.0
    ) -> dict[str, Any]:
        """Whether ``group`` has committed at least ``offsets`` (partition -> next offset to
        read) of ``product``, waiting up to ``wait`` seconds (at most 30) for it.

        Raises:
            ArgumentOutOfRange: ``wait`` is not 0 to 30.
            InvalidGroup: The group name is blank or too long.
            InvalidOffsets: A partition the topic lacks, or a negative offset.
            ProductNotFound: No such product.
        """
        ...

    def check_slos(self, product: str | None = None) -> list[dict[str, Any]]:
        """The SLO states (freshness, availability) of every product, or of ``product``.

        In-process they are judged now (no server's checker runs there); a server answers
        what its checker, which judges continuously, recorded.

        Raises:
            ProductNotFound: ``product`` names no product.
        """
        ...


def check_arguments(*, window: int | None = None, wait: float | None = None) -> None:
    """Refuse a metrics ``window`` or a caught-up ``wait`` out of range, the same way on both
    sides (a server would answer 422, a mesh in-process divide by zero or clamp).

    Raises:
        ArgumentOutOfRange: The value and the range it must be in.
    """
    if window is not None and not 1 <= window <= MAX_WINDOW_S:
        raise ArgumentOutOfRange("window", window, 1, MAX_WINDOW_S, "seconds")
    if wait is not None and not 0 <= wait <= MAX_WAIT_S:
        raise ArgumentOutOfRange("wait", wait, 0, MAX_WAIT_S, "seconds")
