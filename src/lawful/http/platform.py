"""What the running app, a worker or a command shares between requests and jobs: settings, the
platform store, the keyring, the data map, the job dispatcher, the rate limiter.

This module only describes the platform; `lawful.platform` (the composition root) opens it.
The job dispatcher is a protocol, so nothing here knows which queue runs the jobs (a thread
of this process or Celery workers, both in `lawful.worker`). What a domain alone needs (the
requests workflow's `RequestsContext`, say) rides in `contexts`, keyed by its type, so the
kit names no domain: `platform.context(RequestsContext)`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import DataMap
from lawful.engine.datastores import ConnectorFactory
from lawful.http.ratelimit import Limiter
from lawful.store.crypto import Keyring
from lawful.store.tasks import Dispatcher

T = TypeVar("T")


class JobDispatcher(Dispatcher, Protocol):
    """Hands committed tasks over (`dispatch`), and is closed when the platform stops."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Platform:
    settings: Settings
    sessions: sessionmaker[Session]
    keyring: Keyring
    loaded_map: LoadedMap
    connectors: ConnectorFactory
    limiter: Limiter
    cookie_key: bytes  # signs the session and visitor cookies
    key_generated_at: Path | None  # a new encryption key was just written here
    jobs: JobDispatcher  # to a background thread here, or to Celery workers
    contexts: Mapping[type, object] = field(default_factory=dict)  # per domain, by type

    @property
    def datamap(self) -> DataMap:
        return self.loaded_map.datamap

    def context(self, kind: type[T]) -> T:
        """The domain context of type `kind` the composition root opened with the platform."""
        value = self.contexts.get(kind)
        if not isinstance(value, kind):
            raise LookupError(f"the platform was opened without a {kind.__name__}")
        return value


def cookie_key(keyring: Keyring) -> bytes:
    """A key for signing cookies, derived from the installation's key (HMAC as a PRF, with a
    label no other use shares), so there is no second secret to manage."""
    return hmac.new(keyring.blind_index, b"lawful/v1/web-cookies", hashlib.sha256).digest()
