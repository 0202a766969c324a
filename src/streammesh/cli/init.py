"""``streammesh init``: scaffold a domain folder with an example data product."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streammesh.products import DEFAULT_PRODUCT, SchemaFormatName, write_scaffold


def init(
    domain: Annotated[str, typer.Argument(help="Domain name, e.g. 'execution'.")],
    directory: Annotated[
        Path,
        typer.Option("--dir", metavar="PATH", help="Where the domain folder is created."),
    ] = Path("."),
    product: Annotated[
        str, typer.Option("--product", metavar="NAME", help="Name of the example product.")
    ] = DEFAULT_PRODUCT,
    schema_format: Annotated[
        SchemaFormatName,
        typer.Option("--format", case_sensitive=False, help="Format of the example schema."),
    ] = SchemaFormatName.AVRO,
) -> None:
    """Create DOMAIN/ with an example descriptor and its schema; never overwrites files."""
    scaffold = write_scaffold(directory, domain, product, schema_format)
    for path in scaffold.files:
        typer.echo(f"created {path}")
    typer.echo(
        f"next: edit {scaffold.descriptor.name} (see docs/descriptor.md), then run "
        f"`streammesh validate {scaffold.descriptor.parent}`"
    )
