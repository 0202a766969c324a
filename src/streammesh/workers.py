"""``start_workers``: the mesh's background work, in the process that asks for it.

The background work is notification delivery (which also relays the mesh events a process
left unrelayed), the SLO checks, and the hosting of the stream applications and connectors
placed on the server. ``streammesh up`` runs it beside the API unless told ``--no-workers``;
``streammesh worker`` runs it without the API. Every part is a consumer group on the log or a
loop over the store's records, so several processes may each run it: they share the work.
Each loop retries by itself after the store or the log failed, and reports its progress on a
:class:`~streammesh.heartbeat.Heartbeat` that ``/readyz`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streammesh.connect import ConnectorManager, WorkerServices, start_connector_host
from streammesh.heartbeat import BackgroundWork, Heartbeat
from streammesh.notify import start_notifier
from streammesh.observe import start_slo_checker
from streammesh.runtime import MeshRuntime
from streammesh.streams import start_stream_host

__all__ = ["Workers", "start_workers"]


@dataclass(frozen=True, slots=True)
class _Started:
    name: str
    work: BackgroundWork


class Workers:
    """The background work started by :func:`start_workers`; ``stop()`` it before closing
    the mesh."""

    def __init__(self, started: Sequence[_Started]) -> None:
        self._started = list(started)

    @property
    def names(self) -> list[str]:
        """What runs, in the order it started (``notifications``, ``slo-checks``, ...)."""
        return [item.name for item in self._started]

    @property
    def heartbeats(self) -> list[Heartbeat]:
        """Every loop's heartbeat (``notifier``, ``event-relay``, ``slo-checker``,
        ``stream-host``, ``connector-host``)."""
        return [beat for item in self._started for beat in item.work.heartbeats]

    def stop(self) -> None:
        """Stop everything, the last started first: connectors and stream applications finish
        and commit their batch while the mesh is still open."""
        while self._started:
            self._started.pop().work.stop()


def start_workers(mesh: MeshRuntime, *, hosting: bool = True) -> Workers:
    """Start the mesh's background work in this process.

    Args:
        mesh: The open mesh; it must stay open until ``stop()`` returns.
        hosting: Whether to host the stream applications and connectors placed on the
            server (``up --no-streams`` leaves them to another process).

    Returns:
        What to ``stop()`` when the process shuts down.
    """
    started: list[_Started] = []
    try:
        started.append(_Started("slo-checks", start_slo_checker(mesh)))
        started.append(_Started("notifications", start_notifier(mesh)))
        if hosting:
            interval_s = mesh.config.streams_hosting_interval.total_seconds()
            started.append(
                _Started(
                    "stream-apps",
                    start_stream_host(
                        mesh.streams,
                        mesh.store,
                        mesh.log,
                        mesh.registry,
                        mesh.config.home,
                        poll_s=interval_s,
                        heartbeat_s=interval_s,
                    ),
                )
            )
            services = WorkerServices(
                mesh.plane,
                mesh.data,
                mesh.grants,
                mesh.log,
                mesh.registry,
                mesh.config.home,
                mesh.lineage.runs,  # the tables and files hosted connectors read and write
                store_url=mesh.config.store_url,
            )
            host = start_connector_host(
                ConnectorManager(mesh.store),
                services,
                allowed_paths=mesh.config.connector_folders,
            )
            started.append(_Started("connectors", host))
    except BaseException:
        Workers(started).stop()
        raise
    return Workers(started)
