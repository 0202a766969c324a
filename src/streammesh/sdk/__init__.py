"""The Python SDK: produce and consume data products by name, validated against their contract.

>>> from streammesh.sdk import Mesh
>>> mesh = Mesh.open()  # the mesh in $STREAMMESH_HOME or ./.streammesh  # doctest: +SKIP
>>> with mesh.producer("execution.stocktrades") as producer:  # doctest: +SKIP
...     producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
>>> with mesh.consumer("execution.stocktrades", group="risk") as consumer:  # doctest: +SKIP
...     events = consumer.take(100, timeout=5)
"""

from __future__ import annotations

from streammesh.sdk.client import MeshClient
from streammesh.sdk.consumer import ProductConsumer
from streammesh.sdk.errors import (
    AuthenticationFailed,
    ClientClosed,
    EventProblem,
    InvalidEvent,
    InvalidKey,
    MeshUnreachable,
    RemoteError,
    RemotePermissionDenied,
    RemoteRequestFailed,
    SdkError,
    UnreadableEvent,
)
from streammesh.sdk.events import ProductEvent
from streammesh.sdk.keys import Key, KeyCodec
from streammesh.sdk.local import InProcessMesh
from streammesh.sdk.mesh import Mesh
from streammesh.sdk.producer import ProductProducer

__all__ = [
    "AuthenticationFailed",
    "ClientClosed",
    "EventProblem",
    "InProcessMesh",
    "InvalidEvent",
    "InvalidKey",
    "Key",
    "KeyCodec",
    "Mesh",
    "MeshClient",
    "MeshUnreachable",
    "ProductConsumer",
    "ProductEvent",
    "ProductProducer",
    "RemoteError",
    "RemotePermissionDenied",
    "RemoteRequestFailed",
    "SdkError",
    "UnreadableEvent",
]
