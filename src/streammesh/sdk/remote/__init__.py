"""The SDK over a streammesh server's REST API: ``RemoteMesh`` and its producers and consumers."""

from __future__ import annotations

from streammesh.sdk.remote.clients import RemoteConsumer, RemoteProducer
from streammesh.sdk.remote.mesh import DEFAULT_BATCH, RemoteMesh

__all__ = ["DEFAULT_BATCH", "RemoteConsumer", "RemoteMesh", "RemoteProducer"]
