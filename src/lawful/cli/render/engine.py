"""What the `lawful dsr` commands print: plans, results and a progress bar (Rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import Progress as RichProgress
from rich.table import Table

from lawful.engine.access import AccessResult
from lawful.engine.erasure import Kept, left_out_entries
from lawful.engine.jobboard import JobLine
from lawful.engine.jobs import Change, JobReport, Progress, StepEvent
from lawful.engine.plan import Plan


def plan_table(plan: Plan) -> list[RenderableType]:
    """The read order, one dataset a row, with the keys each is searched by."""
    table = Table(title="Datasets read, in order", title_justify="left")
    for column in ("#", "dataset", "system", "table", "found by"):
        table.add_column(column)
    for number, step in enumerate(plan.steps, start=1):
        lookups = "\n".join(escape(lookup.describe()) for lookup in step.lookups)
        table.add_row(str(number), step.dataset, step.system, step.table, lookups)
    owners = [
        f"{s.dataset}: a row is the person's when {escape(s.owner.describe())}"
        for s in plan.steps
        if s.owner is not None and s.owner.source is not None
    ]
    return [table, *owners, *forward_lines(_as_dicts(plan.forwards), _as_dicts(plan.manual))]


def _as_dicts(items: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(item.__dict__) for item in items]


def forward_lines(forwards: list[dict[str, Any]], manual: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"to forward to client {escape(f['client_name'])} ({f['method']} {escape(f['address'])}): "
        f"dataset {f['dataset']} — never touched by us"
        for f in forwards
    ]
    lines += [
        f"check by hand: dataset {m['dataset']} in system {m['system']} ({escape(m['reason'])})"
        for m in manual
    ]
    return lines


def kept_lines(kept: list[dict[str, Any]]) -> list[str]:
    lines = []
    for item in kept:
        fields = f" (fields {', '.join(item['fields'])})" if item.get("fields") else ""
        until = f" until {item['until']}" if item.get("until") else ""
        if item["reason"] == "legal_obligation" and not item.get("until"):
            until = " (its period has not started: the start date is not set yet)"
        lines.append(
            f"kept {item['records']} record(s) of {item['dataset']}{fields}{until}: {escape(item['why'])}"
        )
    return lines


def access_lines(result: AccessResult, path: Path | None) -> list[str]:
    counts = ", ".join(f"{d.labels.dataset} {len(d.rows)}" for d in result.datasets if d.rows)
    head = f"found {result.total()} record(s)" + (f": {counts}" if counts else "")
    written = [f"wrote {escape(str(path))}"] if path else ["dry run: no package written"]
    others = left_out_lines(left_out_entries(result.left_out))
    return [
        head,
        *written,
        *others,
        *forward_lines(_as_dicts(result.forwards), _as_dicts(result.manual)),
    ]


def left_out_lines(left_out: list[dict[str, Any]]) -> list[str]:
    return [
        f"left out {item['records']} record(s) of {item['dataset']}: {escape(item['why'])}"
        for item in left_out
    ]


def report_lines(report: JobReport) -> list[str]:
    """A job's outcome per dataset, then what was kept, forwarded or left to do by hand."""
    verb = "resumed" if report.resumed else "ran"
    lines = [f"{verb} {report.kind.value} job {report.job_id}: {report.status.value}"]
    for outcome in report.datasets:
        error = f" — {escape(outcome.error)}" if outcome.error else ""
        skipped = (
            f", {outcome.rows_skipped} skipped: no longer the person's (their identity "
            "values changed since the job was planned), left unchanged"
            if outcome.rows_skipped
            else ""
        )
        lines.append(
            f"  {outcome.dataset}: {outcome.status}, {outcome.rows_changed} of "
            f"{outcome.rows_planned} row(s) changed{skipped}{error}"
        )
    if report.status.value != "done":
        lines.append("not finished: fix the cause above and run the same command again to resume")
    summary = report.summary
    lines += kept_lines(summary.get("kept", []))
    lines += left_out_lines(summary.get("left_out", []))
    lines += forward_lines(summary.get("forward", []), summary.get("manual", []))
    return lines


def job_lines(jobs: list[JobLine]) -> list[str]:
    """Unfinished jobs, one block each (ids, datastores and errors: no personal data)."""
    if not jobs:
        return ["no unfinished job"]
    lines = []
    for job in jobs:
        request = f", request {job.request_ref}" if job.request_ref else ""
        lines.append(
            f"{job.job_id}  {job.right}{request}: {job.status}, "
            f"created {job.created_at:%Y-%m-%d %H:%M} UTC"
        )
        lines += [f"  datastore {escape(d)}" for d in job.datastores]
        lines += [f"  failed: {escape(f)}" for f in job.failed]
    return lines


def erasure_preview_lines(summary: dict[str, Any]) -> list[str]:
    tried = summary.get("rehearsed") or []
    lines = [
        "dry run: nothing was changed"
        + (
            f" (the real statements ran on {', '.join(tried)} and were rolled back)"
            if tried
            else ""
        )
    ]
    lines += [
        f"  {did}: would {plan['action']} {plan['rows']} row(s)"
        for did, plan in summary["planned"].items()
    ]
    lines += kept_lines(summary["kept"])
    lines += left_out_lines(summary.get("left_out", []))
    return lines + forward_lines(summary["forward"], summary["manual"])


def changes_lines(changes: list[Change], kept: list[Kept]) -> list[str]:
    lines = ["dry run: nothing was changed"]
    lines += [f"  {c.dataset}: would {c.action} {len(c.rows)} row(s)" for c in changes]
    return lines + kept_lines([k.__dict__ for k in kept])


@contextmanager
def step_progress(console: Console) -> Iterator[Progress]:
    """A progress bar fed by the job runner after each step."""
    with RichProgress(console=console, transient=True) as bar:
        task = bar.add_task("applying", total=None)

        def show(event: StepEvent) -> None:
            description = f"{event.dataset} batch {event.batch}"
            bar.update(task, total=event.total, completed=event.done, description=description)

        yield show
