"""`lawful` commands: reports over rights requests (lawful.reports.metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lawful.cli import app
from lawful.cli.common import dsr_errors, err, out, store_sessions

report_app = typer.Typer(help="Reports over the rights requests.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("ccpa-metrics")
def report_ccpa_metrics(
    year: Annotated[int, typer.Option(min=2020, max=2100, help="The calendar year to report.")],
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write it here.")] = None,
) -> None:
    """CCPA §7102 metrics: requests received, complied with, denied, days to respond, per type."""
    import json as json_module

    from rich.table import Table

    from lawful.reports.metrics import ccpa_metrics, metrics_csv
    from lawful.requests.counts import request_records

    if output_format not in {"table", "csv", "json"}:
        err.print("[red]error[/] --format is table, csv or json")
        raise typer.Exit(1)
    with dsr_errors(), store_sessions() as sessions, sessions() as session:
        metrics = ccpa_metrics(request_records(session), year=year)
    if output_format == "table":
        table = Table(title=f"CCPA §7102 metrics, {year}", title_justify="left")
        for name in (
            "requests",
            "received",
            "complied (whole or part)",
            "denied",
            "median days",
            "mean days",
        ):
            table.add_column(name, justify="left" if name == "requests" else "right")
        for t in metrics.types:
            table.add_row(t.title, str(t.received), str(t.complied), str(t.denied),
                          "—" if t.median_days is None else f"{t.median_days:g}",
                          "—" if t.mean_days is None else f"{t.mean_days:g}")  # fmt: skip
        out.print(table)
        return
    text = (
        metrics_csv(metrics)
        if output_format == "csv"
        else json_module.dumps(metrics.as_json(), indent=2, ensure_ascii=False) + "\n"
    )
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}")
