"""The output of a persistent query published as a data product.

The descriptor comes from ``WITH (product='analytics.trending_stocks')`` (defaults below) or a
descriptor file next to the SQL (the mesh's descriptor format; what it says wins, except what
the query decides: the schema, the key and the upstreams). The product's value schema is
derived from the query's output columns with their types, in Avro: a record of every column,
key columns first and required (the mesh takes an event's key from a field of its value),
value columns optional as ksqlDB writes them, each with a doc. The sink then writes the
product's topic ``<name>.v<N>`` with the ``KAFKA`` key format (the bytes the data plane's key
codec writes) and ``AVRO`` values in the product's schema, key columns included: the bytes the
data plane's producer writes for the same event.

Defaults without a descriptor file: the owning team is the application's (its service
account's team, else the only team of the product's domain) with the team's e-mail as owner;
alignment ``aggregate`` when the query combines (``GROUP BY`` or a join), ``consumer``
otherwise; kind ``state`` for a table, else the first input product's kind (``measurement``
when that is ``state`` or there is none); the weakest SLA tier and the largest partition size
of the inputs; a stream keeps the shortest ``recent:`` retention of its inputs;
classifications propagated from the inputs (:mod:`streammesh.streams.products.classification`);
``upstreams`` the input products. A descriptor file's omissions get the same defaults.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from streammesh.control import ProductSource, TeamRecord
from streammesh.products import Alignment, Descriptor, EventKind, KeyType, parse_descriptor
from streammesh.streams.formats import Column, FormatName, avro_schema
from streammesh.streams.plan import Aggregate, Formats, Join, PlanNode, Sink, children
from streammesh.streams.products.catalog import InputProduct
from streammesh.streams.products.classification import Labels
from streammesh.streams.products.errors import OutputProductInvalid
from streammesh.streams.sql.statements import SourceKind, SourceProperties
from streammesh.streams.types import BIGINT, BYTES, INTEGER, STRING, SqlType

__all__ = ["OutputProduct", "derive_output"]

_KEY_TYPES: dict[SqlType, KeyType] = {
    STRING: KeyType.STRING,
    INTEGER: KeyType.INT,
    BIGINT: KeyType.LONG,
    BYTES: KeyType.BYTES,
}


@dataclass(frozen=True, slots=True)
class OutputProduct:
    """A persistent query's output as a data product.

    Attributes:
        query_id: The persistent query writing it.
        sink: The query's sink, writing the product's topic in its formats.
        source: The descriptor and derived schema, as the control plane plans and applies them.
    """

    query_id: str
    sink: Sink
    source: ProductSource

    @property
    def descriptor(self) -> Descriptor:
        """The product's descriptor."""
        return self.source.descriptor

    @property
    def reference(self) -> str:
        """``<name>.v<N>``."""
        return self.source.reference


def derive_output(
    query_id: str,
    sink: Sink,
    properties: SourceProperties,
    *,
    product: str,
    application: str,
    inputs: Sequence[InputProduct],
    labels: Sequence[Labels],
    team: TeamRecord | None,
    template: Mapping[str, Any] | None = None,
) -> OutputProduct:
    """The data product ``sink`` is published as.

    Args:
        query_id: The persistent query's id.
        sink: Its planned sink.
        properties: The statement's ``WITH`` properties.
        product: The product's name (``analytics.trending_stocks``).
        application: The stream application, named in descriptions and docs.
        inputs: The products the query reads.
        labels: The classifications of each of the sink's columns.
        team: The owning team when no descriptor file gives one.
        template: The descriptor file's document (its YAML, read), if there is one; ``key``,
            ``schema`` and ``upstreams`` may be left out of it.

    Raises:
        OutputProductInvalid: the output cannot be this product (not exactly one key column,
            a key type a product key cannot have, formats or a topic other than the
            product's, a descriptor file that disagrees with the query).
        DescriptorInvalid: the derived descriptor breaks a descriptor rule.
    """

    def refuse(reason: str) -> OutputProductInvalid:
        return OutputProductInvalid(sink.name, product, reason)

    if "." not in product:
        raise refuse("name the product '<domain>.<name>', e.g. 'analytics.trending_stocks'")
    keys = sink.schema.keys
    if len(keys) != 1:
        got = ", ".join(key.name for key in keys) or "none"
        raise refuse(
            f"a product's events have one key field, the query's output has {got}; GROUP BY"
            " or PARTITION BY one column"
        )
    key_type = _KEY_TYPES.get(keys[0].type)
    if key_type is None:
        raise refuse(
            f"key column {keys[0].name} is {keys[0].type}; a product key is STRING, INTEGER,"
            " BIGINT or BYTES (CAST it)"
        )
    value_format = properties.value_format or properties.format
    if value_format not in (None, "AVRO"):
        raise refuse(f"its values are AVRO, not {value_format}; leave VALUE_FORMAT out")
    key_format = properties.key_format or properties.format
    if key_format not in (None, "KAFKA"):
        raise refuse(f"its keys are KAFKA-serialized, not {key_format}; leave KEY_FORMAT out")
    upstreams = tuple(dict.fromkeys(item.reference for item in inputs))
    classifications = {
        column.name: sorted(found)
        for column, found in zip(sink.schema.columns, labels, strict=True)
        if found
    }
    document = _defaults(sink, product, application, inputs, team)
    if template is None:
        if team is None:
            raise refuse(
                "no owning team: run the application as a service account of the owning team,"
                " or give a descriptor file next to the SQL"
            )
        if team.email is None:
            raise refuse(
                f"team '{team.name}' has no e-mail to name as the owner; register one, or give"
                " a descriptor file next to the SQL with an owner"
            )
    else:
        if template.get("team", document.get("team")) != document.get("team"):
            document.pop("owner", None)  # the default owner is of another team
        document.update(template)
        if document.get("name", product) != product:
            raise refuse(f"the descriptor file describes '{document['name']}'")
        if document.get("alignment") == Alignment.SOURCE.value:
            raise refuse(
                "a derived product is aggregate- or consumer-aligned; set alignment to"
                " aggregate or consumer in the descriptor file"
            )
        key = document.get("key")
        if isinstance(key, dict) and key.get("field") not in (None, keys[0].name):
            raise refuse(
                f"the descriptor file keys on '{key.get('field')}', the query on"
                f" '{keys[0].name}'; leave key out of the file"
            )
        written = document.get("classifications")
        for path, tags in written.items() if isinstance(written, dict) else ():
            listed = tags if isinstance(tags, list) else [tags]
            classifications[str(path)] = sorted({*classifications.get(str(path), ()), *listed})
        declared = document.get("upstreams")
        if isinstance(declared, list):
            upstreams = tuple(dict.fromkeys((*upstreams, *map(str, declared))))
    short = product.split(".", 1)[1]
    document.update(
        name=product,
        key={"field": keys[0].name, "type": key_type.value},
        schema={"path": f"{short}.avsc", "format": "avro"},
        upstreams=list(upstreams),
        classifications=classifications,
    )
    origin = f"stream application {application}"
    descriptor = parse_descriptor(json.dumps(document, default=str), source=origin)
    schema = _schema(sink, descriptor, application)
    written_sink = dataclasses.replace(
        sink,
        topic=descriptor.topic,
        # Values in the product's registered schema (key columns included), not ksqlDB's.
        formats=Formats(
            key_format=FormatName.KAFKA, value_format=FormatName.AVRO, value_schema=schema
        ),
        partitions=descriptor.partition_count,
    )
    if properties.kafka_topic is not None and properties.kafka_topic != descriptor.topic:
        raise refuse(
            f"KAFKA_TOPIC is '{properties.kafka_topic}'; the product's topic is"
            f" '{descriptor.topic}' (leave KAFKA_TOPIC out)"
        )
    return OutputProduct(query_id, written_sink, ProductSource(descriptor, schema, origin))


