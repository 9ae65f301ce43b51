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
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server when done.")
    ] = True,
) -> None:
    """Generate the example company, check its map, write its RoPA and privacy notice, then
    serve its privacy center and admin console on 127.0.0.1 with demo staff accounts."""
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
    if serve:
        _serve_demo(map_path=map_path, out_dir=out_dir, port=port)


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


# --- web: serve, staff users, the demo server ---------------------------------------------------
if TYPE_CHECKING:
    from lawful.config import Settings

user_app = typer.Typer(help="Staff accounts of the admin console.", no_args_is_help=True)
app.add_typer(user_app, name="user")
DEMO_HOST = "127.0.0.1"


@contextmanager
def _web_errors() -> Iterator[None]:
    """Setting, store and map errors as one line each, no traceback, exit 1."""
    from lawful.config import SettingsError
    from lawful.store.migrate import StoreNotReadyError

    try:
        yield
    except (SettingsError, StoreNotReadyError) as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    map_path: Annotated[
        Path | None,
        typer.Option("--map", "-m", help="The data map (or LAWFUL_MAP_PATH).", show_default=False),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: DataOption = None,
) -> None:
    """Run the web server: privacy center (/privacy), admin console (/admin), API (/docs)."""
    from lawful.config import load_settings

    with _web_errors():
        settings = load_settings()
    chosen = map_path or settings.map_path
    if chosen is None:
        err.print("[red]error[/] no data map: pass --map lawful.yaml or set LAWFUL_MAP_PATH")
        raise typer.Exit(1)
    _load_checked(chosen)
    update: dict[str, object] = {"map_path": chosen}
    if data_dir is not None:
        update["datastore_dir"] = data_dir
    _run_server(settings.model_copy(update=update), host=host, port=port)


