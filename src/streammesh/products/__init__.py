"""Data products as code: the descriptor model, its loader, and the ``init`` scaffold."""

from __future__ import annotations

from streammesh.products.descriptor import (
    Alignment,
    Classification,
    Deprecation,
    Descriptor,
    EventKind,
    Key,
    KeyType,
    Owner,
    Port,
    PortKind,
    QualityTier,
    SchemaFormatName,
    SchemaRef,
    Sla,
    SlaTier,
    Status,
    SupportHours,
)
from streammesh.products.errors import (
    DescriptorInvalid,
    DescriptorProblem,
    InvalidName,
    ProductError,
    ScaffoldConflict,
)
from streammesh.products.findings import FindingSeverity, PolicyFinding
from streammesh.products.json_schema import descriptor_json_schema
from streammesh.products.loading import load_descriptor, parse_descriptor
from streammesh.products.retention import Retention, RetentionMode
from streammesh.products.sizes import PartitionSize

__all__ = [
    "Alignment",
    "Classification",
    "Deprecation",
    "Descriptor",
    "DescriptorInvalid",
    "DescriptorProblem",
    "EventKind",
    "FindingSeverity",
    "InvalidName",
    "Key",
    "KeyType",
    "Owner",
    "PartitionSize",
    "PolicyFinding",
    "Port",
    "PortKind",
    "ProductError",
    "QualityTier",
    "Retention",
    "RetentionMode",
    "ScaffoldConflict",
    "SchemaFormatName",
    "SchemaRef",
    "Sla",
    "SlaTier",
    "Status",
    "SupportHours",
    "descriptor_json_schema",
    "load_descriptor",
    "parse_descriptor",
]
