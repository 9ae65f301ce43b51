"""`lawful` commands: jobs: the Celery worker and the installation's status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lawful.cli import app
from lawful.cli.common import DataOption, configured, err, out, web_errors

MapFlag = Annotated[
    Path | None,
    typer.Option("--map", "-m", help="The data map (or LAWFUL_MAP_PATH).", show_default=False),
]


@app.command()
def worker(
    map_path: MapFlag = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Tasks this process runs at once (threads).")
    ] = 1,
    name: Annotated[str | None, typer.Option(help="Worker name (default host:pid).")] = None,
    data_dir: DataOption = None,
) -> None:
    """Run a Celery worker (needs LAWFUL_BROKER_URL): rights-request runs, mail, forwards to
    clients and retention sweeps. Start several for more throughput; stop with SIGTERM."""
    from lawful.config import public_url_warning
    from lawful.platform import open_platform
    from lawful.worker.process import require_broker, run_worker

    with web_errors():
        settings, loaded = configured(map_path, data_dir)
        require_broker(settings)
        if warning := public_url_warning(settings):
            err.print(f"[yellow]warning[/] {warning}", highlight=False, soft_wrap=True)
        with open_platform(settings, loaded=loaded) as platform:
            run_worker(platform, concurrency=concurrency, name=name)


@app.command()
def status(map_path: MapFlag = None, data_dir: DataOption = None) -> None:
    """The store, the broker, the workers, the jobs and each datastore of the map: up or
    down. Exits 1 when anything is down."""
    from lawful.worker.status import installation_status

    with web_errors():
        settings, loaded = configured(map_path, data_dir)
        report = installation_status(settings, loaded=loaded)
    table = Table("component", "status", "details")
    for row in report.checks:
        style = "green" if row.ok else "red"
        table.add_row(row.component, f"[{style}]{row.status}[/]", row.details)
    out.print(table)
    if not report.ok:
        raise typer.Exit(1)
