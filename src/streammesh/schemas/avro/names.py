"""Avro names: primitive type names, name syntax, and qualifying names with namespaces."""

from __future__ import annotations

import re

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
"""Avro's primitive type names; they can never name a record, enum or fixed."""

NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
"""Complex types that carry a name and may be referred to by it."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid simple Avro name (``[A-Za-z_][A-Za-z0-9_]*``)."""
    return _NAME.fullmatch(name) is not None


def is_valid_fullname(fullname: str) -> bool:
    """Whether ``fullname`` is a dot-separated sequence of valid simple names."""
    return all(is_valid_name(part) for part in fullname.split("."))


def is_valid_namespace(namespace: str) -> bool:
    """Whether ``namespace`` is empty (the null namespace) or a valid dotted name."""
    return namespace == "" or is_valid_fullname(namespace)


def qualify(name: str, namespace: str) -> str:
    """The full name of ``name`` as written inside ``namespace`` (a dotted name is already full)."""
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def namespace_of(fullname: str) -> str:
    """The namespace part of a full name (``""`` for the null namespace)."""
    return fullname.rpartition(".")[0]


def simple_name(fullname: str) -> str:
    """The last component of a full name, which schema resolution compares."""
    return fullname.rpartition(".")[2]
