"""Whether data written with one Avro schema can be read with another: every reason it cannot.

The rules are those of schema resolution in the Avro specification, which fastavro applies
when it reads with a reader schema, reported with the rule names Apache Avro's and Confluent's
checkers use:

- ``TYPE_MISMATCH``: the types differ and no promotion applies (int -> long, float, double;
  long -> float, double; float -> double; string <-> bytes).
- ``NAME_MISMATCH``: records, enums or fixeds whose unqualified names differ, unless one of the
  reader's aliases is the writer's full name. (The specification and fastavro compare the
  unqualified name, so moving a type to another namespace alone is compatible.)
- ``FIXED_SIZE_MISMATCH``: fixeds of different sizes.
- ``MISSING_ENUM_SYMBOLS``: the writer has symbols the reader lacks and the reader enum has no
  ``default`` to read them as.
- ``READER_FIELD_MISSING_DEFAULT_VALUE``: a reader field that the writer lacks (by name or by
  one of the reader field's aliases) and that has no default. Writer fields the reader lacks
  are skipped, so they are fine.
- ``MISSING_UNION_BRANCH``: a writer type (or writer union branch) that no branch of the
  reader's union can read.
- ``DECIMAL_SCALE_MISMATCH`` / ``DECIMAL_PRECISION_MISMATCH``: both sides are ``decimal``
  (on ``bytes`` or ``fixed``) and the reader's scale differs from the writer's, or the reader's
  precision is smaller than the writer's. The bytes hold the unscaled integer only, so another
  scale reads every value multiplied or divided by a power of ten, and a smaller precision
  cannot hold the writer's larger values. A larger reader precision loses nothing and is
  accepted. (The specification makes decimals match only when both are equal; Apache Avro's
  Java checker, and so Confluent's, does not look at decimals at all.) A ``decimal`` whose
  parameters are invalid is, as the specification says, its underlying type.

Paths point into the reader schema by field name (``/fields/price/type``); where the writer is
a union, the writer's branch index follows (``/fields/venue/type/1``), as in Confluent's
messages. Every problem is reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streammesh.schemas.avro.names import PRIMITIVES, simple_name
from streammesh.schemas.base import Incompatibility

NAME_MISMATCH = "NAME_MISMATCH"
FIXED_SIZE_MISMATCH = "FIXED_SIZE_MISMATCH"
MISSING_ENUM_SYMBOLS = "MISSING_ENUM_SYMBOLS"
READER_FIELD_MISSING_DEFAULT_VALUE = "READER_FIELD_MISSING_DEFAULT_VALUE"
TYPE_MISMATCH = "TYPE_MISMATCH"
MISSING_UNION_BRANCH = "MISSING_UNION_BRANCH"
DECIMAL_SCALE_MISMATCH = "DECIMAL_SCALE_MISMATCH"
DECIMAL_PRECISION_MISMATCH = "DECIMAL_PRECISION_MISMATCH"

_PROMOTIONS = frozenset(
    {
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    }
)
"""(writer type, reader type) pairs that resolution converts."""


def incompatibilities(
    reader: Any,
    reader_named: Mapping[str, Any],
    writer: Any,
    writer_named: Mapping[str, Any],
) -> list[Incompatibility]:
    """Every reason why data written with ``writer`` cannot be read with ``reader``.

    Args:
        reader: The reader's normalised schema tree.
        reader_named: Named types the reader's tree refers to, by full name.
        writer: The writer's normalised schema tree.
        writer_named: Named types the writer's tree refers to, by full name.
    """
    found = _Checker(reader_named, writer_named).check(reader, writer, "")
    return [Incompatibility(issue.path or "/", issue.rule, issue.reason) for issue in found]


def _kind(node: Any) -> str:
    if isinstance(node, list):
        return "union"
    return node if isinstance(node, str) else str(node["type"])


def _label(node: Any) -> str:
    """How a type is named in reasons: a named type's full name, else its kind."""
    if isinstance(node, dict) and "name" in node:
        return f"{node['type']} '{node['name']}'"
    return f"'{_kind(node)}'"


def _decimal(node: Any) -> tuple[int, int] | None:
    """A valid ``decimal``'s (precision, scale); None for anything else.

    Invalid parameters make the logical type fall back to its underlying type (the spec).
    """
    if not isinstance(node, dict) or node.get("logicalType") != "decimal":
        return None
    precision, scale = node.get("precision"), node.get("scale", 0)
    if type(precision) is not int or type(scale) is not int:
        return None
    return (precision, scale) if precision > 0 and 0 <= scale <= precision else None


def _decimal_issues(reader: Any, writer: Any, path: str) -> list[Incompatibility]:
    read, written = _decimal(reader), _decimal(writer)
    if read is None or written is None:
        return []
    issues: list[Incompatibility] = []
    if read[1] != written[1]:
        issues.append(
            Incompatibility(
                f"{path}/scale",
                DECIMAL_SCALE_MISMATCH,
                f"the reader's decimal has scale {read[1]}, the writer's {written[1]}: every "
                "value would be read scaled by a power of ten; keep the scale",
            )
        )
    if read[0] < written[0]:
        issues.append(
            Incompatibility(
                f"{path}/precision",
                DECIMAL_PRECISION_MISMATCH,
                f"the reader's decimal has precision {read[0]}, smaller than the writer's "
                f"{written[0]}: larger values would not fit; keep or raise the precision",
            )
        )
    return issues


