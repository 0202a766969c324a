"""``StreamsClient``: stream applications of the mesh — deploy one for the server to host,
list them, read one's status, stop, start, reset and delete it.

The same operations in-process (:class:`~streammesh.sdk.inprocess.streams.InProcessStreams`,
which also builds and prepares Python DSL pipelines) and through a server
(:class:`~streammesh.sdk.remote.streams.RemoteStreams`, over ``/api/v1/streams``); both
answer :class:`~streammesh.streams.AppStatus` records and raise the same ``MeshError``
classes (``UnknownApplication``, ``ApplicationRunning``, SQL errors with their line and
column, ``GrantMissing``, ``PlanRefused`` ...).

Example:
    >>> with Mesh.connect(url, token=token) as mesh:  # doctest: +SKIP
    ...     mesh.streams.deploy("big-app", sql, principal="big-sa")
    ...     mesh.streams.status("big-app").records_out
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the engine is imported where applications run, not by every client
    from streammesh.streams import AppStatus, StreamApp

__all__ = ["StreamsClient"]


class StreamsClient(Protocol):
    """The stream applications of one mesh."""

    def deploy(
        self,
        name: str,
        sql: str,
        *,
        principal: str | None = None,
        descriptor: str | None = None,
    ) -> AppStatus:
        """Deploy ``sql`` as application ``name`` for the server to host (placement
        ``server``), to run; deploying a name again replaces its script. Nothing is recorded
        unless the script parses, plans, passes governance, has its grants, and every query
        runs on the engine over existing inputs.

        Args:
            name: The application's name (lowercase letters, digits, dashes).
            sql: The ksqlDB statements.
            principal: The service account it runs as (``None``: the mesh's operator).
            descriptor: A descriptor file's YAML for the product a query publishes.

        Raises:
            SqlError: invalid SQL (``line``, ``column``, ``excerpt``).
            PlanError: a statement that cannot be planned (an unknown product suggested).
            PlanRefused: governance refuses an output product.
            GrantMissing: the service account lacks a grant.
            InvalidApplicationName: ``name`` cannot name an application.
        """
        ...

    def explain(
        self,
        sql: str,
        *,
        name: str = "explain",
        principal: str | None = None,
        descriptor: str | None = None,
    ) -> dict[str, Any]:
        """Plan ``sql`` against the mesh without deploying it: ``application``, ``inputs``,
        ``outputs`` and per persistent query its plan, sink, whether the engine runs it, its
        state stores and internal topics (``streams explain --json``'s document).

        Raises:
            SqlError, PlanError, PlanRefused, GrantMissing: as :meth:`deploy`.
        """
        ...

    def applications(self) -> list[AppStatus]:
        """Every application with its live instances, counters and lag, by name."""
        ...

    def status(self, name: str) -> AppStatus:
        """One application (``UnknownApplication``, with the nearest name, when there is
        none)."""
        ...

    def stop(self, name: str) -> AppStatus:
        """Ask ``name``'s processes to finish and commit their batch and exit."""
        ...

    def start(self, name: str) -> AppStatus:
        """Let a stopped ``name`` run again (the server starts those it hosts)."""
        ...

    def reset(self, name: str) -> AppStatus:
        """Make ``name`` start over from the beginning of its inputs
        (``ApplicationRunning`` while an instance is alive)."""
        ...

    def delete(self, name: str) -> StreamApp:
        """Remove ``name`` (its outputs and dead letters are kept); the record it had
        (``ApplicationRunning`` while an instance is alive)."""
        ...
