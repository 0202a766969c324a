"""The connector kinds: which module runs ``kind: postgres-cdc``, ``kind: parquet``...

A kind is a module (or any object) with four names:

- ``KIND``: the kind's name as definitions write it (``postgres-cdc``);
- ``ROLE``: ``"source"`` or ``"sink"``;
- ``Config``: the pydantic model of the definition's ``config:`` block;
- ``create(config, context)``: the running :class:`~streammesh.connect.base.SourceTask` or
  :class:`~streammesh.connect.base.SinkTask`.

The built-in kinds are listed in :data:`BUILTIN` (imported only when asked for: pyarrow and
pyiceberg are heavy); third-party kinds are installed as packages declaring an entry point in
the ``streammesh.connectors`` group, whose object is such a module::

    [project.entry-points."streammesh.connectors"]
    mongo-cdc = "mycompany.streammesh_mongo"

:func:`register` adds a kind at run time (tests register their own doubles this way).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel

from streammesh.connect.base import ConnectorContext, SinkTask, SourceTask
from streammesh.connect.errors import KindInvalid, UnknownKind

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "ConnectorKind",
    "Role",
    "kind",
    "kind_names",
    "register",
    "register_kind",
    "registered",
    "unregister",
    "unregister_kind",
]

ENTRY_POINT_GROUP = "streammesh.connectors"
"""The entry point group third-party connector kinds are declared in."""

BUILTIN: dict[str, str] = {
    "files": "streammesh.connect.files",
    "iceberg": "streammesh.connect.iceberg",
    "jdbc-poll": "streammesh.connect.polling",
    "outbox": "streammesh.connect.postgres.outbox",
    "parquet": "streammesh.connect.parquet",
    "postgres-cdc": "streammesh.connect.postgres.cdc",
    "table": "streammesh.connect.tables",
}
"""Kind name → the module of streammesh that implements it (one line per kind)."""


class Role(StrEnum):
    """What a connector does: feed products from outside (source) or land them (sink)."""

    SOURCE = "source"
    SINK = "sink"


@dataclass(frozen=True, slots=True)
class ConnectorKind:
    """One connector kind, as the worker uses it.

    Attributes:
        name: ``KIND``.
        role: ``ROLE``.
        config: ``Config``, the model of the ``config:`` block.
        create: ``create(config, context)``.
        origin: The module (or entry point) it comes from, for messages.
    """

    name: str
    role: Role
    config: type[BaseModel]
    create: Callable[[Any, ConnectorContext], SourceTask | SinkTask]
    origin: str

    @classmethod
    def of(cls, module: Any, origin: str) -> ConnectorKind:
        """The kind a module (or an object with the same four names) describes.

        Raises:
            KindInvalid: a name is missing, ``ROLE`` is not ``source``/``sink``, ``Config``
                is not a pydantic model or ``create`` is not callable.
        """
        missing = [
            name for name in ("KIND", "ROLE", "Config", "create") if not hasattr(module, name)
        ]
        if missing:
            raise KindInvalid(origin, f"it has no {', '.join(missing)}")
        name, role, config, create = module.KIND, module.ROLE, module.Config, module.create
        if not isinstance(name, str) or not name:
            raise KindInvalid(origin, "KIND is not a non-empty string")
        try:
            parsed = Role(role)
        except ValueError:
            raise KindInvalid(origin, f"ROLE is {role!r}, not 'source' or 'sink'") from None
        if not (isinstance(config, type) and issubclass(config, BaseModel)):
            raise KindInvalid(origin, "Config is not a pydantic model class")
        if not callable(create):
            raise KindInvalid(origin, "create is not callable")
        return cls(name, parsed, config, create, origin)


_registered: dict[str, ConnectorKind] = {}
"""Kinds registered at run time, and the built-in and entry-point kinds once loaded."""


def register(module: object, *, origin: str | None = None) -> ConnectorKind:
    """Add (or replace) the kind ``module`` describes; returns it.

    Raises:
        KindInvalid: ``module`` is not a connector kind.
    """
    found = ConnectorKind.of(module, origin or str(getattr(module, "__name__", repr(module))))
    _registered[found.name] = found
    return found


register_kind = register
"""The name :func:`register` has outside the package (``streammesh.connect.register_kind``)."""


def unregister(name: str) -> None:
    """Forget a kind registered at run time (a built-in one is found again when asked)."""
    _registered.pop(name, None)


unregister_kind = unregister
"""The name :func:`unregister` has outside the package."""


@contextmanager
def registered(module: object) -> Iterator[ConnectorKind]:
    """Register ``module`` as a kind inside the block only."""
    found = register(module)
    try:
        yield found
    finally:
        unregister(found.name)


def kind(name: str) -> ConnectorKind:
    """The kind ``name``: registered, built in, or from an installed entry point.

    Raises:
        UnknownKind: no such kind (the installed ones are listed).
        KindInvalid: its module lacks one of the four names.
    """
    found = _registered.get(name)
    if found is not None:
        return found
    module_name = BUILTIN.get(name)
    if module_name is not None:
        return register(importlib.import_module(module_name), origin=module_name)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == name:
            return register(point.load(), origin=f"entry point {point.value}")
    raise UnknownKind(name, kind_names())


def kind_names() -> list[str]:
    """Every kind that can be asked for, sorted."""
    names = set(_registered) | set(BUILTIN)
    names.update(point.name for point in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)
