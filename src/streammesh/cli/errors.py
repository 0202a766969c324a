"""Errors about what a user gave the command line: input files and missing confirmations."""

from __future__ import annotations

from streammesh.errors import MeshError


class CliError(MeshError):
    """Base of the command line's own errors (the log's errors keep their own classes)."""


class InputError(CliError):
    """A line of an input file (or of stdin) cannot be turned into a record.

    Attributes:
        source: the file name, or ``<stdin>``.
        line: the 1-based line number, or ``None`` when the problem is the input as a whole.
        reason: what is wrong with it.
    """

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = source if line is None else f"{source} line {line}"
        super().__init__(f"{where}: {reason}; nothing was written")


class ConfirmationRequired(CliError):
    """A destructive command was run without a terminal to confirm it and without ``--yes``."""

    exit_code = 2

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(
            f"refusing to {action} without confirmation: stdin is not a terminal; "
            "pass --yes to confirm"
        )


class CannotListen(CliError):
    """The address to serve on cannot be bound (in use, or not an address of this host)."""

    exit_code = 2

    def __init__(self, host: str, port: int, reason: str, *, option: str = "--port") -> None:
        self.host = host
        self.port = port
        self.reason = reason
        super().__init__(
            f"cannot listen on {host}:{port}: {reason}; pick another {option} (0 picks a free one)"
        )
