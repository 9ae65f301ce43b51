"""Fixtures shared by every test folder. Each kind is made in one place, tests/support/;
importing a fixture here registers it for every folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.checkpoints import AuditTrail
from lawful.store.db import create_store_engine, session_factory

from .support.company import company as company
from .support.company import company_files as company_files
from .support.company import company_mariadb_prefix as company_mariadb_prefix
from .support.company import company_pg_database as company_pg_database
from .support.company import example_company as example_company
from .support.company import pg_company as pg_company
from .support.company import sqlite_company as sqlite_company
from .support.databases import copy_store
from .support.databases import mariadb_database_factory as mariadb_database_factory
from .support.databases import pg_database_factory as pg_database_factory
from .support.databases import pg_store_url as pg_store_url
from .support.databases import platform_store_template as platform_store_template
from .support.databases import sqlite_url as sqlite_url
from .support.keys import keyring as keyring
from .support.keys import platform_keyring as platform_keyring
from .support.mail import smtp_server as smtp_server


@pytest.fixture
def platform_sessions(
    platform_store_template: Path, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh SQLite platform store, like the platform's own: audit entries
    keyed, checkpoints beside the store."""
    engine = create_store_engine(copy_store(platform_store_template, tmp_path, "platform.db"))
    audit = AuditTrail.from_secret(b"a" * 32, checkpoint_file=tmp_path / "checkpoints.jsonl")
    yield session_factory(engine, audit=audit)
    engine.dispose()


# Helpers that tests written before tests/support imported from here; new tests import them
# from tests/support directly.
from .support.company import ExampleCompany as ExampleCompany  # noqa: E402
from .support.company import make_company as make_company  # noqa: E402
from .support.company import row_key as row_key  # noqa: E402
from .support.databases import PG_ADMIN_URL as PG_ADMIN_URL  # noqa: E402
from .support.jobs import settle as settle  # noqa: E402
from .support.mail import Inbox as Inbox  # noqa: E402
from .support.mail import code_in as code_in  # noqa: E402
from .support.mail import running_smtp_server as running_smtp_server  # noqa: E402
from .support.servers import free_port as free_port  # noqa: E402
from .support.servers import serve as serve  # noqa: E402
