"""``InProcessMonitoring``: the monitoring client over a mesh opened in this process."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from streammesh.observe import MeshMonitor, SloChecker, SloLedger
from streammesh.runtime import MeshRuntime
from streammesh.sdk.monitoring import check_arguments

__all__ = ["InProcessMonitoring"]


class InProcessMonitoring:
    """Monitoring of ``runtime``."""

    def __init__(self, runtime: MeshRuntime) -> None:
        self._runtime = runtime
        self._monitor: MeshMonitor = runtime.monitor

    def metrics(self, product: str, *, window: int = 60) -> dict[str, Any]:
        check_arguments(window=window)
        measured = self._monitor.product_metrics(product, window=timedelta(seconds=window))
        states = self._monitor.slo_states(measured.product)
        return {**measured.document(), "slos": [state.document() for state in states]}

    def lag(self, group: str, product: str | None = None) -> dict[str, Any]:
        lags = self._monitor.lag(group, product)
        return {
            "group": group,
            "total_lag": sum(lag.total for lag in lags),
            "caught_up": all(lag.caught_up for lag in lags),
            "products": [lag.document() for lag in lags],
        }

    def caught_up(
        self, group: str, product: str, offsets: Mapping[int, int], *, wait: float = 0.0
    ) -> dict[str, Any]:
        check_arguments(wait=wait)
        return self._monitor.caught_up(group, product, offsets, wait_s=wait).document()

    def check_slos(self, product: str | None = None) -> list[dict[str, Any]]:
        runtime = self._runtime
        # Judge now: nothing else checks a mesh opened in-process.
        SloChecker(runtime.plane, runtime.log, SloLedger(runtime.store)).check()
        return [state.document() for state in self._monitor.slo_states(product)]
