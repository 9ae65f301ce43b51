"""Everything a command needs to run the engine, opened from the settings and closed after:
the keyring, the platform store's sessions, and the datastores of the map."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings
from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.retry import RetryPolicy
from lawful.store.crypto import Keyring
from lawful.store.opening import open_store


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
    # Table definitions are kept between runs in the data folder, when there is one (the
    # embedded store's; a configured database does not make one).
    kept = settings.data_dir / "cache" if settings.data_dir.is_dir() else None
    factory = registry_factory(datamap, base_dir=base_dir, environ=environ, cache_dir=kept)
    with open_store(settings) as store, Datastores(factory, retry=retry) as datastores:
        yield Runtime(store.keyring, store.sessions, datastores, store.key_generated_at)
