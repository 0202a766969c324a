"""``kind: files``: CSV, JSON lines and Parquet files dropped into a folder become events of
a product, each file once even across restarts (see :mod:`.source`)."""

from __future__ import annotations

from typing import Literal

from streammesh.connect.base import ConnectorContext
from streammesh.connect.files.config import Config, FileFormat
from streammesh.connect.files.errors import FilesError, FolderMissing
from streammesh.connect.files.source import FileSource

__all__ = [
    "KIND",
    "ROLE",
    "Config",
    "FileFormat",
    "FileSource",
    "FilesError",
    "FolderMissing",
    "create",
]

KIND = "files"
ROLE: Literal["source"] = "source"


def create(config: Config, context: ConnectorContext) -> FileSource:
    """A files source for ``config`` (started by the worker with its position)."""
    return FileSource(config, context)
