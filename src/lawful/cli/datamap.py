"""`lawful` commands: the data map drawn (lawful.datamap.drawing), for the RoPA annex."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lawful.cli import app
from lawful.cli.common import DEFAULT_MAP, MapArgument, MapOption, err, load_or_exit, out

map_app = typer.Typer(help="The data map as a picture.", no_args_is_help=True)
app.add_typer(map_app, name="map")


@map_app.command("draw")
def draw(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write (e.g. map.svg).")
    ] = Path("map.svg"),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="svg, png or dot (Graphviz's text); default: the output's extension, else svg.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Draw systems, datasets, references and recipients (by country, with the safeguard of
    each transfer) as one picture laid out by Graphviz, e.g. for the RoPA annex."""
    from lawful.datamap.drawing import FORMATS, DrawingError, draw_map

    chosen = fmt or (output.suffix.lstrip(".").lower() if output.suffix else "svg")
    if chosen not in FORMATS:
        err.print(
            f"error: --format {chosen!r} is not one of {', '.join(FORMATS)}: pass one with "
            "--format, or give --output a .svg, .png or .dot name.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    loaded = load_or_exit(map_file or map_path)
    try:
        picture = draw_map(loaded.datamap, fmt=chosen)
    except DrawingError as error:
        err.print(f"error: {error.message}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        output.write_bytes(picture)
    except OSError as error:
        err.print(
            f"error: cannot write {output}: {error.strerror}; choose another --output.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    datamap = loaded.datamap
    out.print(
        f"wrote {output} ({chosen}): {len(datamap.systems)} systems, {len(datamap.datasets)} "
        f"datasets, {len(datamap.recipients)} recipients",
        highlight=False,
        soft_wrap=True,
    )
