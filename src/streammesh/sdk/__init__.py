"""The Python SDK: produce and consume data products by name, validated against their contract.

>>> from streammesh.sdk import Mesh
>>> mesh = Mesh.open()  # the mesh in $STREAMMESH_HOME or ./.streammesh  # doctest: +SKIP
>>> with mesh.producer("execution.stocktrades") as producer:  # doctest: +SKIP
...     producer.send({"trade_id": "t-1", "symbol": "ACME", "price": 12.5})
>>> with mesh.consumer("execution.stocktrades", group="risk") as consumer:  # doctest: +SKIP
...     events = consumer.take(100, timeout=5)
"""

from __future__ import annotations

# The producer, consumer, events, keys and their errors are the data plane's; the SDK hands
# them out and re-exports them, so `from streammesh.sdk import ProductProducer` keeps working.
from streammesh.dataplane import (
    ClientClosed,
    DataPlaneError,
    EventProblem,
    InvalidEvent,
    InvalidKey,
    Key,
    KeyCodec,
    ProductConsumer,
    ProductEvent,
    ProductProducer,
    UnreadableEvent,
)
from streammesh.sdk.client import MeshClient
from streammesh.sdk.connectors import ConnectorsClient
from streammesh.sdk.errors import (
    ArgumentOutOfRange,
    AuthenticationFailed,
    MeshUnreachable,
    NotServedRemotely,
    RemoteError,
    RemotePermissionDenied,
    RemoteRequestFailed,
    SdkError,
)
from streammesh.sdk.local import InProcessMesh
from streammesh.sdk.mesh import Mesh
from streammesh.sdk.streams import StreamsClient

__all__ = [
    "ArgumentOutOfRange",
    "AuthenticationFailed",
    "ClientClosed",
    "ConnectorsClient",
    "DataPlaneError",
    "EventProblem",
    "InProcessMesh",
    "InvalidEvent",
    "InvalidKey",
    "Key",
    "KeyCodec",
    "Mesh",
    "MeshClient",
    "MeshUnreachable",
    "NotServedRemotely",
    "ProductConsumer",
    "ProductEvent",
    "ProductProducer",
    "RemoteError",
    "RemotePermissionDenied",
    "RemoteRequestFailed",
    "SdkError",
    "StreamsClient",
    "UnreadableEvent",
]
