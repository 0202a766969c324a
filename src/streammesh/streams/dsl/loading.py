"""``module:attribute``: a Python pipeline named on the command line, and the script it runs.

``streams run trending:pipeline --name APP`` imports ``trending`` (the current directory on
``sys.path``, as ``python -m`` does) and takes ``pipeline``: a :class:`~.builder.Sink`, a list
or tuple of them, or a callable without arguments returning either. The sinks compile to the
SQL script they stand for (:func:`pipeline_script`), which then runs exactly like a ``.sql``
file: same planning, same checks, same recorded SQL.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from streammesh.streams.dsl.builder import Sink
from streammesh.streams.dsl.errors import PipelineNotFound
from streammesh.streams.dsl.render import script_sql

if TYPE_CHECKING:
    from streammesh.streams.service import PreparedApplication, StreamsService

_ARGUMENT = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*")


def is_pipeline_argument(argument: str | Path) -> bool:
    """Whether ``argument`` names a Python pipeline (``pkg.module:attribute``) rather than a
    file: it has that shape and no such file exists."""
    text = str(argument)
    return _ARGUMENT.fullmatch(text) is not None and not Path(text).exists()


def load_pipeline(argument: str, *, search: Path | None = None) -> tuple[Sink, ...]:
    """The sinks ``argument`` (``pkg.module:attribute``) names.

    Args:
        argument: The module and attribute (a dotted path into the module's objects).
        search: The directory put first on ``sys.path`` while importing (default: the current
            directory).

    Raises:
        PipelineNotFound: the argument's shape is wrong, the module does not import (its
            error quoted), the attribute is missing, or its value (or what calling it returns)
            is not a sink or a list of sinks.
    """
    if _ARGUMENT.fullmatch(argument) is None:
        raise PipelineNotFound(
            argument, "not a file, nor a Python pipeline written 'package.module:attribute'"
        )
    module_name, _, attribute = argument.partition(":")
    directory = str((search or Path.cwd()).resolve())
    added = directory not in sys.path
    if added:
        sys.path.insert(0, directory)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as problem:
        if problem.name is not None and module_name.startswith(problem.name):
            raise PipelineNotFound(
                argument, f"no module named '{problem.name}' (looked in {directory} too)"
            ) from None
        raise PipelineNotFound(argument, f"importing {module_name} failed: {problem}") from None
    except Exception as problem:
        raise PipelineNotFound(
            argument, f"importing {module_name} failed: {type(problem).__name__}: {problem}"
        ) from None
    finally:
        if added:
            sys.path.remove(directory)
    value: object = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise PipelineNotFound(argument, f"module {module_name} has no attribute '{attribute}'")
        value = getattr(value, part)
    if callable(value) and not isinstance(value, Sink):
        call: Callable[[], object] = value
        try:
            value = call()
        except Exception as problem:
            raise PipelineNotFound(
                argument, f"calling {attribute}() failed: {type(problem).__name__}: {problem}"
            ) from None
    return _sinks(argument, value)


def _sinks(argument: str, value: object) -> tuple[Sink, ...]:
    items: Iterable[object] = value if isinstance(value, (list, tuple)) else (value,)
    sinks = tuple(items)
    wrong = next((item for item in sinks if not isinstance(item, Sink)), None)
    if not sinks or wrong is not None:
        found = "an empty list" if not sinks else f"{type(wrong).__name__}"
        hint = ""
        if wrong is not None and type(wrong).__name__ in ("Stream", "Grouped"):
            hint = " (finish the pipeline with .to(...) or .to_product(...))"
        raise PipelineNotFound(
            argument,
            f"is {found}, not a pipeline: give a sink (.to(...) or .to_product(...)), a list"
            f" of sinks, or a function returning them{hint}",
        )
    return sinks  # type: ignore[return-value]  # every item was checked to be a Sink


def pipeline_script(sinks: Iterable[Sink]) -> str:
    """The SQL script the sinks stand for, one ``CREATE ... AS SELECT`` each, in order."""
    return script_sql([sink.statement() for sink in sinks])


def prepare_source(
    service: StreamsService, argument: str | Path, application: str, principal: str | None
) -> PreparedApplication:
    """What ``streams run`` and ``streams explain`` prepare for their argument: a ``.sql``
    file (with its descriptor file) or a ``module:attribute`` pipeline's script.

    Raises:
        PipelineNotFound: a ``module:attribute`` that names no pipeline.
        StreamsError: what :meth:`StreamsService.prepare` raises.
    """
    if is_pipeline_argument(argument):
        script = pipeline_script(load_pipeline(str(argument)))
        return service.prepare(script, application, principal)
    return service.prepare_file(argument, application, principal)


def source_stem(argument: str | Path) -> str:
    """The default application name of an argument: a file's name without ``.sql``, a
    pipeline's module (``trending`` for ``jobs.trending:pipeline``)."""
    if is_pipeline_argument(argument):
        return str(argument).partition(":")[0].rsplit(".", 1)[-1]
    return Path(argument).stem


__all__ = [
    "is_pipeline_argument",
    "load_pipeline",
    "pipeline_script",
    "prepare_source",
    "source_stem",
]
