"""Everything a command needs to run the engine, opened from the settings and closed after:
the keyring, the platform store's sessions, and the datastores of the map."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings, load_master_key, prepare_data_dir
from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.retry import RetryPolicy
from lawful.store.checkpoints import audit_trail
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import ensure_store


@dataclass(frozen=True)
class Runtime:
    keyring: Keyring
    sessions: sessionmaker[Session]
    datastores: Datastores
    key_generated_at: Path | None  # a new key was just written here: tell the operator


@contextmanager
def open_runtime(
    *,
    settings: Settings,
    datamap: DataMap,
    base_dir: Path,
    environ: Mapping[str, str],
    retry: RetryPolicy | None = None,
) -> Iterator[Runtime]:
    """Open the store (the embedded default is created or upgraded on first use; a configured
    database must have been upgraded with `lawful db upgrade`) and the map's datastores."""
    key = load_master_key(settings)
    url = settings.store_url()
    prepare_data_dir(settings)
    ensure_store(url=url, upgrade=settings.database_url is None)
    engine = create_store_engine(url)
    # Table definitions are kept between runs in the data folder, when there is one (the
    # embedded store's; a configured database does not make one).
    kept = settings.data_dir / "cache" if settings.data_dir.is_dir() else None
    factory = registry_factory(datamap, base_dir=base_dir, environ=environ, cache_dir=kept)
    try:
        with Datastores(factory, retry=retry) as datastores:
            yield Runtime(
                Keyring.from_master(key.secret),
                session_factory(engine, audit=audit_trail(settings, encryption_key=key.secret)),
                datastores,
                key.generated_at,
            )
    finally:
        engine.dispose()
