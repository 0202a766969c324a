"""The product catalog of the planner: a data product of the mesh named in ``FROM``.

``FROM execution.stocktrades`` (or ``execution.stocktrades.v2``) resolves the product through
the control plane (its current version, or the one named) and its value schema through the
registry, and plans it as a source:

- the topic is the product version's, ``<name>.v<N>``;
- the value columns are the schema's fields (:func:`~streammesh.streams.formats.columns_of`),
  upper-cased, struct fields too, as ksqlDB names inferred columns (reading matches fields in
  any case);
- the key column is the descriptor's key field, named after it and typed from the key type
  (``string``/``uuid`` STRING, ``int`` INTEGER, ``long`` BIGINT, ``bytes`` BYTES) in the
  ``KAFKA`` key format, the bytes the data plane writes; that field leaves the value columns
  (a nested key field gives the key column ``ROWKEY`` and stays in its struct);
- the value format is ``AVRO``, ``JSON_SR`` or ``PROTOBUF`` by the schema's type (Confluent
  wire format);
- a ``state`` product is a TABLE (its stream holds the latest state per key), any other kind
  a STREAM; the record timestamp is the event time.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from streammesh.control import ControlPlane, ProductNotFound, ProductRecord
from streammesh.errors import MeshError
from streammesh.products import Classification, EventKind, KeyType
from streammesh.registry import SchemaRegistry
from streammesh.schemas import SchemaType, format_for
from streammesh.streams.expressions import Position
from streammesh.streams.formats import Column, FormatName, UnmappableSchema, columns_of
from streammesh.streams.plan import Formats
from streammesh.streams.planner import CatalogEntry
from streammesh.streams.products.errors import ProductNotQueryable, UnknownProduct
from streammesh.streams.sql.statements import SourceKind
from streammesh.streams.types import (
    BIGINT,
    BYTES,
    INTEGER,
    STRING,
    ArrayType,
    MapType,
    SqlType,
    StructField,
    StructType,
)

__all__ = ["InputProduct", "ProductCatalog"]

_KEY_TYPES: dict[KeyType, SqlType] = {
    KeyType.STRING: STRING,
    KeyType.UUID: STRING,
    KeyType.INT: INTEGER,
    KeyType.LONG: BIGINT,
    KeyType.BYTES: BYTES,
}
_VALUE_FORMATS: dict[SchemaType, FormatName] = {
    SchemaType.AVRO: FormatName.AVRO,
    SchemaType.JSON: FormatName.JSON_SR,
    SchemaType.PROTOBUF: FormatName.PROTOBUF,
}
_PATH_HEAD = re.compile(r"[.\[{]")


@dataclass(frozen=True, slots=True)
class InputProduct:
    """A data product a query reads, as the planner sees it.

    Attributes:
        written: The name as the statement wrote it (the plan's source name).
        record: The product version read.
        entry: The source it plans as.
        labels: The classifications of each column (a column holding a classified field
            anywhere inside it carries that field's labels).
    """

    written: str
    record: ProductRecord
    entry: CatalogEntry
    labels: Mapping[str, frozenset[Classification]]

    @property
    def reference(self) -> str:
        """``<name>.v<N>``."""
        return self.record.reference


class ProductCatalog:
    """Resolves data products named in ``FROM`` (a
    :class:`~streammesh.streams.planner.ProductSources` for :func:`plan_statements`), and
    remembers each product it resolved for lineage, grants and classifications.

    Example:
        >>> catalog = ProductCatalog(runtime.plane, runtime.registry)  # doctest: +SKIP
        >>> script = plan_statements(statements, text=sql, products=catalog)  # doctest: +SKIP
        >>> [item.reference for item in catalog.resolved]  # doctest: +SKIP
        ['execution.stocktrades.v1']
    """

    def __init__(self, plane: ControlPlane, registry: SchemaRegistry) -> None:
        self._plane = plane
        self._registry = registry
        self._resolved: dict[str, InputProduct] = {}

    @property
    def resolved(self) -> tuple[InputProduct, ...]:
        """The products resolved so far, in the order first named."""
        return tuple(self._resolved.values())

    def product(self, written: str) -> InputProduct | None:
        """The product resolved for the source name ``written``, or ``None``."""
        return self._resolved.get(written)

    def entry(self, name: str, position: Position | None, text: str) -> CatalogEntry:
        """The product ``name`` (``domain.product`` or ``domain.product.vN``) as a source.

        Raises:
            UnknownProduct: the mesh has no such product (the nearest product named).
            ProductNotQueryable: its schema has no SQL columns.
        """
        known = self._resolved.get(name)
        if known is not None:
            return known.entry
        try:
            record = self._plane.product(name)
        except ProductNotFound:
            products = self._plane.products()
            names = sorted({r.name for r in products} | {r.reference for r in products})
            raise UnknownProduct(name, names, position, text) from None
        found = self._input(name, record, position, text)
        self._resolved[name] = found
        return found.entry

    def _input(
        self, name: str, record: ProductRecord, position: Position | None, text: str
    ) -> InputProduct:
        stored = self._registry.schema(record.schema_id)
        try:
            parsed = format_for(stored.schema_type).parse(stored.schema)
            fields = columns_of(parsed)
        except (UnmappableSchema, MeshError) as exc:  # e.g. a union, or a Protobuf import
            raise ProductNotQueryable(record.reference, str(exc), position, text) from None
        values = [Column(column.name.upper(), _upper_fields(column.type)) for column in fields]
        descriptor = record.descriptor
        key_field = descriptor.key.field
        key_type = _KEY_TYPES[descriptor.key.type]
        if _PATH_HEAD.search(key_field) is None:
            key = Column(key_field.upper(), key_type)
            values = [column for column in values if column.name != key.name]
        else:
            key = Column("ROWKEY", key_type)
        labels: dict[str, frozenset[Classification]] = {}
        for path, tags in descriptor.classifications.items():
            column = _PATH_HEAD.split(path, maxsplit=1)[0].upper()
            labels[column] = labels.get(column, frozenset()) | frozenset(tags)
        entry = CatalogEntry(
            name,
            SourceKind.TABLE if descriptor.kind is EventKind.STATE else SourceKind.STREAM,
            record.topic,
            (key,),
            tuple(values),
            Formats(key_format=FormatName.KAFKA, value_format=_VALUE_FORMATS[stored.schema_type]),
            None,
            descriptor.partition_count,
        )
        return InputProduct(name, record, entry, labels)


def _upper_fields(kind: SqlType) -> SqlType:
    """``kind`` with its struct fields upper-cased, as ksqlDB infers them (so ``a->city``,
    read as ``A->CITY``, finds the field ``city``; reading matches fields in any case)."""
    if isinstance(kind, StructType):
        fields = tuple(StructField(f.name.upper(), _upper_fields(f.type)) for f in kind.fields)
        return dataclasses.replace(kind, fields=fields)
    if isinstance(kind, ArrayType):
        return dataclasses.replace(kind, element=_upper_fields(kind.element))
    if isinstance(kind, MapType):
        return dataclasses.replace(kind, value=_upper_fields(kind.value))
    return kind