def _run_server(settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    from lawful.web.app import create_app

    with _web_errors():
        # Behind a reverse proxy on this machine, X-Forwarded-* give the client's address and
        # scheme (rate limits per person, Secure cookies over HTTPS).
        uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    name: Annotated[str, typer.Option(help="Full name, shown in the audit trail.")],
    role: Annotated[
        str, typer.Option(help="admin, privacy_officer, analyst or auditor (read-only).")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account; the password is asked for (never passed as an argument)."""
    import sys

    from lawful.auth.errors import AuthError
    from lawful.auth.models import Role
    from lawful.auth.service import create_user
    from lawful.config import load_settings
    from lawful.web.platform import open_store

    if role not in Role.__members__:
        err.print(f"[red]error[/] unknown role {role!r}: use one of {', '.join(Role)}")
        raise typer.Exit(1)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _web_errors(), open_store(load_settings()) as store, store.sessions() as session:
        try:
            user = create_user(
                session,
                keyring=store.keyring,
                email=email,
                name=name,
                role=Role(role),
                password=password,
                actor="cli",
            )
        except AuthError as error:
            err.print(f"[red]error[/] {escape(error.message)}", highlight=False)
            raise typer.Exit(1) from None
        session.commit()
    out.print(f"[green]ok[/] created {escape(name)} ({role}), id {user.id}")


def _serve_demo(*, map_path: Path, out_dir: Path, port: int) -> None:
    from lawful.config import load_settings
    from lawful.web.demo import prepare_demo

    out.rule("Privacy center and admin console")
    with _web_errors():
        demo = prepare_demo(
            base=load_settings(),
            map_path=map_path,
            data_dir=out_dir / "demo-data",
            store_dir=out_dir / "demo-platform",
        )
    for account in demo.accounts:
        out.print(
            f"  {account.role.value:<16} {account.email:<40} password: {account.password}",
            highlight=False,
            soft_wrap=True,
        )
    base = f"http://{DEMO_HOST}:{port}"
    out.print("These passwords are shown once; `lawful demo` makes new ones each run.\n")
    out.print(
        f"  privacy center  {base}/privacy\n  admin console   {base}/admin\n"
        f"  API docs        {base}/docs",
        highlight=False,
        soft_wrap=True,
    )
    if not demo.settings.smtp_host:
        out.print(
            "No mail server is set (LAWFUL_SMTP_HOST): mail to people goes to "
            f"{out_dir / 'demo-platform' / 'outbox'} and the admin console's Outbox page.",
            highlight=False,
            soft_wrap=True,
        )
    out.print("Press Ctrl+C to stop.")
    _run_server(demo.settings, host=DEMO_HOST, port=port)


# --- retention sweeps and legal holds (lawful.retention) --------------------------------------
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
OperatorOption = Annotated[
    str | None,
    typer.Option("--operator", help="Who runs this, for the audit trail (default: your login)."),
]


def _operator(given: str | None) -> str:
    import getpass

    return given or f"cli:{getpass.getuser()}"


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
        with _dsr_errors():
            yield
    except RetentionError as error:
        err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@retention_app.command("plan")
def retention_plan(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    as_of: AsOfOption = None,
    data_dir: DataOption = None,
) -> None:
    """Show, per dataset and rule, how many records are due and why. Changes nothing."""
    from lawful.retention.render import citations, outcomes_table, protection_lines
    from lawful.retention.requests_link import open_request_identities
    from lawful.retention.sweep import plan_sweep

    day = _as_of(as_of)
    with (
        _retention_errors(),
        _dsr_runtime(map_file or map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        requests = open_request_identities(keyring=runtime.keyring, datamap=datamap)
        plan = plan_sweep(session, datamap=datamap, datastores=runtime.datastores,
                          keyring=runtime.keyring, as_of=day, open_requests=requests)  # fmt: skip
        session.commit()  # only the refreshed records of people on legal hold
    outcomes = [o.as_json() for o in plan.outcomes]
    title = f"Retention as of {day.isoformat()} (nothing changed)"
    out.print(outcomes_table(outcomes, title=title))
    for line in [*citations(outcomes), *protection_lines(plan.summary(operator=""))]:
        out.print(line, highlight=False)
    if plan.problems():
        raise typer.Exit(1)


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
    from lawful.engine.render import step_progress
    from lawful.retention.render import outcomes_table, protection_lines
    from lawful.retention.requests_link import open_request_identities
    from lawful.retention.sweep import run_sweep

    day = _as_of(as_of)
    with (
        _retention_errors(),
        _dsr_runtime(map_file or map_path, data_dir) as (datamap, runtime),
        step_progress(err) as progress,
    ):
        requests = open_request_identities(keyring=runtime.keyring, datamap=datamap)
        report = run_sweep(runtime.sessions, datamap=datamap, datastores=runtime.datastores,
                           keyring=runtime.keyring, as_of=day, operator=_operator(operator),
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
    with _retention_errors(), _dsr_runtime(map_file or map_path, data_dir) as (datamap, runtime):
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
    with _retention_errors(), _dsr_runtime(map_path, data_dir) as (datamap, runtime):
        people = [_identity_or_exit(identity, datamap)] if identity else []
        with runtime.sessions() as session:
            hold = add_legal_hold(session, keyring=runtime.keyring, datamap=datamap, scope=scope,
                                  reason=reason, owner=owner, actor=_operator(operator),
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
    from lawful.retention.render import holds_table
    from lawful.retention.service import list_legal_holds, view_hold

    with (
        _retention_errors(),
        _dsr_runtime(map_path, data_dir) as (datamap, runtime),
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
        _dsr_runtime(map_path, data_dir) as (_, runtime),
        runtime.sessions() as session,
    ):
        release_legal_hold(session, hold_id=hold_id, actor=_operator(operator), note=note)
        session.commit()
    out.print(f"released legal hold {hold_id}")


# --- rights requests: housekeeping (lawful.requests) ------------------------------------------
requests_app = typer.Typer(help="Rights requests: housekeeping.", no_args_is_help=True)
app.add_typer(requests_app, name="requests")


@requests_app.command("sweep")
def requests_sweep(map_path: MapOption = DEFAULT_MAP, data_dir: DataOption = None) -> None:
    """Expire requests never verified in time and purge request records kept past 24 months
    (11 CCR §7101) and packages past their download period. Run it daily (cron, a timer)."""
    from lawful.config import load_settings
    from lawful.engine.datastores import registry_factory
    from lawful.requests.records import expire_unverified_requests, purge_expired_records
    from lawful.requests.tasks import build_runtime

    with _dsr_errors(), _dsr_runtime(map_path, data_dir) as (datamap, runtime):
        base = data_dir if data_dir is not None else map_path.resolve().parent
        requests = build_runtime(settings=load_settings(), datamap=datamap, keyring=runtime.keyring,
                                 sessions=runtime.sessions, environ=os.environ,
                                 connectors=registry_factory(datamap, base_dir=base, environ=os.environ))  # fmt: skip
        with runtime.sessions() as session:
            expired = expire_unverified_requests(session, ctx=requests.ctx)
            purged = purge_expired_records(session, ctx=requests.ctx)
            session.commit()
    out.print(f"expired {expired} unverified request(s); purged {purged.requests} request "
              f"record(s) and {purged.packages} package(s)")  # fmt: skip


# --- breach register (lawful.breach) ----------------------------------------------------------
breach_app = typer.Typer(
    help="The breach register: incidents on the 72-hour clock (GDPR Art. 33–34).",
    no_args_is_help=True,
)
app.add_typer(breach_app, name="breach")
if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session
MomentOption = Annotated[str | None, typer.Option(help="ISO 8601 time; without a zone, UTC.")]
CountOption = Annotated[
    bool, typer.Option("--count/--no-count", help="Count the people affected (reads the stores).")
]


def _moment(text: str | None, option: str) -> datetime | None:
    from datetime import UTC, datetime

    if text is None:
        return None
    try:
        moment = datetime.now(UTC) if text == "now" else datetime.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/] {option} {escape(text)!r} is not a time like 2026-11-20T09:30")
        raise typer.Exit(1) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def _breach_errors() -> Iterator[None]:
    from lawful.breach.drafts import DraftError
    from lawful.breach.errors import BreachError

    try:
        with _dsr_errors():
            yield
    except BreachError as error:
        err.print(f"[red]error[/] {escape(error.message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except DraftError as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _count_and_show(session: Session, datamap: DataMap, runtime: Runtime, reference: str,
                    actor: str, count: bool) -> None:  # fmt: skip
    from datetime import UTC, datetime

    from lawful.breach.render import incident_view
    from lawful.breach.service import count_affected, get_incident

    if count:
        count_affected(session, datamap=datamap, datastores=runtime.datastores,
                       reference=reference, actor=actor)  # fmt: skip
    session.commit()
    out.print(incident_view(get_incident(session, reference=reference), datamap,
                            now=datetime.now(UTC)))  # fmt: skip


@breach_app.command("open")
def breach_open(
    title: Annotated[str, typer.Option(help="A short title (no personal data).")],
    aware_at: Annotated[
        str | None,
        typer.Option("--aware-at", help="When we became aware (ISO 8601, UTC if no zone; `now`)."),
    ] = None,
    system: Annotated[list[str] | None, typer.Option(help="Affected system (repeatable).")] = None,
    dataset: Annotated[
        list[str] | None, typer.Option(help="Affected dataset (repeatable).")
    ] = None,
    nature: Annotated[str | None, typer.Option(help="What happened (Art. 33(3)(a)).")] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="confidentiality, integrity or availability (repeatable)."),
    ] = None,
    role: Annotated[
        str | None, typer.Option(help="controller or processor (default: from the datasets).")
    ] = None,
    reported_by: Annotated[
        str | None, typer.Option(help="Recipient id of the processor that reported it to us.")
    ] = None,
    reported_at: MomentOption = None,
    count: CountOption = True,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Register a breach: its clock starts when we became aware of it (GDPR Art. 33(1))."""
    from lawful.breach.models import OurRole
    from lawful.breach.service import open_incident

    if role is not None and role not in OurRole.__members__:
        err.print("[red]error[/] --role is controller or processor")
        raise typer.Exit(1)
    aware, reported = _moment(aware_at, "--aware-at"), _moment(reported_at, "--reported-at")
    with (
        _breach_errors(),
        _dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        incident = open_incident(session, datamap=datamap, title=title, became_aware_at=aware,
                                 actor=_operator(operator), systems=system or [],
                                 datasets=dataset or [], nature=nature, kinds=kind or [],
                                 role=OurRole(role) if role else None, reported_by=reported_by,
                                 reported_to_us_at=reported)  # fmt: skip
        session.commit()
        out.print(f"opened {incident.reference}")
        _count_and_show(session, datamap, runtime, incident.reference, _operator(operator), count)


@breach_app.command("update")
def breach_update(
    reference: Annotated[str, typer.Argument(help="The incident, e.g. BR-2026-0001.")],
    status: Annotated[str | None, typer.Option(help="open, contained or closed.")] = None,
    nature: Annotated[str | None, typer.Option(help="Art. 33(3)(a).")] = None,
    consequences: Annotated[str | None, typer.Option(help="Art. 33(3)(c).")] = None,
    measures_taken: Annotated[str | None, typer.Option(help="Art. 33(3)(d).")] = None,
    measures_proposed: Annotated[str | None, typer.Option(help="Art. 33(3)(d).")] = None,
    advice: Annotated[str | None, typer.Option(help="What people can do (Art. 34(2)).")] = None,
    occurred_from: MomentOption = None,
    occurred_until: MomentOption = None,
    risk: Annotated[str | None, typer.Option(help="unlikely, risk or high.")] = None,
    risk_reasoning: Annotated[str | None, typer.Option(help="Why that risk level.")] = None,
    exemption: Annotated[
        list[str] | None,
        typer.Option(help="Art. 34(3): unintelligible, mitigated or disproportionate."),
    ] = None,
    delay_reasons: Annotated[
        str | None, typer.Option(help="Why notified after 72 hours (Art. 33(1)).")
    ] = None,
    authority_notified_at: MomentOption = None,
    authority_reference: Annotated[
        str | None, typer.Option(help="The authority's case number.")
    ] = None,
    people_notified_at: MomentOption = None,
    clients_notified_at: MomentOption = None,
    add_system: Annotated[list[str] | None, typer.Option(help="Another affected system.")] = None,
    add_dataset: Annotated[list[str] | None, typer.Option(help="Another affected dataset.")] = None,
    note: Annotated[str | None, typer.Option(help="A note for this phase.")] = None,
    count: Annotated[
        bool, typer.Option("--count/--no-count", help="Count the people affected again.")
    ] = False,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Add a phase of information to an incident (GDPR Art. 33(4))."""
    from lawful.breach.models import IncidentStatus, Risk
    from lawful.breach.service import Changes, update_incident

    for value, kind, option in ((status, IncidentStatus, "--status"), (risk, Risk, "--risk")):
        if value is not None and value not in kind.__members__:
            err.print(f"[red]error[/] {option} is one of {', '.join(kind)}")
            raise typer.Exit(1)
    changes = Changes(
        status=IncidentStatus(status) if status else None, nature=nature,
        consequences=consequences, measures_taken=measures_taken,
        measures_proposed=measures_proposed, advice_to_people=advice,
        occurred_from=_moment(occurred_from, "--occurred-from"),
        occurred_until=_moment(occurred_until, "--occurred-until"),
        risk=Risk(risk) if risk else None, risk_reasoning=risk_reasoning,
        exemptions=exemption, delay_reasons=delay_reasons,
        authority_notified_at=_moment(authority_notified_at, "--authority-notified-at"),
        authority_reference=authority_reference,
        people_notified_at=_moment(people_notified_at, "--people-notified-at"),
        clients_notified_at=_moment(clients_notified_at, "--clients-notified-at"),
        add_systems=add_system or [], add_datasets=add_dataset or [],
    )  # fmt: skip
    with (
        _breach_errors(),
        _dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        update_incident(session, datamap=datamap, reference=reference, changes=changes,
                        actor=_operator(operator), note=note)  # fmt: skip
        _count_and_show(session, datamap, runtime, reference, _operator(operator), count)


@breach_app.command("show")
def breach_show(
    reference: Annotated[
        str | None, typer.Argument(help="The incident; none lists the register.")
    ] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
) -> None:
    """Show one incident (clock, counts, Art. 33(3) items, who to tell), or the register."""
    from datetime import UTC, datetime

    from lawful.breach.render import incident_view, incidents_table
    from lawful.breach.service import get_incident, list_incidents

    now = datetime.now(UTC)
    with (
        _breach_errors(),
        _dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        if reference is None:
            out.print(incidents_table(list_incidents(session), now=now))
        else:
            out.print(incident_view(get_incident(session, reference=reference), datamap, now=now))


@breach_app.command("draft")
def breach_draft(
    reference: Annotated[str, typer.Argument(help="The incident, e.g. BR-2026-0001.")],
    to: Annotated[str, typer.Option("--to", help="authority, people, public or client.")],
    client: Annotated[str | None, typer.Option(help="The client to tell (--to client).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write it here.")] = None,
    recipients: Annotated[
        Path | None,
        typer.Option(help="--to people: also write who to send it to (CSV, mode 0600)."),
    ] = None,
    map_path: MapOption = DEFAULT_MAP,
    data_dir: DataOption = None,
    operator: OperatorOption = None,
) -> None:
    """Draft the notification to the authority, the message to people or the client notice."""
    from datetime import UTC, datetime

    from lawful.breach.drafts import AUDIENCES, make_draft, render_draft
    from lawful.breach.render import write_people_csv
    from lawful.breach.service import get_incident, list_people

    if to not in AUDIENCES or output_format not in {"md", "html"}:
        err.print(f"[red]error[/] --to is one of {', '.join(AUDIENCES)}; --format is md or html")
        raise typer.Exit(1)
    with (
        _breach_errors(),
        _dsr_runtime(map_path, data_dir) as (datamap, runtime),
        runtime.sessions() as session,
    ):
        incident = get_incident(session, reference=reference)
        draft = make_draft(incident=incident, datamap=datamap, audience=to,
                           now=datetime.now(UTC), client=client)  # fmt: skip
        text = render_draft(draft, kind="html" if output_format == "html" else "md")
        if recipients is not None:
            found = list_people(session, datamap=datamap, datastores=runtime.datastores,
                                reference=reference, actor=_operator(operator))  # fmt: skip
            session.commit()
            write_people_csv(recipients, found.persons)
            err.print(f"wrote {recipients}: {found.people} people to tell")
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output} ({len(draft.pending)} item(s) still to come)")


# --- reports over rights requests (lawful.reports.metrics) -------------------------------------
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

    from lawful.config import load_settings
    from lawful.reports.metrics import ccpa_metrics, metrics_csv, request_records
    from lawful.store.db import create_store_engine, session_factory
    from lawful.store.migrate import ensure_store

    if output_format not in {"table", "csv", "json"}:
        err.print("[red]error[/] --format is table, csv or json")
        raise typer.Exit(1)
    settings = load_settings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_store(url=settings.store_url(), upgrade=settings.database_url is None)
    engine = create_store_engine(settings.store_url())
    try:
        with session_factory(engine)() as session:
            metrics = ccpa_metrics(request_records(session), year=year)
    finally:
        engine.dispose()
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
