"""Benchmark rows and how they are printed: JSON lines, or a Rich table with the context."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

BENCH = "log_throughput"


@dataclass(frozen=True, slots=True)
class Row:
    """One figure, in the shape ``shared/BENCHMARKS.md`` fixes."""

    metric: str
    backend: str
    value: float
    unit: str
    bench: str = BENCH

    def to_json(self) -> str:
        fields = asdict(self)
        ordered = {k: fields[k] for k in ("bench", "metric", "backend", "value", "unit")}
        return json.dumps(ordered)


@dataclass(frozen=True, slots=True)
class Note:
    """Context that is not a figure (counts, durations), shown only in the table mode."""

    backend: str
    text: str


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (or the platform's best guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def print_json(rows: list[Row]) -> None:
    for row in rows:
        print(row.to_json(), flush=True)


def print_table(rows: list[Row], notes: list[Note], header: str) -> None:
    console = Console()
    console.print(header)
    console.print(f"machine: {machine()}")
    table = Table(title="log_throughput")
    for column in ("metric", "backend", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        value = f"{row.value:,.2f}" if row.unit in ("ratio", "ms") else f"{row.value:,.0f}"
        table.add_row(row.metric, row.backend, value, row.unit)
    console.print(table)
    for note in notes:
        console.print(f"[dim]{note.backend}[/dim]: {note.text}")


def progress(message: str) -> None:
    """Progress goes to stderr so that stdout stays pure JSON lines with ``--json``."""
    print(message, file=sys.stderr, flush=True)
