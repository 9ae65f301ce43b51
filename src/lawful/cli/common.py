"""What the `lawful` command's modules share: the consoles, the common options, loading the
map, opening the runtime or the store alone, and turning errors into one line each (exit 1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import LoadedMap, load_datamap
from lawful.datamap.models import DataMap
from lawful.datamap.problems import DataMapError, Problem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from lawful.config import Settings
    from lawful.engine.identity import Identity
    from lawful.engine.runtime import Runtime


out: Console = Console()
err: Console = Console(stderr=True)

DEFAULT_MAP: Path = Path("lawful.yaml")
MapOption = Annotated[
    Path, typer.Option("--map", "-m", help="The data map to read.", show_default=True)
]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.")]
MapArgument = Annotated[
    Path | None, typer.Argument(help="The data map (same as --map).", show_default=False)
]


def print_problems(problems: list[Problem]) -> None:
    for problem in sorted(problems, key=Problem.sort_key):
        err.print(str(problem), markup=False, highlight=False, soft_wrap=True)


def load_or_exit(path: Path) -> LoadedMap:
    """Load the map; on problems print them (one line each) and exit 1."""
    try:
        return load_datamap(path)
    except DataMapError as error:
        print_problems(error.problems)
        raise typer.Exit(1) from None


def load_checked(path: Path) -> LoadedMap:
    """Load the map and refuse to generate documents from a map that fails its checks."""
    loaded = load_or_exit(path)
    problems = check_datamap(loaded)
    if problems:
        print_problems(problems)
        err.print(f"[red]{len(problems)} problem(s)[/]: fix them (see `lawful check`) first.")
        raise typer.Exit(1)
    return loaded


DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Folder that relative `connection.path`s are read from (default: the map's folder).",
    ),
]

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


def operator_name(given: str | None) -> str:
    import getpass

    return given or f"cli:{getpass.getuser()}"


@contextmanager
def dsr_errors() -> Iterator[None]:
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
def dsr_runtime(map_path: Path, data_dir: Path | None) -> Iterator[tuple[DataMap, Runtime]]:
    from lawful.config import load_settings
    from lawful.engine.runtime import open_runtime

    loaded = load_or_exit(map_path)
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


def identity_or_exit(pairs: list[str], datamap: DataMap) -> Identity:
    from lawful.engine.identity import parse_identity

    with dsr_errors():
        return parse_identity(pairs, datamap=datamap)


@contextmanager
def store_sessions() -> Iterator[sessionmaker[Session]]:
    """The platform store alone (no data map, no datastore), opened as every process opens it
    (`lawful.store.opening`): with the installation's key and its audit trail."""
    from lawful.config import load_settings
    from lawful.store.opening import open_store

    with open_store(load_settings()) as store:
        yield store.sessions


@contextmanager
def web_errors() -> Iterator[None]:
    """Setting, store and map errors as one line each, no traceback, exit 1."""
    from lawful.config import SettingsError
    from lawful.store.migrate import StoreNotReadyError

    try:
        yield
    except (SettingsError, StoreNotReadyError) as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def configured(map_path: Path | None, data_dir: Path | None) -> tuple[Settings, LoadedMap]:
    """Settings with the map and datastore folder of the command line; the map checked."""
    from lawful.config import SettingsError, load_settings

    settings = load_settings()
    chosen = map_path or settings.map_path
    if chosen is None:
        raise SettingsError("no data map: pass --map lawful.yaml or set LAWFUL_MAP_PATH")
    update: dict[str, object] = {"map_path": chosen}
    if data_dir is not None:
        update["datastore_dir"] = data_dir
    return settings.model_copy(update=update), load_checked(chosen)
