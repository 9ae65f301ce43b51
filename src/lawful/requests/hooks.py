"""Who else hears of a request's changes, and who else a request goes to after our run:
functions the domains above `requests` register here (`lawful.platform` registers
interoperability's when it opens the platform, so the app and the worker both have them),
so `requests` never imports them. A change hook is called in the same transaction each time
the person is told something, e.g. to queue a status callback to the authorized agent who
sent the request (DRP 1.0 §2.03); a forwarder sends the request on to our processors that
take requests by a protocol (OpenDSR) and says what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from lawful.requests.context import RequestsContext
from lawful.requests.models import RightsRequest

ChangeHook = Callable[..., None]
Forwarder = Callable[..., Any]  # (runtime, request, *, now, skip) -> list[ForwardResult]
CHANGE_HOOKS: list[ChangeHook] = []
# Who tells the business systems of a decision on a person's records (a restriction placed
# or lifted): `lawful.markers`, registered by the composition root with its job queue.
DecisionHook = Callable[..., None]
DECISION_HOOKS: dict[str, DecisionHook] = {}
FORWARDERS: list[Forwarder] = []


def register(*, change_hook: ChangeHook | None = None, forwarder: Forwarder | None = None) -> None:
    """Add a hook or a forwarder once (opening the platform again adds nothing)."""
    if change_hook is not None and change_hook not in CHANGE_HOOKS:
        CHANGE_HOOKS.append(change_hook)
    if forwarder is not None and forwarder not in FORWARDERS:
        FORWARDERS.append(forwarder)


def register_decision_hook(name: str, hook: DecisionHook) -> None:
    """Set the hook `name` (opening the platform again replaces it)."""
    DECISION_HOOKS[name] = hook


def decision_made(session: Session, **decision: Any) -> None:
    """Tell every decision hook, in the caller's transaction: `identity`, `keys` (record keys
    per dataset), `kind`, `reason`, `lift`, `actor`, `datamap`, `keyring`."""
    for hook in tuple(DECISION_HOOKS.values()):
        hook(session, **decision)


def request_changed(session: Session, *, ctx: RequestsContext, request: RightsRequest) -> None:
    """Tell every hook that `request` changed (its status, its deadline)."""
    for hook in tuple(CHANGE_HOOKS):
        hook(session, ctx=ctx, request=request)
