"""``streammesh streams ...``: stream processing in ksqlDB's SQL.

``streams test`` runs statements over a throwaway in-memory mesh with ksqlDB's
``ksql-test-runner`` files and prints the readable diff (exit 1 on a difference). Running
applications (``run``, ``list``, ``explain``, ``status``...) comes next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streammesh.streams import StreamsError, run_test_files

app = typer.Typer(
    help="Stream processing: derive streams from streams in ksqlDB's SQL.",
    no_args_is_help=True,
)

_SqlFile = Annotated[
    Path,
    typer.Option(
        "--sql-file",
        "-s",
        metavar="FILE",
        show_default=False,
        help="The statements (CREATE STREAM/TABLE, CREATE ... AS SELECT, INSERT INTO).",
    ),
]
_InputFile = Annotated[
    Path,
    typer.Option(
        "--input",
        "-i",
        metavar="FILE",
        show_default=False,
        help='Input records, as ksql-test-runner reads them: {"inputs": [...]}.',
    ),
]
_OutputFile = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        show_default=False,
        help='Expected output records, as ksql-test-runner reads them: {"outputs": [...]}.',
    ),
]


@app.command("test")
def test(sql_file: _SqlFile, input_file: _InputFile, output_file: _OutputFile) -> None:
    """Run the statements over the input records and compare the output with the expected one.

    The files are ksqlDB's ksql-test-runner files, so a test written for ksqlDB runs as it is.
    Exit code 0 when every expected record was produced (and nothing else on those topics), 1
    with the differences otherwise.
    """
    try:
        comparison = run_test_files(sql_file, input_file, output_file)
    except StreamsError as exc:
        excerpt = getattr(exc, "excerpt", "")
        if not excerpt:
            raise  # one line, printed by the CLI's main
        # An error in the statements: keep the source line and the caret under the spot.
        first, _, _ = str(exc).partition("\n")
        typer.echo(f"error: {sql_file}: {first}\n{excerpt}", err=True)
        raise typer.Exit(1) from None
    typer.echo(comparison.render())
    if not comparison.passed:
        raise typer.Exit(1)
