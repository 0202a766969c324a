"""A SQLite database file that streammesh owns: created whole and private, watched while open.

SQLite opens an empty or missing file as a new, empty database, so a mesh file truncated to
0 bytes would silently start empty and a file deleted under a running process would keep
taking writes into an unlinked inode. A ``SqliteFile`` therefore:

- creates the database under a temporary name (mode 0600, header written) and links it into
  place, so a file at the path is never legitimately empty — a 0-byte file is a damaged one;
- remembers which file (device and inode) it opened, so :meth:`SqliteFile.problem` can say
  when it was deleted or replaced, and checks its size and the directory cheaply (a few
  system calls: callers may run it before every commit and for every health probe).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26


@dataclass(frozen=True, slots=True)
class FileProblem:
    """Why a database file cannot serve: ``corrupt`` (damaged) or ``gone`` (deleted, replaced,
    or its directory cannot be written)."""

    kind: str
    reason: str

    @property
    def corrupt(self) -> bool:
        """Whether the file is damaged (restore it) rather than missing or unwritable."""
        return self.kind == "corrupt"


def private_directory(directory: Path) -> None:
    """Create ``directory`` (and parents) if missing and make it 0700, whatever the umask.

    A directory of another user (a mesh shared through group permissions) is left as it is:
    only its owner may change its mode.
    """
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for created in reversed(missing):  # parents first, each private (mkdir's parents are not)
        created.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
        created.chmod(DIRECTORY_MODE)  # mkdir's mode is filtered by the umask
    found = directory.stat()
    if stat.S_IMODE(found.st_mode) != DIRECTORY_MODE and found.st_uid == os.geteuid():
        directory.chmod(DIRECTORY_MODE)


def private_file(path: Path) -> None:
    """Make the existing file ``path`` 0600 (SQLite gives its -wal and -shm files the same);
    another user's file is left as it is."""
    found = path.stat()
    if stat.S_IMODE(found.st_mode) != FILE_MODE and found.st_uid == os.geteuid():
        path.chmod(FILE_MODE)


def classify(exc: sqlite3.Error) -> str | None:
    """``"corrupt"``, ``"full"`` or ``"io"`` for the SQLite errors that are about the file, else
    ``None`` (locks, constraint violations, SQL mistakes)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        text = str(exc).lower()
        if "malformed" in text or "not a database" in text:
            return "corrupt"
        return "full" if "disk is full" in text else None
    primary = code & 0xFF
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return "corrupt"
    if primary == _SQLITE_FULL:
        return "full"
    return "io" if primary == _SQLITE_IOERR else None


def is_disk_full(exc: OSError) -> bool:
    """Whether an OS error means there is no space (or quota, or file size limit) left."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class SqliteFile:
    """The database file at ``path``; :meth:`prepare` it before SQLite first opens it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity: tuple[int, int] | None = None
        self._damage: FileProblem | None = None

    def mark_damaged(self, reason: str) -> None:
        """Remember that reading the file found damage: :meth:`problem` reports it from now on
        (SQLite notices damage only on the pages it reads; writes must stop at the first)."""
        self._damage = FileProblem("corrupt", reason)

    def prepare(self, initialize: str = "") -> None:
        """Create the file if it is missing (whole, private), refuse an empty one, and remember
        which file this is.

        Args:
            initialize: SQL run on a new file before it is linked into place (e.g. pragmas that
                only a new database takes, such as its page size).

        Raises:
            FileProblemError: the file is empty, or missing while its write-ahead log remains.
            OSError: the file cannot be created (no space, no permission, no directory, ...).
        """
        if not self.path.exists():
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                # SQLite would replay the old database's log into the new, empty one.
                raise FileProblemError(
                    FileProblem(
                        "corrupt",
                        f"the file is missing but its write-ahead log '{wal}' remains",
                    )
                )
            self._create(initialize)
        found = self.path.stat()
        if found.st_size == 0:
            raise FileProblemError(
                FileProblem("corrupt", "the file is empty (0 bytes): it was truncated")
            )
        private_file(self.path)
        self._identity = (found.st_dev, found.st_ino)

    def _create(self, initialize: str) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        temporary.unlink(missing_ok=True)
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        try:
            os.chmod(temporary, FILE_MODE)
            conn = sqlite3.connect(temporary, isolation_level=None)
            try:
                if initialize:
                    conn.executescript(initialize)
                # Writing the header makes the file a database (never 0 bytes from here on).
                conn.execute("PRAGMA user_version = 0")
                conn.execute("VACUUM")
            finally:
                conn.close()
            # Fails when another process linked its own first: then that one is the database.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)

    def problem(self) -> FileProblem | None:
        """Why the file cannot serve now, or ``None``: a few system calls, no SQL."""
        if self._damage is not None:
            return self._damage
        try:
            found = self.path.stat()
        except FileNotFoundError:
            return FileProblem(
                "gone",
                f"the file '{self.path}' was deleted while in use; writes to it would be lost",
            )
        except OSError as exc:
            return FileProblem("gone", f"the file '{self.path}' cannot be read: {exc.strerror}")
        if self._identity is not None and (found.st_dev, found.st_ino) != self._identity:
            return FileProblem(
                "gone", f"the file '{self.path}' was replaced while in use; restart to open it"
            )
        if found.st_size == 0:
            return FileProblem("corrupt", "the file is empty (0 bytes): it was truncated")
        # No read of the header here: opening and closing any descriptor of the file drops
        # every POSIX lock SQLite holds on it in this process, so another process would take
        # this one's connections for gone, checkpoint and delete the -wal/-shm files under
        # them, and this process would stop seeing other processes' commits. A damaged header
        # is reported by SQLite itself on the next statement (``classify``: corrupt).
        if not os.access(self.path.parent, os.W_OK):
            return FileProblem(
                "gone", f"the directory '{self.path.parent}' is not writable by this process"
            )
        return None


class FileProblemError(Exception):
    """Raised by :meth:`SqliteFile.prepare`; the store and the log translate it into their own
    errors (it never leaves those packages)."""

    def __init__(self, problem: FileProblem) -> None:
        self.problem = problem
        super().__init__(problem.reason)
