"""Errors of the files source (``kind: files``)."""

from __future__ import annotations

from pathlib import Path

from streammesh.connect.errors import ConnectError


class FilesError(ConnectError):
    """Base of the files source's errors."""


class FolderMissing(FilesError):
    """The folder files are dropped into does not exist.

    Attributes:
        connector: The connector's name.
        folder: The folder.
    """

    def __init__(self, connector: str, folder: Path) -> None:
        self.connector = connector
        self.folder = folder
        super().__init__(
            f"connector '{connector}': folder '{folder}' does not exist; create it or fix "
            "'folder' in its config"
        )
