"""The composition root: opens the platform (settings, store, keyring, data map, job
dispatcher, rate limiter, the domains' contexts) once, for the web app (`lawful.web.app`),
the worker (`lawful worker`) and the commands (`lawful.cli`), and closes it when they stop.

It sits above the domains and the worker: it picks the job queue (a thread of this process,
or Celery when a broker is configured) and builds the requests workflow's context. Nothing
below it imports it: pages and jobs see the kit's `lawful.http.platform.Platform`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from lawful.config import Settings, SettingsError
from lawful.datamap.loader import LoadedMap, load_datamap
from lawful.engine.datastores import registry_factory
from lawful.http.platform import JobDispatcher, Platform, cookie_key
from lawful.http.ratelimit import Limiter, RateLimiter, RedisRateLimiter
from lawful.interop.drp.callbacks import request_changed as drp_status_changed
from lawful.interop.opendsr.controller import forward_to_processors
from lawful.markers.hooks import decision_hook
from lawful.requests import hooks
from lawful.requests.context import RequestPolicy, RequestsContext
from lawful.store.opening import open_store
from lawful.worker.broker import CeleryDispatcher, make_celery
from lawful.worker.inprocess import InProcessQueue


@dataclass(frozen=True)
class RunningPlatform(Platform):
    """The platform as opened here, with the domains' contexts by name."""

    @property
    def requests(self) -> RequestsContext:
        return self.context(RequestsContext)


@contextmanager
def open_platform(
    settings: Settings, *, loaded: LoadedMap | None = None
) -> Iterator[RunningPlatform]:
    """Read the data map (unless given, already loaded), open the store, and start the job
    queue (closed in reverse order: queued jobs finish before the store goes away)."""
    # Interoperability hears of requests and sends them on; requests never imports it.
    hooks.register(change_hook=drp_status_changed, forwarder=forward_to_processors)
    loaded = loaded or _load_map(settings)
    base_dir = settings.datastore_dir or loaded.path.parent
    jobs = job_dispatcher(settings)
    # The business systems hear of restrictions through markers; requests never imports them.
    hooks.register_decision_hook("markers", decision_hook(jobs))
    limiter = rate_limiter(settings)
    policy = RequestPolicy.from_settings(settings)
    with open_store(settings) as store:
        try:
            requests = RequestsContext(loaded.datamap, store.keyring, policy, jobs)
            yield RunningPlatform(
                settings=settings,
                sessions=store.sessions,
                keyring=store.keyring,
                loaded_map=loaded,
                connectors=registry_factory(loaded.datamap, base_dir=base_dir, environ=os.environ),
                limiter=limiter,
                cookie_key=cookie_key(store.keyring),
                key_generated_at=store.key_generated_at,
                jobs=jobs,
                contexts={RequestsContext: requests},
            )
        finally:
            jobs.close()
            limiter.close()


def rate_limiter(settings: Settings) -> Limiter:
    """Buckets in Redis when configured (shared by all processes), else in this process."""
    if settings.rate_limit_redis_url:
        return RedisRateLimiter(
            settings.rate_limit_redis_url,
            per_minute=settings.rate_limit_per_minute,
            burst=settings.rate_limit_burst,
        )
    return RateLimiter(per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst)


def job_dispatcher(settings: Settings) -> JobDispatcher:
    """Celery when a broker is configured, else a background thread of this process."""
    if settings.broker_url:
        return CeleryDispatcher(make_celery(settings))
    return InProcessQueue(background=True)


def _load_map(settings: Settings) -> LoadedMap:
    if settings.map_path is None:
        raise SettingsError(
            "no data map: start the server with `lawful serve --map lawful.yaml`, "
            "or set LAWFUL_MAP_PATH"
        )
    return load_datamap(settings.map_path)
