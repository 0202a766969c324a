"""The settings of one ``streammesh`` invocation: where the log is and how to report errors."""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from streammesh.log import EventLog, LogConfig, open_log
from streammesh.log.base import DEFAULT_MAX_RECORD_BYTES

HOME_ENV = "STREAMMESH_HOME"
"""Environment variable naming the mesh directory (default ``./.streammesh``)."""

LOG_ENV = "STREAMMESH_LOG"
"""Environment variable naming the event log URL (default: the mesh directory's embedded log)."""

DEFAULT_HOME = ".streammesh"


def mesh_home() -> Path:
    """The mesh directory: ``$STREAMMESH_HOME`` if set, else ``./.streammesh``, made absolute."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured or DEFAULT_HOME).expanduser().resolve()


def embedded_log_url(mesh: Path) -> str:
    """The URL of the embedded event log kept inside the mesh directory ``mesh``."""
    return f"embedded://{(mesh.expanduser().resolve() / 'log').as_posix()}"


@dataclass(slots=True)
class CliSettings:
    """Global options, filled in by the application's callback before any command runs.

    Mutable on purpose: ``main`` creates it before parsing and reads ``debug`` back after an
    error, when the Click context that parsed it is already gone.
    """

    log_url: str | None = None
    debug: bool = False
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    @property
    def resolved_log_url(self) -> str:
        """``--log``/``$STREAMMESH_LOG`` if given, else the embedded log in the mesh home."""
        return self.log_url or embedded_log_url(mesh_home())

    @property
    def log_config(self) -> LogConfig:
        return LogConfig(max_record_bytes=self.max_record_bytes)

    def open_log(self, url: str | None = None) -> closing[EventLog]:
        """Open the event log (``url`` or the configured one) as a context manager."""
        return closing(open_log(url or self.resolved_log_url, self.log_config))
