"""Errors of the stream-application lifecycle (see :mod:`streammesh.streams.errors`)::

StreamsError
└── ApplicationError
    ├── UnknownApplication       no application of that name (the nearest one suggested)
    ├── ApplicationRunning       reset refused: an instance is alive (stop it first)
    ├── InvalidApplicationName   a name that cannot name a group, topics and a lineage node
    └── PlacementConflict        a running application deployed again with the other placement
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from streammesh.streams.errors import StreamsError

__all__ = [
    "ApplicationError",
    "ApplicationRunning",
    "InvalidApplicationName",
    "PlacementConflict",
    "UnknownApplication",
]


class ApplicationError(StreamsError):
    """Base of the errors of deploying, stopping, starting, resetting and deleting applications."""


class UnknownApplication(ApplicationError):
    """No stream application has this name.

    Attributes:
        name: The name asked for.
        suggestion: The nearest recorded application's name, if one is close enough.
    """

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
        self.suggestion = close[0] if close else None
        hint = (
            f"; did you mean '{self.suggestion}'?"
            if self.suggestion
            else "; 'streammesh streams list' shows the applications"
        )
        super().__init__(f"stream application '{name}' does not exist{hint}")


class ApplicationRunning(ApplicationError):
    """An operation that needs every instance of an application gone found one alive.

    Attributes:
        name: The application.
        operation: What was refused (``reset``).
        instances: The live instances' ids.
    """

    def __init__(self, name: str, operation: str, instances: Sequence[str]) -> None:
        self.name = name
        self.operation = operation
        self.instances = tuple(instances)
        count = len(self.instances)
        super().__init__(
            f"cannot {operation} stream application '{name}': {count} instance"
            f"{'' if count == 1 else 's'} still running ({', '.join(self.instances)}); run "
            f"'streammesh streams stop {name}' and wait for them to exit"
        )


class InvalidApplicationName(ApplicationError):
    """A name that cannot name an application's consumer group, topics and lineage node.

    Attributes:
        name: The name given.
        reason: What is wrong with it.
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"invalid stream application name: {reason}")


class PlacementConflict(ApplicationError):
    """A running application recorded with one placement, deployed again with the other (e.g.
    ``streams run --name X`` of an application the server hosts): refused, so that neither
    takes the other over unnoticed. Stopped, it may move.

    Attributes:
        name: The application.
        placement: Its recorded placement (``server`` or ``process``).
        wanted: The placement asked for.
    """

    def __init__(self, name: str, placement: str, wanted: str) -> None:
        self.name = name
        self.placement = placement
        self.wanted = wanted
        where = (
            "is deployed to the server (placement server)"
            if placement == "server"
            else "runs as its own process (placement process)"
        )
        instead = "run it as its own process" if wanted == "process" else "deploy it to the server"
        super().__init__(
            f"stream application '{name}' {where} and should be running; to {instead} "
            f"instead, stop it first ('streammesh streams stop {name}'), or use another name"
        )
