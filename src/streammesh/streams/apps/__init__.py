"""Stream applications as the mesh records them: deploy, list, status, stop, start, reset,
delete, and the heartbeats of the processes running them.

``StreamsService`` (``runtime.streams``) is the face users and the server call; this package
holds the records (:class:`StreamApp`, :class:`Instance`, :class:`AppStatus`), their tables
in the metadata store (:class:`AppStore`, both SQLite and PostgreSQL), what the log knows
(:class:`AppLifecycle`: lag, and the offsets and topics a reset drops) and the errors::

    StreamsError
    └── ApplicationError
        ├── UnknownApplication       no application of that name (the nearest one suggested)
        ├── ApplicationRunning       reset or delete refused: an instance is alive
        ├── InvalidApplicationName   a name that cannot name a group, topics and a lineage node
        └── PlacementConflict        a running application deployed again elsewhere
"""

from __future__ import annotations

from streammesh.streams.apps.errors import (
    ApplicationError,
    ApplicationRunning,
    InvalidApplicationName,
    PlacementConflict,
    UnknownApplication,
)
from streammesh.streams.apps.lifecycle import (
    STATE_MARKER,
    AppLifecycle,
    check_application_name,
    describe_queries,
    prepare_state_dir,
)
from streammesh.streams.apps.records import (
    AppQuery,
    AppStatus,
    Desired,
    Instance,
    PartitionLag,
    Placement,
    QueryStatus,
    StreamApp,
)
from streammesh.streams.apps.store import APPS_LOCK, AppStore

__all__ = [
    "APPS_LOCK",
    "STATE_MARKER",
    "AppLifecycle",
    "AppQuery",
    "AppStatus",
    "AppStore",
    "ApplicationError",
    "ApplicationRunning",
    "Desired",
    "Instance",
    "InvalidApplicationName",
    "PartitionLag",
    "Placement",
    "PlacementConflict",
    "QueryStatus",
    "StreamApp",
    "UnknownApplication",
    "check_application_name",
    "describe_queries",
    "prepare_state_dir",
]
