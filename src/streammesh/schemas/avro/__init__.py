"""Avro schemas: parsing, canonical form, validation, fastavro serialization, compatibility."""

from __future__ import annotations

from streammesh.schemas.avro.format import AvroFormat
from streammesh.schemas.avro.schema import AvroSchema

__all__ = ["AvroFormat", "AvroSchema"]
