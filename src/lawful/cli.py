"""The `lawful` command: parse arguments, call one service, print. No logic lives here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import LoadedMap, load_datamap
from lawful.datamap.models import DataMap
from lawful.datamap.problems import DataMapError, Problem

app = typer.Typer(
    name="lawful",
    help="Lawful: privacy operations driven by a data map kept as code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
demo_app = typer.Typer(help="The example contact-center company.")
app.add_typer(demo_app, name="demo")
EXAMPLE_MAP = Path("examples/contact-center/lawful.yaml")

out = Console()
err = Console(stderr=True)

DEFAULT_MAP = Path("lawful.yaml")
MapOption = Annotated[
    Path, typer.Option("--map", "-m", help="The data map to read.", show_default=True)
]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.")]
MapArgument = Annotated[
    Path | None, typer.Argument(help="The data map (same as --map).", show_default=False)
]


def _print_problems(problems: list[Problem]) -> None:
    for problem in sorted(problems, key=Problem.sort_key):
        err.print(str(problem), markup=False, highlight=False, soft_wrap=True)


def _load_or_exit(path: Path) -> LoadedMap:
    """Load the map; on problems print them (one line each) and exit 1."""
    try:
        return load_datamap(path)
    except DataMapError as error:
        _print_problems(error.problems)
        raise typer.Exit(1) from None


def _load_checked(path: Path) -> LoadedMap:
    """Load the map and refuse to generate documents from a map that fails its checks."""
    loaded = _load_or_exit(path)
    problems = check_datamap(loaded)
    if problems:
        _print_problems(problems)
        err.print(f"[red]{len(problems)} problem(s)[/]: fix them (see `lawful check`) first.")
        raise typer.Exit(1)
    return loaded


@app.command()
def check(map_file: MapArgument = None, map_path: MapOption = DEFAULT_MAP) -> None:
    """Validate the data map: one line `file:line:col: CODE message — hint` per problem."""
    map_path = map_file or map_path
    loaded = _load_or_exit(map_path)
    problems = check_datamap(loaded)
    if problems:
        _print_problems(problems)
        err.print(f"[red]{len(problems)} problem(s)[/] in {map_path}")
        raise typer.Exit(1)
    datamap = loaded.datamap
    out.print(
        f"[green]ok[/] {map_path}: {len(datamap.datasets)} datasets, {len(datamap.purposes)} "
        f"purposes, {len(datamap.recipients)} recipients, {len(datamap.retention)} retention rules"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of the data map, for editors to validate `lawful.yaml`."""
    document = DataMap.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Lawful data map"
    print(json.dumps(document, indent=2))


@app.command()
def ropa(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    out_dir: OutDir = Path("out/ropa"),
) -> None:
    """Write the GDPR Art. 30 records (controller and processor) as CSV, XLSX, HTML and JSON."""
    from lawful.reports.ropa import write_ropa

    written = write_ropa(_load_checked(map_file or map_path), out_dir=out_dir)
    for path in written:
        out.print(f"wrote {path}")


@app.command()
def notice(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    out_dir: OutDir = Path("out/notice"),
) -> None:
    """Write the privacy notice (HTML and Markdown) generated from the data map."""
    from lawful.reports.notice import write_notice

    written = write_notice(_load_checked(map_file or map_path), out_dir=out_dir)
    for path in written:
        out.print(f"wrote {path}")


@app.command("import-fides")
def import_fides(
    datasets: Annotated[list[Path], typer.Argument(help="fideslang dataset YAML files.")],
    system: Annotated[str, typer.Option(help="System id the datasets belong to.")] = "imported",
    subject: Annotated[str, typer.Option(help="Subject id the datasets describe.")] = "customer",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the datasets YAML here.")
    ] = None,
) -> None:
    """Turn fideslang dataset YAML into Lawful datasets, reporting what could not be mapped."""
    from lawful.datamap.fides import FidesImportError, import_fides_files

    try:
        result = import_fides_files(datasets, system=system, subject=subject)
    except FidesImportError as error:
        _print_problems(error.problems)
        raise typer.Exit(1) from None
    if output is None:
        print(result.yaml_text, end="")
    else:
        output.write_text(result.yaml_text, encoding="utf-8")
        out.print(f"wrote {output}: {result.dataset_count} datasets")
    for note in result.unmapped:
        err.print(f"not mapped: {note}", markup=False, highlight=False, soft_wrap=True)


