"""Alembic, driven from the installed package: `lawful db upgrade` needs no alembic.ini."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lawful.store.db import create_store_engine

# Migrations are named YYYYMMDD_HHMM_<slug>.py (STYLE.md §11).
FILE_TEMPLATE = "%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d_%(slug)s"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the migrations shipped inside `lawful.store`."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("lawful.store") / "migrations"))
    config.set_main_option("file_template", FILE_TEMPLATE.replace("%", "%%"))
    config.attributes["url"] = url  # not a main option: a URL may hold `%`
    return config


def upgrade_database(*, url: str, revision: str = "heads") -> None:
    """Bring the platform store at `url` up to `revision` (creating the tables on first run)."""
    command.upgrade(alembic_config(url), revision)


def head_revisions() -> frozenset[str]:
    """The newest migration(s) shipped with this version of Lawful (one per domain branch)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(*, url: str) -> frozenset[str]:
    """The revisions the store at `url` is at (empty for an empty database)."""
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            return frozenset(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


class StoreNotReadyError(Exception):
    """The platform store is older than this version of Lawful."""


def ensure_store(*, url: str, upgrade: bool) -> None:
    """Make sure the store's schema is current: upgrade it (the embedded default does so on
    first use) or refuse with the command that fixes it."""
    if upgrade:
        upgrade_database(url=url)
        return
    if current_revisions(url=url) != head_revisions():
        raise StoreNotReadyError(
            "the platform store is not at the current schema version: run `lawful db upgrade`"
        )
