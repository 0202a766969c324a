"""The data plane: writing and reading the events of data products.

A product's producer validates each event against the product's schema, takes its key from
the contract's key field, protects its classified fields, serializes it in the Confluent wire
format and writes it to the product's topic; its consumer does the reverse as a member of a
consumer group. :class:`DataPlane` hands both out with the grant check, field protection and
schema resolution around them; the SDK (in-process), the server's REST routes and the web UI
all write and read through it (``MeshRuntime.data``).

Errors::

    DataPlaneError
    ├── InvalidEvent        events refused by a producer; nothing was written
    ├── InvalidKey          a key the product's key type cannot encode or decode
    ├── UnreadableEvent     a record of a product's topic that is not an event of the product
    └── ClientClosed        a producer or consumer used after ``close()``
"""

from __future__ import annotations

from streammesh.dataplane.consumer import ProductConsumer
from streammesh.dataplane.decoding import ProductDecoder, Revealer
from streammesh.dataplane.encoding import EncodedEvent, ProductEncoder
from streammesh.dataplane.errors import (
    ClientClosed,
    DataPlaneError,
    EventProblem,
    InvalidEvent,
    InvalidKey,
    UnreadableEvent,
)
from streammesh.dataplane.events import ProductEvent, event_fields, timestamp_of
from streammesh.dataplane.keys import Key, KeyCodec
from streammesh.dataplane.producer import ProductProducer
from streammesh.dataplane.protection import protection_for
from streammesh.dataplane.service import (
    DataPlane,
    PartitionOffsets,
    Produced,
    Sample,
    StreamStats,
)

__all__ = [
    "ClientClosed",
    "DataPlane",
    "DataPlaneError",
    "EncodedEvent",
    "EventProblem",
    "InvalidEvent",
    "InvalidKey",
    "Key",
    "KeyCodec",
    "PartitionOffsets",
    "Produced",
    "ProductConsumer",
    "ProductDecoder",
    "ProductEncoder",
    "ProductEvent",
    "ProductProducer",
    "Revealer",
    "Sample",
    "StreamStats",
    "UnreadableEvent",
    "event_fields",
    "protection_for",
    "timestamp_of",
]
