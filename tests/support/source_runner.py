"""``SourceRunner``: what the connector worker does with a source, reduced to a list.

It plays the worker's part of the exactly-once contract (:mod:`streammesh.connect.base`):
each polled batch is "written" to an in-memory product together with its last position,
then the source is told :meth:`~streammesh.connect.base.SourceTask.committed`. A crash is
simulated by closing the source without telling it, and a restart by creating a new one
from the last stored position.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammesh.connect import ConnectorContext, Position, SourceRecord, SourceTask


@dataclass
class SourceRunner:
    """Runs sources of one connector against an in-memory product log.

    Attributes:
        name: The connector's name.
        state_dir: Its state directory.
        written: Every record "on the product", in order.
        position: The position stored with the last batch (the offsets topic).
        dead: What went to the dead-letter stream: ``(stream, reason, raw)``.
    """

    name: str
    state_dir: Path
    written: list[SourceRecord] = field(default_factory=list)
    position: Position | None = None
    dead: list[tuple[str, str, Mapping[str, Any]]] = field(default_factory=list)

    def context(self) -> ConnectorContext:
        """The context a worker gives the connector."""
        return ConnectorContext(self.name, self.state_dir, self._dead_letter)

    def _dead_letter(self, stream: str, reason: str, raw: Mapping[str, Any]) -> None:
        self.dead.append((stream, reason, raw))

    def run(
        self,
        source: SourceTask,
        until: Callable[[list[SourceRecord]], bool],
        *,
        timeout: float = 30.0,
        max_records: int | None = None,
    ) -> list[SourceRecord]:
        """Poll, write and commit until ``until(written)`` holds; ``max_records`` stops
        writing after that many records of this run (possibly in the middle of a batch or
        a transaction), as a crash would."""
        deadline = time.monotonic() + timeout
        taken = 0
        while not until(self.written):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out with {len(self.written)} records written: {self.written[-3:]}"
                )
            batch = list(source.poll(0.2))
            if max_records is not None:
                batch = batch[: max_records - taken]
            if not batch:
                if max_records is not None and taken >= max_records:
                    return self.written
                continue
            taken += len(batch)
            self.written.extend(batch)
            self.position = batch[-1].position
            source.committed(self.position)
        return self.written
