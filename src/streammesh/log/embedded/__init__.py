"""The embedded event log: durable, multi-process, no services (SQLite in WAL mode)."""

from streammesh.log.embedded.log import EmbeddedLog

__all__ = ["EmbeddedLog"]
