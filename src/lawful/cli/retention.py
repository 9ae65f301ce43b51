"""`lawful` commands: retention sweeps and legal holds (lawful.retention)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from lawful.cli import app
from lawful.cli.common import (
    DEFAULT_MAP,
    BatchOption,
    DataOption,
    MapArgument,
    MapOption,
    OperatorOption,
    dsr_errors,
    dsr_runtime,
    err,
    identity_or_exit,
    operator_name,
    out,
)

retention_app = typer.Typer(
    help="Retention rules over the datastores: what is due, sweeps, schedule.",
    no_args_is_help=True,
)
app.add_typer(retention_app, name="retention")
hold_app = typer.Typer(
    help="Legal holds: keep what a legal claim needs (GDPR Art. 17(3)(e)).", no_args_is_help=True
)
app.add_typer(hold_app, name="hold")

AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="The day to evaluate, YYYY-MM-DD (default: today, UTC)."),
]


def _as_of(text: str | None) -> date:
    from datetime import UTC, datetime

    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/] --as-of {escape(text)!r} is not a date like 2026-11-01")
        raise typer.Exit(1) from None


@contextmanager
def _retention_errors() -> Iterator[None]:
    from lawful.retention.errors import RetentionError

    try:
        with dsr_errors():
            yield
    except RetentionError as error:
        err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


WhyOption = Annotated[
    str | None,
    typer.Option(
        "--why",
        help="DATASET:KEY of one record, or TYPE=VALUE of a person (every record found for "
        "them): every rule covering each record, the condition that matched, and the day it "
        "falls due (a key over several columns: values separated by commas).",
    ),
]


@retention_app.command("plan")
def retention_plan(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    as_of: AsOfOption = None,
    data_dir: DataOption = None,
    why: WhyOption = None,
) -> None:
    """Show, per dataset and rule, how many records are due and why, and which rule governs
    how many records (a rule's `where`, hand-overs, records no rule governs). Changes nothing."""
    from lawful.cli.render.retention import (
        citations,
        governed_table,
        outcomes_table,
        protection_lines,
    )
    from lawful.retention.governance import governed_counts
    from lawful.retention.requests_link import open_request_identities
    from lawful.retention.sweep import plan_sweep

    day = _as_of(as_of)
    if why is not None:
        _why(why, map_file or map_path, data_dir, day)
        return
    with (
        _retention_errors(),
        dsr_runtime(map_file or map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        requests = open_request_identities(keyring=runtime.keyring, datamap=datamap)
        plan = plan_sweep(session, datamap=datamap, datastores=runtime.datastores,
                          keyring=runtime.keyring, as_of=day, open_requests=requests)  # fmt: skip
        session.commit()  # only the refreshed records of people on legal hold
        governed = governed_counts(
            datamap=datamap, datastores=runtime.datastores, as_of=day, conditional_only=True
        )
    outcomes = [o.as_json() for o in plan.outcomes]
    title = f"Retention as of {day.isoformat()} (nothing changed)"
    out.print(outcomes_table(outcomes, title=title))
    if governed:
        out.print(governed_table([g.as_json() for g in governed]))
    for line in [*citations(outcomes), *protection_lines(plan.summary(operator=""))]:
        out.print(line, highlight=False)
    if plan.problems():
        raise typer.Exit(1)


def _why(record: str, map_path: Path, data_dir: Path | None, day: date) -> None:
    """`plan --why DATASET:KEY`: every rule's view of one record."""
    from lawful.cli.render.retention import reasons_table
    from lawful.retention.governance import explain_record

    if "=" in record:
        _why_person(record, map_path, data_dir, day)
        return
    dataset, sep, key = record.partition(":")
    if not sep or not dataset or not key:
        err.print(f"[red]error[/] --why {escape(record)!r}: write DATASET:KEY, e.g. candidates:42")
        raise typer.Exit(1)
    with _retention_errors(), dsr_runtime(map_path, data_dir) as (datamap, runtime):
        reasons = explain_record(
            datamap=datamap, datastores=runtime.datastores, dataset=dataset, key=key, as_of=day
        )
    out.print(reasons_table([r.as_json() for r in reasons], record=record, day=day))


def _why_person(pair: str, map_path: Path, data_dir: Path | None, day: date) -> None:
    """`plan --why TYPE=VALUE`: every rule's view of each of the person's records."""
    from lawful.cli.render.retention import reasons_table
    from lawful.retention.governance import explain_person

    with (
        _retention_errors(),
        dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        identity = identity_or_exit([pair], datamap)
        found = explain_person(session, datamap=datamap, datastores=runtime.datastores,
                               keyring=runtime.keyring, identity=identity, as_of=day,
                               actor=operator_name(None))  # fmt: skip
        session.commit()  # the audit entry of the look-up
    if not found:
        out.print("No record of this person in the connected datastores.")
    for one in found:
        rows = [r.as_json() for r in one.reasons]
        out.print(reasons_table(rows, record=f"{one.dataset}:{one.key}", day=day))


@retention_app.command("run")
def retention_run(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    as_of: AsOfOption = None,
    data_dir: DataOption = None,
    batch_size: BatchOption = 500,
    operator: OperatorOption = None,
) -> None:
    """Apply each rule's end action to the records past their period, as a resumable job."""
    from lawful.cli.render.engine import step_progress
    from lawful.cli.render.retention import outcomes_table, protection_lines
    from lawful.retention.requests_link import open_request_identities
    from lawful.retention.sweep import run_sweep

    day = _as_of(as_of)
    with (
        _retention_errors(),
        dsr_runtime(map_file or map_path, data_dir) as (datamap, runtime),
        step_progress(err) as progress,
    ):
        requests = open_request_identities(keyring=runtime.keyring, datamap=datamap)
        report = run_sweep(runtime.sessions, datamap=datamap, datastores=runtime.datastores,
                           keyring=runtime.keyring, as_of=day, operator=operator_name(operator),
                           open_requests=requests, batch_size=batch_size, progress=progress)  # fmt: skip
    for note in report.notes:
        out.print(f"[yellow]note[/] {escape(note)}")
    verb = "resumed" if report.resumed else "ran"
    title = f"Retention sweep as of {report.summary['as_of']}"
    out.print(outcomes_table(report.outcomes, title=title))
    for line in protection_lines(report.summary):
        out.print(line, highlight=False)
    out.print(f"{verb} retention job {report.job.job_id}: {report.job.status.value}")
    failed = [o for o in report.job.datasets if o.status != "done"]
    for outcome in failed:
        out.print(f"  {outcome.dataset}: {outcome.status} — {escape(outcome.error or '')}")
    if failed or any(o.get("problem") for o in report.outcomes):
        out.print("not finished: fix the cause above and run the same command again to resume")
        raise typer.Exit(1)


@retention_app.command("schedule")
def retention_schedule(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    interval_hours: Annotated[
        float | None,
        typer.Option("--interval-hours", help="Default: the retention_interval_hours setting."),
    ] = None,
) -> None:
    """Sweep now and then every interval until stopped (Ctrl+C): for a worker process."""
    import logging
    import threading

    from lawful.config import load_settings
    from lawful.retention.schedule import run_schedule, sweep_once
    from lawful.retention.sweep import SweepReport

    settings = load_settings()
    hours = interval_hours if interval_hours is not None else settings.retention_interval_hours
    if hours <= 0:
        err.print("[red]error[/] set --interval-hours or LAWFUL_RETENTION_INTERVAL_HOURS above 0")
        raise typer.Exit(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with _retention_errors(), dsr_runtime(map_file or map_path, data_dir) as (datamap, runtime):
        base_dir = data_dir if data_dir is not None else (map_file or map_path).resolve().parent
        stop = threading.Event()

        def sweep() -> SweepReport:
            return sweep_once(runtime.sessions, datamap=datamap, keyring=runtime.keyring,
                              base_dir=base_dir, environ=os.environ,
                              batch_size=settings.retention_batch_size)  # fmt: skip

        try:
            run_schedule(sweep, interval_hours=hours, stop=stop)
        except KeyboardInterrupt:
            stop.set()


@hold_app.command("add")
def hold_add(
    reason: Annotated[str, typer.Option(help="Why the data must be kept (no personal data).")],
    owner: Annotated[str, typer.Option(help="Who answers for the hold (e.g. legal counsel).")],
    identity: Annotated[
        list[str] | None,
        typer.Option("--identity", "-i", help="TYPE=VALUE of the person held (repeatable)."),
    ] = None,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Dataset held (repeatable).")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="Case reference: holds people and datasets.")
    ] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Place a legal hold on a person, datasets, or a case: erasure and sweeps skip it."""
    from lawful.engine.errors import EngineError
    from lawful.retention.models import HoldScope
    from lawful.retention.service import add_legal_hold, refresh_held_records

    scope = HoldScope.case if case else HoldScope.person if identity else HoldScope.dataset
    with _retention_errors(), dsr_runtime(map_path, data_dir) as (datamap, runtime):
        people = [identity_or_exit(identity, datamap)] if identity else []
        with runtime.sessions() as session:
            hold = add_legal_hold(session, keyring=runtime.keyring, datamap=datamap, scope=scope,
                                  reason=reason, owner=owner, actor=operator_name(operator),
                                  people=people, datasets=dataset or [], reference=case)  # fmt: skip
            session.commit()
            hold_id = hold.id
            try:
                found = refresh_held_records(session, datamap=datamap,
                                             datastores=runtime.datastores, keyring=runtime.keyring)  # fmt: skip
                session.commit()
                records = sum(found.get(p.id, 0) for p in hold.people)
                tail = f"; {records} record(s) of the person found" if people else ""
            except EngineError as error:
                session.rollback()
                tail = f"; their records will be found at the next sweep ({error.problems[0]})"
    out.print(f"placed legal hold {hold_id} ({scope.value}){escape(tail)}")


@hold_app.command("list")
def hold_list(
    include_released: Annotated[bool, typer.Option("--all", help="Released holds too.")] = False,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
) -> None:
    """List legal holds with what they cover, their reason and owner."""
    from lawful.cli.render.retention import holds_table
    from lawful.retention.service import list_legal_holds, view_hold

    with (
        _retention_errors(),
        dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        holds = list_legal_holds(session, include_released=include_released)
        views = [view_hold(runtime.keyring, h, datamap=datamap) for h in holds]
    out.print(holds_table(views))


@hold_app.command("release")
def hold_release(
    hold_id: Annotated[str, typer.Argument(help="The hold's id (see `lawful hold list`).")],
    note: Annotated[str, typer.Option(help="Why it is released (kept in the audit trail).")],
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Release a legal hold: erasure and sweeps treat its data as usual again."""
    from lawful.retention.service import release_legal_hold

    with (
        _retention_errors(),
        dsr_runtime(map_path, data_dir) as (_, runtime),
        runtime.sessions() as session,
    ):
        release_legal_hold(session, hold_id=hold_id, actor=operator_name(operator), note=note)
        session.commit()
    out.print(f"released legal hold {hold_id}")
