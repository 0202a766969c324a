"""Which files a connector hosted by the server may touch.

A connector placed on the server runs with the server's own access to the file system, and
whoever may record one (a domain owner) is not the server's operator. So the folders, files
and SQLite databases a server-placed definition names must lie inside the mesh directory or
inside a folder the operator lists in ``mesh.yaml`` (``connect: {allowed_paths: [...]}``);
anything else — ``/etc``, another mesh, a relative path whose meaning depends on the
server's working directory — is refused when the connector is recorded and again before the
server runs it (a definition recorded before the rule, or a ``mesh.yaml`` changed since). A
``connect run`` process runs as whoever starts it and is not confined.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from streammesh.connect.definition import ConnectorDefinition
from streammesh.connect.managed.errors import PathNotAllowed

__all__ = ["check_paths", "local_paths"]

_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def local_paths(definition: ConnectorDefinition) -> list[tuple[str, Path]]:
    """Every local path the definition's settings name, with its setting (``config.folder``):
    path-typed settings and the files of ``sqlite:///`` URLs."""
    return list(_walk(definition.config, "config"))


def check_paths(definition: ConnectorDefinition, allowed: Sequence[Path]) -> None:
    """Refuse a definition naming a path outside every folder of ``allowed``.

    Raises:
        PathNotAllowed: the first such path, with its setting.
    """
    roots = [root.expanduser().resolve() for root in allowed]
    for setting, path in local_paths(definition):
        if not path.is_absolute():
            raise PathNotAllowed(definition.name, setting, str(path), roots, relative=True)
        resolved = path.expanduser().resolve()
        if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
            raise PathNotAllowed(definition.name, setting, str(path), roots)


def _walk(value: Any, where: str) -> Iterator[tuple[str, Path]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, Path):
        yield where, value
    elif isinstance(value, SecretStr | str):
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        for prefix in _SQLITE_PREFIXES:
            if text.startswith(prefix):
                file = text[len(prefix) :].split("?", 1)[0]
                if file and file != ":memory:":
                    # sqlite:////abs/path is absolute; sqlite:///rel/path is relative.
                    yield where, Path(file)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]")