def _defaults(
    sink: Sink,
    product: str,
    application: str,
    inputs: Sequence[InputProduct],
    team: TeamRecord | None,
) -> dict[str, Any]:
    """The descriptor's fields the query and its inputs decide when nothing else does (the
    owner and team only for a team with an e-mail)."""
    descriptors = [item.record.descriptor for item in inputs]
    combining = _has(sink, Aggregate) or _has(sink, Join)
    if sink.kind is SourceKind.TABLE:
        kind = EventKind.STATE
    elif descriptors and descriptors[0].kind is not EventKind.STATE:
        kind = descriptors[0].kind
    else:
        kind = EventKind.MEASUREMENT
    tier = max((d.sla.tier for d in descriptors), default=4)
    partitions = max(
        (d.partitions for d in descriptors), key=lambda size: size.partitions, default="s"
    )
    named = ", ".join(item.reference for item in inputs) or "streams"
    document: dict[str, Any] = {
        "name": product,
        "description": f"Derived by stream application '{application}' from {named}.",
        "alignment": (Alignment.AGGREGATE if combining else Alignment.CONSUMER).value,
        "kind": kind.value,
        "partitions": str(partitions),
        "sla": {"tier": int(tier)},
    }
    if team is not None and team.email is not None:
        document["owner"] = {"name": f"{team.name} team", "email": team.email}
        document["team"] = team.name
    windows = [d.retention for d in descriptors if d.retention.window is not None]
    if kind is not EventKind.STATE and windows:
        # Keep derived events no longer than the inputs keep theirs (retention policies).
        shortest = min(windows, key=lambda retention: retention.window or timedelta.max)
        document["retention"] = str(shortest)
    return document


def _has(node: PlanNode, kind: type) -> bool:
    return isinstance(node, kind) or any(_has(child, kind) for child in children(node))


def _schema(sink: Sink, descriptor: Descriptor, application: str) -> str:
    """The Avro schema of the product: every output column, key columns first and required."""
    domain, _, short = descriptor.name.partition(".")
    columns = [Column(c.name, c.type) for c in (*sink.schema.keys, *sink.schema.values)]
    document = json.loads(avro_schema(columns, full_name=_avro_full_name(domain, short)))
    key_names = {key.name for key in sink.schema.keys}
    document["doc"] = descriptor.description
    for field, column in zip(document["fields"], columns, strict=True):
        if column.name in key_names:
            field["type"] = field["type"][1]  # required: the event's key
            del field["default"]
        role = "key" if column.name in key_names else "column"
        field["doc"] = f"The {role} {column.name} ({column.type}) of {sink.name}, by {application}."
    return json.dumps(document, indent=2)


def _avro_full_name(domain: str, short: str) -> str:
    """An Avro full name for the product ``domain.short``: Avro names are ``[A-Za-z_]
    [A-Za-z0-9_]*``, product names may hold dashes (``risk.high-value-trades`` →
    ``risk.HighValueTrades``)."""
    record = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", short)) or "Record"
    namespace = re.sub(r"[^A-Za-z0-9_]", "_", domain)
    if record[0].isdigit():
        record = f"_{record}"
    if namespace[:1].isdigit():
        namespace = f"_{namespace}"
    return f"{namespace}.{record}"
