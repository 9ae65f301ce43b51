"""`lawful` commands: rights requests (dsr) and the platform store (db)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lawful.cli import app
from lawful.cli.common import (
    DEFAULT_MAP,
    BatchOption,
    DataOption,
    DryRunOption,
    IdentityOption,
    MapOption,
    OperatorOption,
    dsr_errors,
    dsr_runtime,
    err,
    identity_or_exit,
    load_or_exit,
    operator_name,
    out,
    store_sessions,
)

if TYPE_CHECKING:
    pass

dsr_app = typer.Typer(
    help="Rights requests over the datastores: plan, access, erase, rectify, restrict.",
    no_args_is_help=True,
)
app.add_typer(dsr_app, name="dsr")
db_app = typer.Typer(help="The platform's own database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@dsr_app.command("plan")
def dsr_plan(identity: IdentityOption, map_path: MapOption = DEFAULT_MAP) -> None:
    """Print the datasets that would be read, in order, with their keys. Touches nothing."""
    from lawful.cli.render.engine import plan_table
    from lawful.engine.plan import build_plan

    datamap = load_or_exit(map_path).datamap
    plan = build_plan(datamap=datamap, identity=identity_or_exit(identity, datamap))
    for renderable in plan_table(plan):
        out.print(renderable)


@dsr_app.command("access")
def dsr_access(
    identity: IdentityOption,
    map_path: MapOption = DEFAULT_MAP,
    output: Annotated[Path, typer.Option("--output", "-o", help="The ZIP to write.")] = Path(
        "access-package.zip"
    ),
    portability: Annotated[
        bool, typer.Option("--portability", help="Only what the person provided (Art. 20).")
    ] = False,
    data_dir: DataOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Collect every record about the person into a package (ZIP: JSON, CSV, HTML report)."""
    from lawful.cli.render.engine import access_lines
    from lawful.engine.access import run_access
    from lawful.engine.package import write_access_package

    with dsr_errors(), dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = identity_or_exit(identity, datamap)
        with runtime.sessions() as session:
            result = run_access(session, datamap=datamap, identity=person,
                                datastores=runtime.datastores, keyring=runtime.keyring,
                                portability=portability)  # fmt: skip
            if not dry_run:
                write_access_package(result=result, datamap=datamap, path=output)
                session.commit()
    for line in access_lines(result, None if dry_run else output):
        out.print(line, highlight=False)


@dsr_app.command("erase")
def dsr_erase(
    identity: IdentityOption,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    dry_run: DryRunOption = False,
    batch_size: BatchOption = 500,
) -> None:
    """Erase the person everywhere (mask or delete per the map), as a resumable job."""
    from lawful.cli.render.engine import erasure_preview_lines, report_lines, step_progress
    from lawful.engine.erasure import preview_erasure, run_erasure
    from lawful.retention.holds import legal_holds_on

    today = date.today()
    with dsr_errors(), dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = identity_or_exit(identity, datamap)
        if dry_run:
            with runtime.sessions() as session:
                preview = preview_erasure(session, datamap=datamap, identity=person,
                                          datastores=runtime.datastores, keyring=runtime.keyring,
                                          today=today, holds=legal_holds_on,
                                          rehearse=True)  # fmt: skip
            lines, failed = erasure_preview_lines(preview.summary()), False
        else:
            with step_progress(err) as progress:
                report = run_erasure(runtime.sessions, datamap=datamap, identity=person,
                                     datastores=runtime.datastores, keyring=runtime.keyring,
                                     today=today, holds=legal_holds_on, batch_size=batch_size,
                                     progress=progress)  # fmt: skip
            lines, failed = report_lines(report), report.status != "done"
    for line in lines:
        out.print(line, highlight=False)
    if failed:
        raise typer.Exit(1)


