"""Which process of a stream application this is: an instance id kept in its state dir.

Every process running an application holds one *instance slot* of its state directory
(``<state_dir>/<application>/instances/<n>.id``, a file holding the id and locked by the
process while it runs). A process takes the first slot no live process holds, so a process
restarted with the same state dir gets the id it had — and its transactional id
``<application>-<instance>``, which fences the zombie of its previous run and aborts the
transaction that run left open at once — while two processes sharing one state dir (two
``streams run`` on one mesh) get two ids and never fence each other. The lock goes with the
process, however it ends (``kill -9`` included), so the slot is free again at once.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

INSTANCES_DIR = "instances"
_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(slots=True)
class InstanceSlot:
    """An instance id this process holds until :meth:`release`."""

    id: str
    path: Path
    _handle: IO[str] | None

    def release(self) -> None:
        """Unlock the slot: the next process to start with this state dir may take it."""
        if self._handle is not None:
            self._handle.close()  # closing the file releases its lock
            self._handle = None


def claim_instance(directory: Path) -> InstanceSlot:
    """Take the first instance slot under ``directory`` (the application's state dir) that
    no running process holds, creating the id of a new slot.

    Raises:
        OSError: the directory or a slot file cannot be created or locked.
    """
    slots = directory / INSTANCES_DIR
    slots.mkdir(parents=True, exist_ok=True)
    for number in itertools.count():
        path = slots / f"{number}.id"
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        if not _lock(handle):
            handle.close()
            continue
        handle.seek(0)
        found = handle.read().strip()
        if not _ID.fullmatch(found):  # a new slot (or a damaged one): a fresh id
            found = uuid.uuid4().hex[:12]
            handle.seek(0)
            handle.truncate()
            handle.write(found + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return InstanceSlot(found, path, handle)
    raise AssertionError("unreachable")  # pragma: no cover


def _lock(handle: IO[str]) -> bool:
    """Lock ``handle``'s file for this process without waiting; False if another holds it."""
    if sys.platform == "win32":  # pragma: no cover - CI runs on Linux
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
