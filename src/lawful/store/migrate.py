"""Alembic, driven from the installed package: `lawful db upgrade` needs no alembic.ini.

Alembic is imported only when a migration runs or the store is behind: `ensure_store` first
reads the store's version table and compares it with the heads named in the shipped
migration files, which is all a command needs when the schema is already current.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawful.store.db import create_store_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Migrations are named YYYYMMDD_HHMM_<slug>.py (STYLE.md §11).
FILE_TEMPLATE = "%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d_%(slug)s"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the migrations shipped inside `lawful.store`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("lawful.store") / "migrations"))
    config.set_main_option("file_template", FILE_TEMPLATE.replace("%", "%%"))
    config.attributes["url"] = url  # not a main option: a URL may hold `%`
    return config


def upgrade_database(*, url: str, revision: str = "heads") -> None:
    """Bring the platform store at `url` up to `revision` (creating the tables on first run)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def head_revisions() -> frozenset[str]:
    """The newest migration(s) shipped with this version of Lawful (one per domain branch)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@cache
def shipped_heads() -> frozenset[str]:
    """The same heads as `head_revisions`, read from the migration files' `revision` and
    `down_revision` assignments without importing Alembic (a few milliseconds)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    versions = resources.files("lawful.store") / "migrations" / "versions"
    for entry in versions.iterdir():
        if entry.name.endswith(".py") and not entry.name.startswith("__"):
            for name, value in _assignments(entry.read_text(encoding="utf-8")):
                if name == "revision" and isinstance(value, str):
                    revisions.add(value)
                elif name == "down_revision" and isinstance(value, str | tuple | list):
                    parents.update([value] if isinstance(value, str) else map(str, value))
    return frozenset(revisions - parents)


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def _assignments(source: str) -> list[tuple[str, object]]:
    """Module-level `name = literal` and `name: type = literal` lines (a value spread over
    several lines sends the whole file through the parser instead)."""
    try:
        return [(m[1], ast.literal_eval(m[2])) for m in _ASSIGNMENT.finditer(source)]
    except (ValueError, SyntaxError):
        return _parsed_assignments(source)


def _parsed_assignments(source: str) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for node in ast.parse(source).body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
                found.append((target.id, ast.literal_eval(value)))
    return found


def current_revisions(*, url: str) -> frozenset[str]:
    """The revisions the store at `url` is at (empty for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            return frozenset(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def stored_revisions(*, url: str) -> frozenset[str]:
    """The store's version table read with one SELECT (empty when there is none yet)."""
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(str(row[0]) for row in rows)
    except DBAPIError:
        return frozenset()  # no version table: a new database
    finally:
        engine.dispose()


class StoreNotReadyError(Exception):
    """The platform store is older than this version of Lawful."""


def ensure_store(*, url: str, upgrade: bool) -> None:
    """Make sure the store's schema is current: upgrade it (the embedded default does so on
    first use) or refuse with the command that fixes it. A store already at the shipped
    heads costs one SELECT; Alembic is loaded only when it is not."""
    if stored_revisions(url=url) == shipped_heads():
        return
    if upgrade:
        upgrade_database(url=url)
        return
    if current_revisions(url=url) != head_revisions():
        raise StoreNotReadyError(
            "the platform store is not at the current schema version: run `lawful db upgrade`"
        )
