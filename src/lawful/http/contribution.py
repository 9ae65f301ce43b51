"""What a domain adds to the app, declared the same way by every domain: its routers (JSON API
and pages), its admin-menu entries, its long-running services, its fast paths and the words for its audit entries.

Each domain keeps one `routes.py` exposing `contribution = Contribution(...)`; the app
(`lawful.web.app`) imports the modules in one list and mounts what they declare, so a new
domain is one line there. Templates come from the `templates/` folder of `package`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.types import ASGIApp

from lawful.http.menu import MenuEntry
from lawful.http.platform import Platform
from lawful.http.sentences import AuditSentence

# Entered when the app starts, left when it stops (the in-process job runner, schedulers).
Service = Callable[[Platform], AbstractContextManager[None]]
# An ASGI middleware that answers a hot route's common case below the framework and hands
# every other request on (see `lawful.consent.check_path`).
FastPath = Callable[[ASGIApp], ASGIApp]


@dataclass(frozen=True)
class Contribution:
    package: str  # "lawful.consent": its `templates/` folder, if any, joins the loader
    routers: Sequence[APIRouter] = ()  # included in this order
    menu: Sequence[MenuEntry] = ()  # admin-console entries, placed by their `order`
    services: Sequence[Service] = ()
    fast_paths: Sequence[FastPath] = ()
    sentences: Sequence[AuditSentence] = ()  # its audit entries in words (`lawful.http.sentences`)
