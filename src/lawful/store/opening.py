"""Opening the platform store: the one place that reads the master key, prepares the data
directory, creates or checks the schema and makes the session factory (with the audit
trail). The composition root (`lawful.platform`) and the engine's command runtime
(`lawful.engine.runtime`) both open the store here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings, load_master_key, prepare_data_dir
from lawful.store.checkpoints import audit_trail
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import ensure_store


@dataclass(frozen=True)
class Store:
    sessions: sessionmaker[Session]
    keyring: Keyring
    key_generated_at: Path | None  # a new key was just written here: tell the operator


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    """The platform store and the keyring. The embedded SQLite default is created or
    upgraded here; a configured database must have been upgraded with `lawful db upgrade`."""
    key = load_master_key(settings)
    url = settings.store_url()
    prepare_data_dir(settings)
    ensure_store(url=url, upgrade=settings.database_url is None)
    engine = create_store_engine(url)
    try:
        audit = audit_trail(settings, encryption_key=key.secret)
        sessions = session_factory(engine, audit=audit)
        yield Store(sessions, Keyring.from_master(key.secret), key.generated_at)
    finally:
        engine.dispose()
