"""A pytest plugin for the first step of ``make pytest``: it writes the assert-rewritten
bytecode of every test module and ``conftest.py`` without running them.

Each xdist worker imports every test module to collect it. Without cached bytecode each one
would rewrite the asserts of ~360 test files again; a ``pytest --collect-only`` before the run
wrote that cache once, but it also ran every test module's top level (the server's OpenAPI
document, schemathesis' cases, the imports of Playwright, DuckDB, pyiceberg...), about 19 s
of CPU on a fresh clone before the first worker started. With this plugin (``-p
tests.support.precompile``) pytest rewrites and caches each file as usual, and does not execute
the files under ``tests/``: about 6 s. Modules that are not rewritten (``src``, the test
helpers) are compiled by ``python -m compileall`` beside it.

If pytest stops running test modules through ``exec`` in ``_pytest.assertion.rewrite``, the
shadowing below has no effect and the step runs the modules as the plain ``--collect-only``
did: slower, never wrong. The run itself never loads this plugin.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import _pytest.assertion.rewrite as rewrite
import pytest

_TESTS = f"{Path(__file__).resolve().parents[1]}/"


def _exec_outside_tests(code: Any, namespace: Any = None, /) -> None:
    """``exec`` for the modules pytest rewrites, but for those under ``tests/``: plugins that
    pytest rewrites too (hypothesis') still run, or pytest could not start."""
    if isinstance(namespace, dict) and str(namespace.get("__file__", "")).startswith(_TESTS):
        return
    builtins.exec(code, namespace)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Shadow ``exec`` in pytest's rewriting loader before the first test module is imported."""
    rewrite.exec = _exec_outside_tests  # type: ignore[attr-defined]