class _Checker:
    def __init__(self, reader_named: Mapping[str, Any], writer_named: Mapping[str, Any]) -> None:
        self.reader_named = reader_named
        self.writer_named = writer_named
        self.in_progress: set[tuple[str, str]] = set()

    def check(self, reader: Any, writer: Any, path: str) -> list[Incompatibility]:
        if isinstance(reader, str) and reader not in PRIMITIVES:
            reader = self.reader_named[reader]
        if isinstance(writer, str) and writer not in PRIMITIVES:
            writer = self.writer_named[writer]
        if isinstance(writer, list):
            issues: list[Incompatibility] = []
            for index, branch in enumerate(writer):
                if isinstance(reader, list):
                    issues += self.reader_union(reader, branch, path, f"{path}/{index}")
                else:
                    issues += self.check(reader, branch, f"{path}/{index}")
            return issues
        if isinstance(reader, list):
            return self.reader_union(reader, writer, path, path)
        reader_kind, writer_kind = _kind(reader), _kind(writer)
        if reader_kind != writer_kind:
            if (writer_kind, reader_kind) in _PROMOTIONS:
                return []
            return [
                Incompatibility(
                    path,
                    TYPE_MISMATCH,
                    f"the reader's {_label(reader)} cannot read the writer's {_label(writer)}",
                )
            ]
        if reader_kind == "array":
            return self.check(reader["items"], writer["items"], f"{path}/items")
        if reader_kind == "map":
            return self.check(reader["values"], writer["values"], f"{path}/values")
        if reader_kind in PRIMITIVES:
            return _decimal_issues(reader, writer, path)
        issues = self.names(reader, writer, path)
        if reader_kind == "fixed" and reader["size"] != writer["size"]:
            issues.append(
                Incompatibility(
                    f"{path}/size",
                    FIXED_SIZE_MISMATCH,
                    f"the reader's fixed '{reader['name']}' has {reader['size']} bytes, the "
                    f"writer's has {writer['size']}",
                )
            )
        if reader_kind == "fixed":
            issues += _decimal_issues(reader, writer, path)
        elif reader_kind == "enum":
            issues += self.enum_symbols(reader, writer, path)
        elif reader_kind == "record":
            issues += self.record_fields(reader, writer, path)
        return issues

    def names(
        self, reader: Mapping[str, Any], writer: Mapping[str, Any], path: str
    ) -> list[Incompatibility]:
        if simple_name(reader["name"]) == simple_name(writer["name"]):
            return []
        if writer["name"] in reader.get("aliases", ()):
            return []
        return [
            Incompatibility(
                f"{path}/name",
                NAME_MISMATCH,
                f"the reader's {reader['type']} '{reader['name']}' does not match the writer's "
                f"'{writer['name']}'; keep the name or list '{writer['name']}' in the reader's "
                "aliases",
            )
        ]

    def enum_symbols(
        self, reader: Mapping[str, Any], writer: Mapping[str, Any], path: str
    ) -> list[Incompatibility]:
        missing = [symbol for symbol in writer["symbols"] if symbol not in reader["symbols"]]
        if not missing or "default" in reader:
            return []
        return [
            Incompatibility(
                f"{path}/symbols",
                MISSING_ENUM_SYMBOLS,
                f"the reader's enum '{reader['name']}' lacks the writer's symbols {missing}; add "
                "them or give the reader's enum a default",
            )
        ]

    def record_fields(
        self, reader: Mapping[str, Any], writer: Mapping[str, Any], path: str
    ) -> list[Incompatibility]:
        pair = (reader["name"], writer["name"])
        if pair in self.in_progress:
            return []  # a recursive type: this pair is being checked further up
        self.in_progress.add(pair)
        try:
            writer_fields = {field["name"]: field for field in writer["fields"]}
            issues: list[Incompatibility] = []
            for field in reader["fields"]:
                name = field["name"]
                candidates = (name, *field.get("aliases", ()))
                match = next((writer_fields[c] for c in candidates if c in writer_fields), None)
                if match is not None:
                    issues += self.check(field["type"], match["type"], f"{path}/fields/{name}/type")
                elif "default" not in field:
                    issues.append(
                        Incompatibility(
                            f"{path}/fields/{name}",
                            READER_FIELD_MISSING_DEFAULT_VALUE,
                            f"the reader's field '{name}' of '{reader['name']}' is not in the "
                            "writer's schema and has no default; give it a default",
                        )
                    )
            return issues
        finally:
            self.in_progress.discard(pair)

    def reader_union(
        self, branches: list[Any], writer: Any, path: str, where: str
    ) -> list[Incompatibility]:
        """A reader union reading one writer type: fine if some branch can read it."""
        closest: list[Incompatibility] | None = None
        resolved_writer = (
            self.writer_named.get(writer, writer) if isinstance(writer, str) else writer
        )
        for index, branch in enumerate(branches):
            issues = self.check(branch, writer, f"{path}/{index}")
            if not issues:
                return []
            resolved = self.reader_named.get(branch, branch) if isinstance(branch, str) else branch
            if closest is None and _kind(resolved) == _kind(resolved_writer):
                closest = issues
        reason = f"no branch of the reader's union can read the writer's {_label(resolved_writer)}"
        if closest:
            reason += f" (the closest branch fails: {closest[0].reason})"
        return [Incompatibility(where, MISSING_UNION_BRANCH, reason)]
