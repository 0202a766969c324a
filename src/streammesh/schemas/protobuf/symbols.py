"""Type names visible to a ``.proto`` file and protobuf's scoped name resolution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorProto


class SymbolKind(Enum):
    """What a type name denotes."""

    MESSAGE = "message"
    ENUM = "enum"


@dataclass
class SymbolTable:
    """Fully qualified message and enum names (without the leading dot), and packages."""

    symbols: dict[str, SymbolKind] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)

    def add_package(self, package: str) -> None:
        """Record ``package`` and each of its parents (``a.b`` adds ``a`` and ``a.b``)."""
        parts = package.split(".") if package else []
        for end in range(1, len(parts) + 1):
            self.packages.add(".".join(parts[:end]))

    def add_file(self, file: FileDescriptorProto) -> None:
        """Record every type declared in an already built file."""
        self.add_package(file.package)
        prefix = f"{file.package}." if file.package else ""
        self._add_messages(prefix, file.message_type)
        for enum in file.enum_type:
            self.symbols[prefix + enum.name] = SymbolKind.ENUM

    def _add_messages(self, prefix: str, messages: Iterable[DescriptorProto]) -> None:
        for message in messages:
            name = prefix + message.name
            self.symbols[name] = SymbolKind.MESSAGE
            for enum in message.enum_type:
                self.symbols[f"{name}.{enum.name}"] = SymbolKind.ENUM
            self._add_messages(f"{name}.", message.nested_type)

    def resolve(self, name: str, scope: str) -> tuple[str, SymbolKind] | None:
        """Resolve a type reference as protoc does: innermost scope first, then outwards.

        Args:
            name: the name as written (``Leg``, ``Trade.Leg``, ``.acme.Trade.Leg``).
            scope: the fully qualified name of the message the reference appears in (or
                the package, for top-level declarations).

        Returns:
            The fully qualified name and its kind, or ``None`` when nothing matches.
        """
        if name.startswith("."):
            found = self.symbols.get(name[1:])
            return (name[1:], found) if found else None
        parts = scope.split(".") if scope else []
        for end in range(len(parts), -1, -1):
            prefix = ".".join(parts[:end])
            candidate = f"{prefix}.{name}" if prefix else name
            found = self.symbols.get(candidate)
            if found is not None:
                return candidate, found
        return None
