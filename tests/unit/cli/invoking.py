"""Running the ``streammesh`` command in-process, with its own stdin, stdout and stderr."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from streammesh.cli.main import run


@dataclass(frozen=True, slots=True)
class CliResult:
    """What a person running the command would see."""

    exit_code: int
    stdout: str
    stderr: str


class _TerminalInput(io.TextIOWrapper):
    """Stdin that claims to be a terminal, for commands that ask for confirmation."""

    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def _stdin(data: bytes, terminal: bool) -> Iterator[None]:
    stream_class = _TerminalInput if terminal else io.TextIOWrapper
    saved = sys.stdin
    sys.stdin = stream_class(io.BytesIO(data), encoding="utf-8")
    try:
        yield
    finally:
        sys.stdin = saved


def invoke_cli(*args: str, stdin: bytes = b"", terminal: bool = False) -> CliResult:
    """Run ``streammesh ARGS`` the way ``main()`` does and capture what it printed."""
    stdout = io.StringIO()
    stderr = io.StringIO()
    with (
        _stdin(stdin, terminal),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        exit_code = run(list(args))
    return CliResult(exit_code, stdout.getvalue(), stderr.getvalue())


def completed_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """:func:`invoke_cli`'s result as ``subprocess.run(..., text=True)`` gives it, for tests
    written against a process that now run the command in-process."""
    result = invoke_cli(*args)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)
