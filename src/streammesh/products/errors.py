"""Errors about data products: invalid descriptors and scaffolding refusals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streammesh.errors import MeshError


class ProductError(MeshError):
    """Base of every data-product error."""


@dataclass(frozen=True, slots=True)
class DescriptorProblem:
    """One thing wrong with a descriptor.

    ``path`` is the dotted field path (``sla.freshness``, ``tags[2]``), empty for the whole
    file; ``line`` and ``column`` are 1-based and point at the field in the YAML when known.
    """

    path: str
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None

    def render(self, source: str) -> str:
        """``file:line:col: path: message (hint)`` on one line."""
        where = source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.path}:" if self.path else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}:{field} {self.message}{hint}"


class DescriptorInvalid(ProductError):
    """A descriptor file that cannot be read or breaks the descriptor rules.

    ``problems`` lists every problem found, not only the first, so that one edit fixes them all.
    """

    exit_code = 2

    def __init__(self, source: Path | str, problems: Sequence[DescriptorProblem]) -> None:
        self.source = str(source)
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        details = "\n".join(f"  {problem.render(self.source)}" for problem in self.problems)
        super().__init__(f"descriptor '{self.source}' has {count} {noun}:\n{details}")


class SchemaFileMissing(DescriptorInvalid):
    """The schema file a descriptor names does not exist."""

    def __init__(
        self,
        descriptor: Path | str,
        schema_file: Path | str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.schema_file = str(schema_file)
        self.problem = DescriptorProblem(
            "schema.path",
            f"schema file '{self.schema_file}' does not exist",
            "give the schema's path relative to the descriptor's folder",
            line,
            column,
        )
        super().__init__(descriptor, [self.problem])


class SchemaFileUnreadable(ProductError):
    """The schema file a descriptor names exists but cannot be read as UTF-8 text."""

    def __init__(self, schema_file: Path | str, reason: str) -> None:
        self.schema_file = str(schema_file)
        self.reason = reason
        super().__init__(
            f"{self.schema_file}: cannot be read: {reason}; save it as a UTF-8 text file"
        )


class InvalidName(ProductError):
    """A domain or product name that does not follow the naming rules."""

    exit_code = 2

    def __init__(self, kind: str, name: str, reason: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(f"'{name}' is not a valid {kind} name: {reason}")


class ScaffoldConflict(ProductError):
    """``init`` would overwrite files that already exist; nothing was written."""

    exit_code = 2

    def __init__(self, existing: Sequence[Path]) -> None:
        self.existing = tuple(existing)
        names = ", ".join(f"'{path}'" for path in self.existing)
        super().__init__(
            f"not overwriting {names}: nothing was written; choose another --product name "
            "or --dir, or move the existing files away"
        )
