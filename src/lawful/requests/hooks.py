"""Who else hears of a request's changes: each time the person is told something, the
functions listed in `CHANGE_HOOKS` ("module:attribute") are called in the same transaction,
e.g. to queue a status callback to the authorized agent who sent the request (DRP 1.0 §2.03).
A domain adds its hook with one line; they are imported when first called, not at import."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from sqlalchemy.orm import Session

from lawful.requests.context import RequestsContext
from lawful.requests.models import RightsRequest

CHANGE_HOOKS: tuple[str, ...] = ("lawful.interop.drp.callbacks:request_changed",)


@cache
def _hooks() -> tuple[Callable[..., None], ...]:
    loaded = []
    for reference in CHANGE_HOOKS:
        module_name, _, attribute = reference.partition(":")
        loaded.append(getattr(importlib.import_module(module_name), attribute))
    return tuple(loaded)


def request_changed(session: Session, *, ctx: RequestsContext, request: RightsRequest) -> None:
    """Tell every hook that `request` changed (its status, its deadline)."""
    for hook in _hooks():
        hook(session, ctx=ctx, request=request)
