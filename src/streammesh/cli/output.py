"""Where the command line writes: data on stdout, everything meant for a person on stderr.

``--json`` output goes through :func:`print_json` only, so stdout then holds nothing else and
can be piped to ``jq``. Consoles are created per call so that they follow ``sys.stdout`` and
``sys.stderr`` as they are at that moment (tests and redirections swap them).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console


def stdout_console() -> Console:
    """A Rich console on stdout, for tables and summaries meant to be read."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    """A Rich console on stderr, for progress and notes that must not pollute stdout."""
    return Console(file=sys.stderr, highlight=False)


def print_json(document: Any) -> None:
    """Write ``document`` as one line of JSON on stdout."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def stderr_is_terminal() -> bool:
    """Whether a person is watching stderr (progress bars only make sense then)."""
    return sys.stderr.isatty()
