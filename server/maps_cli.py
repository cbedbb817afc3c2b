"""`flask --app wsgi map-to-bpmn FILE [-o OUT.bpmn] [--name NAME]`: convert a process map."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click

from bpmn.maps import FORMATS, MapFormat, MapInvalid, MapProblem, convert, heading
from server.api.maps import EXTENSIONS


def _where(file: str, problem: MapProblem) -> str:
    hint = f" ({problem.suggestion})" if problem.suggestion else ""
    return f"{file}:{problem.line or '-'}: {problem.message}{hint}"


@click.command("map-to-bpmn")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the BPMN (default: standard output).",
)
@click.option("--name", help="Process name (default: the first heading, else the file name).")
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    help="The map's format (default: from the file extension).",
)
def map_to_bpmn_command(file: Path, output: Path | None, name: str | None, format_: str | None) -> None:
    """Convert a process map (.md, .txt, .csv, .tsv, .xlsx) to a BPMN model; warnings go to stderr."""
    format = cast("MapFormat | None", format_) or EXTENSIONS.get(file.suffix.lower())
    if format is None:
        click.echo(
            f"Error: {file}: say --format ({', '.join(FORMATS)}); the extension does not tell.", err=True
        )
        sys.exit(2)
    data = file.read_bytes()
    fallback = heading(data, format) or file.stem.replace("_", " ").replace("-", " ")
    try:
        conversion = convert(data, format=format, process_name=name or fallback)
    except MapInvalid as exc:
        for problem in exc.problems:
            click.echo(f"Error: {_where(str(file), problem)}", err=True)
        sys.exit(1)
    for problem in conversion.warnings:
        click.echo(f"Warning: {_where(str(file), problem)}", err=True)
    if output is None:
        click.echo(conversion.bpmn, nl=False)
    else:
        output.write_text(conversion.bpmn, encoding="utf-8")
        click.echo(f"Wrote process {conversion.process_id} to {output}.", err=True)
