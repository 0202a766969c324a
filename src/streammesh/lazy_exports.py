"""Names a package exports but imports only on first use (a PEP 562 module ``__getattr__``).

A package whose face re-exports heavy modules (the web stack, SQLAlchemy models) keeps a
command that never uses them fast to start: ``streammesh --help`` imports the package's
light names only, and the first access of a heavy one imports its module once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module


def loaded_on_first_use(package: str, modules: Mapping[str, str]) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package`` that imports each name of ``modules`` (name
    -> the module defining it) when first asked for, and keeps it in the package.

    Example:
        >>> __getattr__ = loaded_on_first_use(__name__, {"SqlStore": "pkg.sql"})  # doctest: +SKIP
    """
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
