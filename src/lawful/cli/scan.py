"""`lawful scan`: find the personal data in the live stores and write a draft map."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from lawful.cli import app
from lawful.cli.common import DataDirOption, dsr_errors, err, load_or_exit, out, store_sessions

if TYPE_CHECKING:
    from lawful.datamap.models import DataMap
    from lawful.discovery.scan import ScannedSystem

UrlEnvOption = Annotated[
    str | None,
    typer.Option(
        "--url-env",
        help="Scan the database whose URL this environment variable holds (never the URL "
        "itself: it may hold a password).",
    ),
]


@app.command("scan")
def scan(
    map_path: Annotated[
        Path | None, typer.Option("--map", "-m", help="Scan this map's SQL systems.")
    ] = None,
    url_env: UrlEnvOption = None,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the draft map here.")
    ] = None,
    rows: Annotated[
        int, typer.Option("--rows", min=0, help="Rows sampled per table (SQL LIMIT).")
    ] = 200,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    data_dir: DataDirOption = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Also record the scan in the platform store, for the console's Discovery "
            "page (with --map).",
        ),
    ] = False,
) -> None:
    """Read each table's live structure, sample it, classify every column, and write a draft
    data map. Sampled values are never stored, logged or printed: only counts and categories."""
    from lawful.connectors.base import ConnectorError
    from lawful.discovery.report import scan_report
    from lawful.discovery.scan import scan_systems
    from lawful.recognizers.registry import RecognizerError
    from lawful.store.models import utcnow

    _refuse_bad_options(map_path, url_env, output_format)
    if record and map_path is None:
        err.print("[red]error[/] --record records the scan of a map's systems: give --map FILE")
        raise typer.Exit(1)
    loaded = load_or_exit(map_path) if map_path is not None else None
    datamap = loaded.datamap if loaded else None
    started = utcnow()
    try:
        with _progress_bar() as advance:
            systems = scan_systems(
                datamap=datamap,
                url=os.environ.get(url_env) if url_env else None,
                url_env=url_env,
                base_dir=data_dir or (loaded.path.parent if loaded else Path.cwd()),
                environ=os.environ,
                rows=rows,
                progress=advance,
            )
    except (ConnectorError, RecognizerError) as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    report = scan_report(systems, datamap=datamap, output=output)
    if record and datamap is not None:
        _record(datamap, systems, started)
    if output_format == "json":
        out.print_json(json.dumps(report))
    else:
        _print_summary(report, output)


def _record(datamap: DataMap, systems: list[ScannedSystem], started: datetime) -> None:
    from lawful.discovery.tasks import record_systems

    with dsr_errors(), store_sessions() as sessions:
        runs = record_systems(sessions, datamap=datamap, scanned=systems, started=started,
                              requested_by="cli")  # fmt: skip
    err.print(f"recorded {len(runs)} scan run(s): see the console's Discovery page")


def _refuse_bad_options(map_path: Path | None, url_env: str | None, output_format: str) -> None:
    if (map_path is None) == (url_env is None) or output_format not in ("text", "json"):
        err.print(
            "[red]error[/] give one of --map FILE or --url-env VAR, and --format text or json"
        )
        raise typer.Exit(1)
    if url_env is not None and not os.environ.get(url_env):
        err.print(
            f"[red]error[/] environment variable {escape(url_env)} is not set: "
            "export the database URL in it"
        )
        raise typer.Exit(1)


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int], None]]:
    """A bar over tables on stderr; its total grows as each system's tables are known."""
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("scanning tables", total=None)
        seen: set[str] = set()

        def advance(system: str, tables: int) -> None:
            if system not in seen:
                seen.add(system)
                bar.update(task, total=(bar.tasks[0].total or 0) + tables)
            bar.advance(task)

        yield advance


def _print_summary(report: dict[str, Any], output: Path | None) -> None:
    from lawful.discovery.report import summary_rows

    view = Table(title="personal data found", title_justify="left")
    for heading in ("system", "table", "rows sampled", "columns", "personal", "categories"):
        view.add_column(heading)
    for row in summary_rows(report):
        view.add_row(*(escape(str(cell)) for cell in row))
    out.print(view)
    if output is not None:
        out.print(
            f"draft map written to {escape(str(output))}: review it, fill in `organization:`, "
            "then `lawful check`"
        )
