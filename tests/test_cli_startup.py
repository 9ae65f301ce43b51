"""The `lawful` command loads only what the command it runs needs (issue 19: a CLI that
starts fast), and still lists and runs every command."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
import typer.main
from typer.testing import CliRunner

import lawful.cli
from lawful.cli import COMMAND_MODULES, app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contact-center" / "lawful.yaml"
HEAVY = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "httpx", "jinja2", "pandas", "pyarrow",
         "faker", "lawful.engine", "lawful.web", "lawful.store")  # fmt: skip


def _registered_by() -> dict[str, str]:
    """Every top-level command name with the module whose code registered it."""
    for info in pkgutil.iter_modules(lawful.cli.__path__):
        importlib.import_module(f"lawful.cli.{info.name}")
    found: dict[str, str] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or typer.main.get_command_name(command.callback.__name__)
        found[name] = command.callback.__module__
    for group in app.registered_groups:
        assert group.name is not None
        assert group.typer_instance is not None
        found[group.name] = next(c.__module__ for c in _callbacks(group.typer_instance))
    return found


def _callbacks(group: typer.Typer) -> Iterator[Callable[..., Any]]:
    """The functions of a group's commands, its callback and its subgroups' (recursively)."""
    yield from (c.callback for c in group.registered_commands if c.callback is not None)
    if group.registered_callback is not None and group.registered_callback.callback:
        yield group.registered_callback.callback
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            yield from _callbacks(sub.typer_instance)


def test_every_command_registered_outside_the_package_root_is_in_the_lazy_map() -> None:
    registered = _registered_by()
    elsewhere = {name: module for name, module in registered.items() if module != "lawful.cli"}
    assert elsewhere == COMMAND_MODULES


def test_the_help_lists_the_commands_of_every_module() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name in ["check", "dsr", "consent", "retention", "serve", "worker", "inspect", "scan"]:
        assert f"│ {name} " in result.output


def _modules_after(*arguments: str, environ: dict[str, str]) -> list[str]:
    """Run `lawful ARGUMENTS` in a new interpreter; the modules it had loaded at exit."""
    script = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print('MODULES=' + json.dumps(sorted(sys.modules))))\n"
        "from lawful.cli import app\n"
        f"app({list(arguments)!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=os.environ | environ,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES="))
    modules: list[str] = json.loads(line.removeprefix("MODULES="))
    return modules


def _loaded(modules: list[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in modules)


def test_lawful_check_loads_neither_the_database_layer_nor_the_engine_nor_the_web(
    tmp_path: Path,
) -> None:
    modules = _modules_after("check", "-m", str(EXAMPLE), environ={})
    assert "lawful.datamap.checks" in modules
    assert [prefix for prefix in HEAVY if _loaded(modules, prefix)] == []


def test_an_access_on_a_current_store_loads_no_migration_tool_nor_the_web(
    tmp_path: Path, company_files: Path
) -> None:
    environ = {"LAWFUL_DATA_DIR": str(tmp_path / "store"),
               "LAWFUL_DATASTORE_DIR": str(company_files)}  # fmt: skip
    access = ["dsr", "access", "-m", str(EXAMPLE), "-i", "email=nobody@mail.example",
              "-o", str(tmp_path / "a.zip")]  # fmt: skip
    first = _modules_after(*access, environ=environ)  # creates the store: migrations run
    second = _modules_after(*access, environ=environ)
    assert "alembic" in first
    assert "lawful.engine.access" in second
    assert [p for p in ("alembic", "fastapi", "lawful.web", "faker") if _loaded(second, p)] == []
