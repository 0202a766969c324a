"""``ControlSettings``: the control plane's configurable rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from streammesh.errors import ConfigError
from streammesh.products import DEFAULT_POLICY, LifecyclePolicy


@dataclass(frozen=True, slots=True)
class ControlSettings:
    """Rules of one mesh's control plane.

    Attributes:
        lifecycle: Minimum times between lifecycle stages.
        consumer_active_window: A consuming application counts as active (and so blocks
            retirement) when it was seen this recently. Default 7 days: a weekly batch job
            is still a consumer; an application silent for longer has to be forced out.
    """

    lifecycle: LifecyclePolicy = field(default_factory=lambda: DEFAULT_POLICY)
    consumer_active_window: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        if self.consumer_active_window <= timedelta(0):
            raise ConfigError(
                f"consumer_active_window is {self.consumer_active_window}; give a positive duration"
            )
