"""The `lawful` command: parse arguments, call one service, print. No logic lives here."""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
from pathlib import Path
from typing import Annotated

import typer
import typer.main
from typer import _click as click
from typer.core import TyperGroup

from lawful.cli.common import (
    DEFAULT_MAP,
    DataDirOption,
    MapArgument,
    MapOption,
    OutDir,
    err,
    load_checked,
    load_or_exit,
    out,
    print_problems,
)
from lawful.datamap.models import DataMap

# Each domain's commands live in their own module, imported only when one of its commands
# runs (or when every command is listed, for help): `lawful check` never loads the engine,
# `lawful dsr access` never loads the web server. The test that this map is complete
# imports every module of the package and compares.
COMMAND_MODULES: dict[str, str] = {
    "audit": "lawful.cli.audit",
    "breach": "lawful.cli.breach",
    "complaints": "lawful.cli.complaints",
    "consent": "lawful.cli.consent",
    "directives": "lawful.cli.directives",
    "dpia": "lawful.cli.dpia",
    "drp": "lawful.cli.drp",
    "dsr": "lawful.cli.dsr",
    "opendsr": "lawful.cli.opendsr",
    "processors": "lawful.cli.processors",
    "db": "lawful.cli.dsr",
    "inspect": "lawful.cli.live",
    "map": "lawful.cli.datamap",
    "report": "lawful.cli.reports",
    "requests": "lawful.cli.requests",
    "retention": "lawful.cli.retention",
    "hold": "lawful.cli.retention",
    "scan": "lawful.cli.scan",
    "serve": "lawful.cli.web",
    "user": "lawful.cli.web",
    "worker": "lawful.cli.worker",
    "status": "lawful.cli.worker",
    "training": "lawful.cli.training",
}


# Commands that run until stopped keep Python's default garbage collection.
LONG_RUNNING = frozenset({"serve", "worker", "retention", "demo"})


class LazyGroup(TyperGroup):
    """The top-level group: a command's module is imported when the command is looked up."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LONG_RUNNING:
            # A short command allocates most of its objects importing libraries, which never
            # become garbage: collecting the youngest objects every 700 allocations (Python's
            # default) walked them again and again, about a seventh of `dsr access`'s CPU.
            gc.set_threshold(20_000, 20, 20)
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            self._load([COMMAND_MODULES[cmd_name]])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load(sorted(set(COMMAND_MODULES.values())))
        return super().list_commands(ctx)

    def _load(self, modules: list[str]) -> None:
        for module in modules:
            importlib.import_module(module)  # registers its commands on `app`
        for name, command in typer.main.get_group(app).commands.items():
            self.commands.setdefault(name, command)


# At exit, Python's last garbage collection walks every object a command loaded (SQLAlchemy,
# pydantic, the map): about a fifth of a short command's CPU. Frozen objects are skipped; the
# process is ending, and every file and connection is closed by its own `with` before this.
atexit.register(gc.freeze)

app: typer.Typer = typer.Typer(
    cls=LazyGroup,
    name="lawful",
    help="Lawful: privacy operations driven by a data map kept as code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
demo_app: typer.Typer = typer.Typer(help="The example contact-center company.")
app.add_typer(demo_app, name="demo")
EXAMPLE_MAP: Path = Path("examples/contact-center/lawful.yaml")

LiveOption = Annotated[
    bool,
    typer.Option(
        "--live", help="Also connect to every datastore and check the map against its structure."
    ),
]


@app.command()
def check(
    map_file: MapArgument = None,
    map_path: MapOption = DEFAULT_MAP,
    live_check: LiveOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Validate the data map: one line `file:line:col: CODE message — hint` per problem.

    With `--live`, also compare it with the live datastores (keys, foreign keys, NOT NULL,
    columns, indexes); without it nothing is contacted."""
    from lawful.datamap.checks import check_datamap

    map_path = map_file or map_path
    loaded = load_or_exit(map_path)
    problems = check_datamap(loaded)
    if live_check:
        from lawful.discovery.drift import personal_drift
        from lawful.engine.live import check_live
        from lawful.recognizers.registry import RecognizerError

        base_dir = data_dir or loaded.path.parent
        problems += check_live(loaded=loaded, base_dir=base_dir, environ=os.environ)
        try:
            problems += personal_drift(loaded=loaded, base_dir=base_dir, environ=os.environ)
        except RecognizerError as error:
            err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    if problems:
        print_problems(problems)
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

    written = write_ropa(load_checked(map_file or map_path), out_dir=out_dir)
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

    written = write_notice(load_checked(map_file or map_path), out_dir=out_dir)
    for path in written:
        out.print(f"wrote {path}")


@app.command("import-fides")
def import_fides(
    datasets: Annotated[list[Path], typer.Argument(help="fideslang dataset YAML files.")],
    system: Annotated[str, typer.Option(help="System id the datasets belong to.")] = "imported",
    subject: Annotated[
        list[str] | None,
        typer.Option(
            help="Subject id the datasets describe (default customer); COLLECTION=SUBJECT "
            "gives one collection another (repeatable: --subject employees=employee)."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the datasets YAML here.")
    ] = None,
) -> None:
    """Turn fideslang dataset YAML into Lawful datasets, reporting what could not be mapped."""
    from lawful.datamap.fides import FidesImportError, import_fides_files, parse_subjects

    try:
        default, subjects = parse_subjects(subject or [])
        result = import_fides_files(datasets, system=system, subject=default, subjects=subjects)
    except FidesImportError as error:
        print_problems(error.problems)
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

    loaded = load_checked(map_path)
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
        from lawful.cli.web import serve_demo

        serve_demo(map_path=map_path, out_dir=out_dir, port=port)


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