@dsr_app.command("rectify")
def dsr_rectify(
    identity: IdentityOption,
    corrections: Annotated[
        list[str],
        typer.Option("--set", help="DATASET.FIELD=VALUE or CATEGORY=VALUE (repeatable)."),
    ],
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    dry_run: DryRunOption = False,
    batch_size: BatchOption = 500,
) -> None:
    """Set corrected values on the person's records (checked per category first)."""
    from lawful.cli.render.engine import changes_lines, report_lines, step_progress
    from lawful.engine.rectification import (
        parse_corrections,
        preview_rectification,
        run_rectification,
    )

    with dsr_errors(), dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = identity_or_exit(identity, datamap)
        wanted = parse_corrections(corrections, datamap=datamap)
        if dry_run:
            with runtime.sessions() as session:
                changes, kept = preview_rectification(session, datamap=datamap, identity=person,
                                                      corrections=wanted, datastores=runtime.datastores,
                                                      keyring=runtime.keyring, rehearse=True)  # fmt: skip
            lines, failed = changes_lines(changes, kept), False
        else:
            with step_progress(err) as progress:
                report = run_rectification(runtime.sessions, datamap=datamap, identity=person,
                                           corrections=wanted, datastores=runtime.datastores,
                                           keyring=runtime.keyring, batch_size=batch_size,
                                           progress=progress)  # fmt: skip
            lines, failed = report_lines(report), report.status != "done"
    for line in lines:
        out.print(line, highlight=False)
    if failed:
        raise typer.Exit(1)


@dsr_app.command("restrict")
def dsr_restrict(
    identity: IdentityOption,
    reason: Annotated[
        str,
        typer.Option(
            help="GDPR Art. 18(1) ground: accuracy_contested, unlawful_processing, "
            "legal_claims or objection_pending."
        ),
    ] = "accuracy_contested",
    lift: Annotated[
        bool,
        typer.Option("--lift", help="Lift the restriction (tell the person first, Art. 18(3))."),
    ] = False,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Restrict processing of the person's records (GDPR Art. 18): they are only stored."""
    from lawful.engine.restriction import RestrictionReason, run_restriction

    if reason not in RestrictionReason.__members__:
        err.print(
            f"[red]error[/] unknown reason {reason!r}: use one of {', '.join(RestrictionReason)}"
        )
        raise typer.Exit(1)
    with dsr_errors(), dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = identity_or_exit(identity, datamap)
        with runtime.sessions() as session:
            result = run_restriction(session, datamap=datamap, identity=person,
                                     datastores=runtime.datastores, keyring=runtime.keyring,
                                     reason=RestrictionReason(reason), lift=lift)  # fmt: skip
            if not dry_run:
                session.commit()
    verb = "lifted" if lift else "restricted"
    out.print(f"{verb} {result.changed} record(s) of {result.records} found"
              f"{' (dry run: nothing saved)' if dry_run else ''} — job {result.job_id}")  # fmt: skip


@dsr_app.command("jobs")
def dsr_jobs() -> None:
    """List unfinished jobs: id, request, right, state, when, datastores, what failed."""
    from lawful.cli.render.engine import job_lines
    from lawful.engine.jobboard import unfinished_job_lines

    with dsr_errors(), store_sessions() as sessions, sessions() as session:
        lines = job_lines(unfinished_job_lines(session))
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True)


@dsr_app.command("cancel")
def dsr_cancel(
    job_id: Annotated[str, typer.Argument(help="The job's id (see `lawful dsr jobs`).")],
    operator: OperatorOption = None,
) -> None:
    """Cancel an unfinished job (audited): it is never resumed; running the request again
    plans it afresh."""
    from lawful.engine.jobboard import cancel_job

    with dsr_errors(), store_sessions() as sessions, sessions() as session:
        line = cancel_job(session, job_id=job_id, actor=operator_name(operator))
        session.commit()
    out.print(
        f"cancelled {line.right} job {line.job_id} (was {line.status})",
        highlight=False,
        soft_wrap=True,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the platform store's tables (LAWFUL_DATABASE_URL, or the embedded SQLite)."""
    from sqlalchemy import make_url

    from lawful.config import load_settings, prepare_data_dir
    from lawful.store.migrate import head_revisions, upgrade_database

    settings = load_settings()
    prepare_data_dir(settings)
    url = settings.store_url()
    upgrade_database(url=url)
    shown = make_url(url).render_as_string(hide_password=True)
    revisions = ", ".join(sorted(head_revisions()))
    out.print(f"[green]ok[/] platform store {shown} is at revision {revisions}")