@demo_app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    map_path: MapOption = EXAMPLE_MAP,
    subjects: Annotated[int, typer.Option(min=1, max=10_000_000, help="People to create.")] = 1000,
    out_dir: OutDir = Path("out"),
) -> None:
    """Generate the example company, check its map, and write its RoPA and privacy notice."""
    if ctx.invoked_subcommand is not None:
        return
    from lawful.reports.notice import write_notice
    from lawful.reports.ropa import write_ropa

    loaded = _load_checked(map_path)
    out.rule("Data map")
    check(map_path, map_path)
    out.rule("Example databases")
    _generate_or_exit(subjects=subjects, out_dir=out_dir / "demo-data", seed=2026)
    out.rule("Documents")
    for path in [
        *write_ropa(loaded, out_dir=out_dir / "ropa"),
        *write_notice(loaded, out_dir=out_dir / "notice"),
    ]:
        out.print(f"wrote {path}")
    notice_page = out_dir / "notice" / "privacy-notice.html"
    out.print(f"\nOpen [bold]{notice_page}[/] in a browser to read the notice.")


@demo_app.command("generate")
def demo_generate(
    subjects: Annotated[int, typer.Option(min=1, max=10_000_000, help="People to create.")] = 1000,
    out_dir: OutDir = Path("demo-data"),
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 2026,
) -> None:
    """Write SQLite databases for the example company, filled with deterministic fake data."""
    _generate_or_exit(subjects=subjects, out_dir=out_dir, seed=seed)


def _generate_or_exit(*, subjects: int, out_dir: Path, seed: int) -> None:
    from lawful.demo.generate import DemoError, generate_company

    try:
        result = generate_company(subjects=subjects, out_dir=out_dir, seed=seed, console=out)
    except DemoError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(result.summary())


# --- rights requests (dsr) and the platform store (db) ---------------------------------------
# Imported here, not at the top, so this section stays one appended block.
import os  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import date  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from rich.markup import escape  # noqa: E402

if TYPE_CHECKING:
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
        "--data", help="Folder that relative `connection.path`s are read from (default: the map's)."
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would happen; change nothing.")
]
BatchOption = Annotated[
    int, typer.Option("--batch-size", min=1, max=10_000, help="Rows per checkpointed step.")
]


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
    base_dir = data_dir if data_dir is not None else loaded.path.parent
    with open_runtime(
        settings=load_settings(), datamap=loaded.datamap, base_dir=base_dir, environ=os.environ
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

    today = date.today()
    with _dsr_errors(), _dsr_runtime(map_path, data_dir) as (datamap, runtime):
        person = _identity_or_exit(identity, datamap)
        if dry_run:
            with runtime.sessions() as session:
                preview = preview_erasure(session, datamap=datamap, identity=person,
                                          datastores=runtime.datastores, keyring=runtime.keyring, today=today)  # fmt: skip
            lines, failed = erasure_preview_lines(preview.summary()), False
        else:
            with step_progress(err) as progress:
                report = run_erasure(runtime.sessions, datamap=datamap, identity=person,
                                     datastores=runtime.datastores, keyring=runtime.keyring,
                                     today=today, batch_size=batch_size, progress=progress)  # fmt: skip
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
                                                      keyring=runtime.keyring)  # fmt: skip
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


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the platform store's tables (LAWFUL_DATABASE_URL, or the embedded SQLite)."""
    from sqlalchemy import make_url

    from lawful.config import load_settings
    from lawful.store.migrate import head_revisions, upgrade_database

    settings = load_settings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.store_url()
    upgrade_database(url=url)
    shown = make_url(url).render_as_string(hide_password=True)
    revisions = ", ".join(sorted(head_revisions()))
    out.print(f"[green]ok[/] platform store {shown} is at revision {revisions}")


# --- audit trail ------------------------------------------------------------------------------
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole audit trail: exit 1 if any entry was edited, removed or reordered."""
    from lawful.config import load_settings
    from lawful.store.audit import AuditEntry, verify_chain
    from lawful.store.db import create_store_engine, session_factory

    engine = create_store_engine(load_settings().store_url())
    try:
        with session_factory(engine)() as session:
            breaks = verify_chain(session)
            count = session.query(AuditEntry).count()
    finally:
        engine.dispose()
    for chain_break in breaks:
        err.print(f"audit trail broken at {chain_break}", markup=False, highlight=False)
    if breaks:
        raise typer.Exit(1)
    out.print(f"[green]ok[/] audit trail intact: {count} entries")
