"""Errors of the test-runner files: a file that is not ksqlDB's input or output format."""

from __future__ import annotations

from streammesh.streams.errors import StreamsError


class TestingError(StreamsError):
    """Base of the errors of :mod:`streammesh.streams.testing`."""

    __test__ = False  # not a pytest test class, despite the name


class MalformedTestFile(TestingError):
    """An input or output file that cannot be used: not JSON (with the line and column), or
    a part that breaks the format (with its JSON path, e.g. ``$.outputs[2].window.type``)."""

    def __init__(
        self,
        file: str,
        path: str,
        reason: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        where = f"{file}:{line}:{column}" if line is not None else f"{file}: at {path}"
        super().__init__(f"{where}: {reason}")
