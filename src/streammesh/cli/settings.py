"""The settings of one ``streammesh`` invocation: where the log is and how to report errors.

Where the mesh is (``$STREAMMESH_HOME``) and how its log is found (``--log``,
``$STREAMMESH_LOG``, ``mesh.yaml``) are :mod:`streammesh.config`'s rules; the command line
only adds its options.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from streammesh.config import HOME_ENV, LOG_ENV, MeshConfig, mesh_home
from streammesh.log import DEFAULT_MAX_RECORD_BYTES, EventLog, LogConfig, open_log

__all__ = ["HOME_ENV", "LOG_ENV", "CliSettings", "embedded_log_url", "mesh_home"]


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
    kafka_options: dict[str, str] = field(default_factory=dict)
    """``kafka.security`` settings given as ``--kafka-*`` options (winning over the
    environment and ``mesh.yaml``)."""

    @property
    def resolved_log_url(self) -> str:
        """``--log``/``$STREAMMESH_LOG`` if given, else the mesh's (``mesh.yaml``, or the
        embedded log in the mesh home).

        Raises:
            ConfigError: the mesh's ``mesh.yaml`` is invalid.
        """
        return self.log_url or self.mesh_config().log_url

    def mesh_config(self) -> MeshConfig:
        """The configuration of the mesh in ``$STREAMMESH_HOME`` with these options.

        Raises:
            ConfigError: the mesh's ``mesh.yaml`` or the Kafka security settings are invalid.
        """
        return MeshConfig.load(log_url=self.log_url, kafka_options=self.kafka_options)

    @property
    def log_config(self) -> LogConfig:
        """How the commands that open the log directly (``topics``, ``produce`` and
        ``consume`` of a topic) open it, the mesh's Kafka security settings included."""
        return LogConfig(
            max_record_bytes=self.max_record_bytes,
            security=self.mesh_config().kafka_security,
        )

    def open_log(self, url: str | None = None) -> closing[EventLog]:
        """Open the event log (``url`` or the configured one) as a context manager."""
        return closing(open_log(url or self.resolved_log_url, self.log_config))
