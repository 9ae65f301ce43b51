"""`lawful` commands: rights requests (dsr) and the platform store (db)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from lawful.cli import DEFAULT_MAP, MapOption, _load_or_exit, app, err, out
from lawful.datamap.models import DataMap

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from lawful.engine.identity import Identity
    from lawful.engine.runtime import Runtime

dsr_app = typer.Typer(
    help="Rights requests over the datastores: plan, access, erase, rectify, restrict.",
    no_args_is_help=True,
)
app.add_typer(dsr_app, name="dsr")
db_app = typer.Typer(help="The platform's own database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

IdentityOption = Annotated[
    list[str],
    typer.Option("--identity", "-i", help="TYPE=VALUE, e.g. email=ann@example.org (repeatable)."),
]
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Folder that relative `connection.path`s are read from "
        "(default: LAWFUL_DATASTORE_DIR, else the map's folder).",
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")
]
BatchOption = Annotated[
    int, typer.Option("--batch-size", min=1, max=10_000, help="Rows per checkpointed step.")
]
OperatorOption = Annotated[
    str | None,
    typer.Option("--operator", help="Who runs this, for the audit trail (default: your login)."),
]


def _operator(given: str | None) -> str:
    import getpass

    return given or f"cli:{getpass.getuser()}"


@contextmanager
def _dsr_errors() -> Iterator[None]:
    """Errors for people: one line each, no traceback, exit 1."""
    from lawful.config import SettingsError
    from lawful.engine.errors import EngineError
    from lawful.store.crypto import DecryptionError
    from lawful.store.migrate import StoreNotReadyError

    try:
        yield
    except EngineError as error:
        for problem in error.problems:
            err.print(f"[red]error[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except (SettingsError, StoreNotReadyError, DecryptionError) as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def _dsr_runtime(map_path: Path, data_dir: Path | None) -> Iterator[tuple[DataMap, Runtime]]:
    from lawful.config import load_settings
    from lawful.engine.runtime import open_runtime

    loaded = _load_or_exit(map_path)
    settings = load_settings()
    base_dir = data_dir or settings.datastore_dir or loaded.path.parent
    with open_runtime(
        settings=settings, datamap=loaded.datamap, base_dir=base_dir, environ=os.environ
    ) as runtime:
        if runtime.key_generated_at is not None:
            err.print(
                f"[yellow]note[/] generated a new encryption key in {runtime.key_generated_at} "
                "(mode 0600): back it up, or set LAWFUL_ENCRYPTION_KEY; without it, stored "
                "requests cannot be read"
            )
        yield loaded.datamap, runtime


def _identity_or_exit(pairs: list[str], datamap: DataMap) -> Identity:
    from lawful.engine.identity import parse_identity

    with _dsr_errors():
        return parse_identity(pairs, datamap=datamap)


@dsr_app.command("plan")
def dsr_plan(identity: IdentityOption, map_path: MapOption = DEFAULT_MAP) -> None:
    """Print the datasets that would be read, in order, with their keys. Touches nothing."""
    from lawful.engine.plan import build_plan
    from lawful.engine.render import plan_table

    datamap = _load_or_exit(map_path).datamap
    plan = build_plan(datamap=datamap, identity=_identity_or_exit(identity, datamap))
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
    from lawful.engine.access import run_access
    from lawful.engine.package import write_access_package
    from lawful.engine.render import access_lines

    with _dsr_errors(), _dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = _identity_or_exit(identity, datamap)
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
    from lawful.engine.erasure import preview_erasure, run_erasure
    from lawful.engine.render import erasure_preview_lines, report_lines, step_progress
    from lawful.retention.holds import legal_holds_on

    today = date.today()
    with _dsr_errors(), _dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = _identity_or_exit(identity, datamap)
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
    from lawful.engine.rectification import (
        parse_corrections,
        preview_rectification,
        run_rectification,
    )
    from lawful.engine.render import changes_lines, report_lines, step_progress

    with _dsr_errors(), _dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = _identity_or_exit(identity, datamap)
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
    with _dsr_errors(), _dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = _identity_or_exit(identity, datamap)
        with runtime.sessions() as session:
            result = run_restriction(session, datamap=datamap, identity=person,
                                     datastores=runtime.datastores, keyring=runtime.keyring,
                                     reason=RestrictionReason(reason), lift=lift)  # fmt: skip
            if not dry_run:
                session.commit()
    verb = "lifted" if lift else "restricted"
    out.print(f"{verb} {result.changed} record(s) of {result.records} found"
              f"{' (dry run: nothing saved)' if dry_run else ''} — job {result.job_id}")  # fmt: skip


@contextmanager
def _store_sessions() -> Iterator[sessionmaker[Session]]:
    """The platform store alone (no data map, no datastore)."""
    from lawful.config import load_settings
    from lawful.store.db import create_store_engine, session_factory
    from lawful.store.migrate import ensure_store

    settings = load_settings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_store(url=settings.store_url(), upgrade=settings.database_url is None)
    engine = create_store_engine(settings.store_url())
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@dsr_app.command("jobs")
def dsr_jobs() -> None:
    """List unfinished jobs: id, request, right, state, when, datastores, what failed."""
    from lawful.engine.jobboard import unfinished_job_lines
    from lawful.engine.render import job_lines

    with _dsr_errors(), _store_sessions() as sessions, sessions() as session:
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

    with _dsr_errors(), _store_sessions() as sessions, sessions() as session:
        line = cancel_job(session, job_id=job_id, actor=_operator(operator))
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
