"""Errors of state stores: bad names, a changelog topic that does not fit, a store that cannot
be opened or restored.

::

    StreamsError
    └── StateError
        ├── InvalidStoreName          an application, task or store name that cannot be used
        ├── ChangelogMismatch         the changelog topic exists with the wrong partition count
        │                             or cleanup policy
        ├── StoreMismatch             the local file holds another kind of store or partition
        ├── StoreClosed               an operation on a closed store
        ├── InvalidStoreInput         a key, value or time of the wrong type or range
        ├── RestoreTimeout            the changelog could not be read to its end in time
        └── StateUnavailable          the local store file cannot be opened or written
"""

from __future__ import annotations

from streammesh.streams.errors import StreamsError


class StateError(StreamsError):
    """Base of every state-store error."""


class InvalidStoreName(StateError):
    """An application, task or store name that cannot name a file and a changelog topic."""

    def __init__(self, what: str, name: str, reason: str) -> None:
        self.what = what
        self.name = name
        self.reason = reason
        super().__init__(
            f"invalid {what} name '{name}': {reason}; use letters, digits, '.', '_' and '-' "
            "(not '.' or '..'), so it can name a file and a changelog topic"
        )


class ChangelogMismatch(StateError):
    """The store's changelog topic exists but does not fit the store: another partition count
    than the source's, or not compacted."""

    def __init__(self, topic: str, setting: str, expected: str, actual: str) -> None:
        self.topic = topic
        self.setting = setting
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"changelog topic '{topic}' has {setting} {actual}, but the store needs {expected} "
            "(one changelog partition per input partition, compacted); delete the topic to "
            "rebuild the state from the input (`streammesh streams reset`), or use another "
            "application name"
        )


class StoreMismatch(StateError):
    """The local file at the store's path was written for another store (another kind, topic or
    partition): the state directory is shared by mistake or was edited by hand."""

    def __init__(self, path: str, setting: str, expected: str, actual: str) -> None:
        self.path = path
        self.setting = setting
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"state store file '{path}' holds {setting} '{actual}', not '{expected}'; "
            "delete the file (it is rebuilt from the changelog) or use another state directory"
        )


class StoreClosed(StateError):
    """An operation on a store that was closed."""

    def __init__(self, store: str, operation: str) -> None:
        self.store = store
        self.operation = operation
        super().__init__(f"state store '{store}' is closed; cannot {operation}")


class InvalidStoreInput(StateError):
    """A key, value or time handed to a store has the wrong type or is out of range."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"invalid {what} for a state store: {reason}")


class RestoreTimeout(StateError):
    """The changelog partition could not be read up to its end within the time allowed."""

    def __init__(self, topic: str, partition: int, position: int, end: int, seconds: float) -> None:
        self.topic = topic
        self.partition = partition
        self.position = position
        self.end = end
        self.seconds = seconds
        super().__init__(
            f"restoring from changelog '{topic}' partition {partition} made no progress for "
            f"{seconds:g} s at offset {position} of {end}; is the log reachable, or does an open "
            "transaction hold the partition (it ends when it commits, aborts or times out)?"
        )


class StateUnavailable(StateError):
    """The local store file cannot be created, opened or written (disk full, no permission,
    deleted while in use)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"state store file '{path}' is unavailable: {reason}")
