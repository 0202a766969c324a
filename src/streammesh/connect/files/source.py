"""The files source: files dropped into a folder, read once each, row by row, into events.

A file is taken when it has not been modified for ``stable_after`` (a writer still
appending to it is waited for) — or at once with ``stable_after: 0``, for writers that
write elsewhere (or under a hidden or ``.tmp``/``.part`` name, which is never read) and
rename the finished file into the folder. Files are read one at a time, oldest first.

The position names every file of the folder the source has taken, with what identifies its
content (size, modification time, SHA-256) and how far it got::

    {"files": {"orders-1.csv": {"size": 812, "mtime_ns": ..., "sha256": "…", "row": 12,
                                "done": false}}}

so a restart skips finished files, resumes a partly read file at its row, reads on where a
file was appended to (its old content is a prefix of the new), and reads a file again from
its start only if its content changed otherwise (a new file under an old name). A finished
file is moved to ``done/`` (``move_done``) once its events are committed, and then leaves
the position; a file that disappears from the folder leaves it too.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

import pyarrow as pa

from streammesh.connect.base import ConnectorContext, Position, SourceRecord
from streammesh.connect.columns import (
    Column,
    ColumnConversionError,
    record_schema,
    to_avro_value,
)
from streammesh.connect.files.config import Config
from streammesh.connect.files.errors import FolderMissing
from streammesh.connect.files.formats import FileRow, file_types, merged_types, read_rows

__all__ = ["FileSource"]

_IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
_READ_ERRORS = (OSError, UnicodeError, pa.ArrowException)


@dataclass(slots=True)
class _FileState:
    size: int
    mtime_ns: int
    sha256: str
    row: int = 0
    done: bool = False


def _sha256(path: Path, limit: int | None = None) -> str:
    """The SHA-256 of the file, or of its first ``limit`` bytes."""
    digest = hashlib.sha256()
    left = limit
    with path.open("rb") as handle:
        while left is None or left > 0:
            chunk = handle.read(1 << 20 if left is None else min(1 << 20, left))
            if not chunk:
                break
            digest.update(chunk)
            left = None if left is None else left - len(chunk)
    return digest.hexdigest()


class FileSource:
    """A running ``files`` source (see the module)."""

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self._config = config
        self._context = context
        self._files: dict[str, _FileState] = {}
        self._current: str | None = None
        self._rows: Iterator[FileRow] | None = None
        self._peeked: FileRow | None = None
        self._columns: list[Column] = []
        self._types: dict[str, str] = {}
        self._schema: str | None = None

    @property
    def _folder(self) -> Path:
        return self._config.folder

    def start(self, position: Position | None) -> None:
        """Check the folder, resume after ``position``: finished files are skipped (and
        moved to ``done/`` if that had not happened yet), a partly read one resumes."""
        if not self._folder.is_dir():
            raise FolderMissing(self._context.name, self._folder)
        saved = (position or {}).get("files", {})
        self._files = {name: _FileState(**state) for name, state in saved.items()}
        self._rows = self._peeked = self._current = None
        if position is not None:
            self.committed(position)

    def poll(self, timeout: float) -> Sequence[SourceRecord]:
        """The next rows of the file being read, or of the next file ready in the folder."""
        if self._rows is None and not self._open_next():
            time.sleep(min(max(timeout, 0.0), self._config.poll_interval / 1000))
            if not self._open_next():
                return []
        return self._read_batch()

    def _candidates(self) -> list[tuple[Path, os.stat_result]]:
        """The folder's readable files, oldest first, with their ``stat``."""
        found = []
        for path in self._folder.glob(self._config.pattern):
            name = path.name
            if name.startswith((".", "_")) or name.lower().endswith(_IGNORED_SUFFIXES):
                continue
            if self._config.format_of(path) is None:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # moved away since the listing
                continue
            if S_ISREG(stat.st_mode):
                found.append((path, stat))
        return sorted(found, key=lambda item: (item[1].st_mtime_ns, item[0].name))

    def _open_next(self) -> bool:
        candidates = self._candidates()
        present = {path.name for path, _ in candidates}
        for name in [name for name in self._files if name not in present]:
            del self._files[name]  # moved away or removed: nothing left to remember
        stable_ns = self._config.stable_after * 1_000_000
        for path, stat in candidates:
            if time.time_ns() - stat.st_mtime_ns < stable_ns:
                continue  # still being written, as far as anyone can tell
            state = self._files.get(path.name)
            if state is None or (state.size, state.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                try:
                    digest = _sha256(path)
                    appended = (
                        state is not None
                        and stat.st_size > state.size
                        and _sha256(path, state.size) == state.sha256
                    )
                except FileNotFoundError:
                    continue
                if state is not None and (appended or state.sha256 == digest):
                    # Touched (same content), or appended to: the rows read stay read.
                    state.done = state.done and not appended
                    state.size, state.mtime_ns, state.sha256 = (
                        stat.st_size,
                        stat.st_mtime_ns,
                        digest,
                    )
                else:
                    state = _FileState(stat.st_size, stat.st_mtime_ns, digest)
                self._files[path.name] = state
            if state.done:
                continue
            if self._open(path, state):
                return True
        return False

    def _open(self, path: Path, state: _FileState) -> bool:
        file_format = self._config.format_of(path)
        assert file_format is not None
        try:
            types = file_types(path, file_format, self._config.delimiter)
        except _READ_ERRORS as exc:
            state.done = True
            self._context.dead_letter(
                path.name, f"file '{path.name}' cannot be read: {exc}", {"file": path.name}
            )
            return False
        self._types = merged_types(self._types, types)
        given = self._config.columns
        self._columns = [
            Column.postgres(name, given.get(name, sql_type))
            for name, sql_type in {**self._types, **given}.items()
        ]
        self._schema = self._schema_of(self._columns)
        self._current = path.name
        self._rows = read_rows(path, file_format, state.row, self._config.delimiter)
        self._peeked = None
        return True

    def _schema_of(self, columns: list[Column]) -> str:
        name = self._config.product.rsplit(".", 1)[-1].replace("-", "_")
        return json.dumps(record_schema(name, columns))

    def _next_row(self) -> FileRow | None:
        assert self._rows is not None and self._current is not None
        try:
            return next(self._rows, None)
        except _READ_ERRORS as exc:
            self._context.dead_letter(
                self._current,
                f"file '{self._current}' cannot be read on: {exc}",
                {"file": self._current},
            )
            return None

    def _read_batch(self) -> list[SourceRecord]:
        name = self._current
        assert name is not None
        state = self._files[name]
        records: list[SourceRecord] = []
        row = self._peeked or self._next_row()
        while row is not None and len(records) < self._config.batch_rows:
            following = self._next_row()
            state.row = row.number + 1
            state.done = following is None
            record = self._record(name, row)
            if record is not None:
                records.append(record)
            row = following
        self._peeked = row
        if row is None:
            state.done = True
            self._rows = self._current = None
        return records

    def _record(self, name: str, row: FileRow) -> SourceRecord | None:
        raw: dict[str, Any] = {"file": name, "row": row.number}
        if row.values is None:
            self._context.dead_letter(name, row.problem, {**raw, "text": row.text})
            return None
        try:
            value = {
                column.name: to_avro_value(row.values.get(column.name), column)
                for column in self._columns
            }
        except ColumnConversionError as exc:
            shown = {key: str(value)[:200] for key, value in row.values.items()}
            self._context.dead_letter(name, f"row {row.number}: {exc}", {**raw, **shown})
            return None
        keys = self._config.key
        key: Any = value.get(keys[0]) if len(keys) == 1 else None
        if len(keys) > 1:
            key = {column: value.get(column) for column in keys}
        return SourceRecord(
            product=self._config.product,
            key=key,
            value=value,
            position={"files": {n: asdict(s) for n, s in self._files.items()}},
            headers={"file": name},
            stream=name,
        )

    def committed(self, position: Position) -> None:
        """Move the finished files of ``position`` to ``done/`` (``move_done``)."""
        if not self._config.move_done:
            return
        done = self._folder / "done"
        for name, saved in position.get("files", {}).items():
            path = self._folder / name
            if not saved.get("done") or name == self._current or not path.is_file():
                continue
            stat = path.stat()
            if (stat.st_size, stat.st_mtime_ns) != (saved["size"], saved["mtime_ns"]):
                continue  # a new file under the same name since: not the one committed
            done.mkdir(exist_ok=True)
            path.replace(done / name)
            self._files.pop(name, None)

    def schemas(self) -> Mapping[str, str]:
        """The product's schema from the file being (or last) read — or, before any file,
        from the ``columns`` setting alone; empty when neither is known yet."""
        if self._schema is None and self._config.columns:
            given = [Column.postgres(n, t) for n, t in self._config.columns.items()]
            return {self._config.product: self._schema_of(given)}
        return {} if self._schema is None else {self._config.product: self._schema}

    def close(self) -> None:
        """Forget the open file (readers hold no handle between polls beyond it); idempotent."""
        if self._rows is not None and hasattr(self._rows, "close"):
            self._rows.close()
        self._rows = self._peeked = self._current = None
