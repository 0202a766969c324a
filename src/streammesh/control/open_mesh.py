"""``OpenMesh``: what a background worker needs of an open mesh (the runtime satisfies it).

Workers of the domain packages (the SLO checker, the notifier) take this protocol rather than
:class:`streammesh.runtime.MeshRuntime`, so they do not depend on the composition root above
them.
"""

from __future__ import annotations

from typing import Protocol

from streammesh.config import MeshConfig
from streammesh.control.plane import ControlPlane
from streammesh.log import EventLog
from streammesh.store import MetadataStore


class OpenMesh(Protocol):
    """An open mesh's foundations and control plane."""

    @property
    def config(self) -> MeshConfig: ...

    @property
    def store(self) -> MetadataStore: ...

    @property
    def log(self) -> EventLog: ...

    @property
    def plane(self) -> ControlPlane: ...
