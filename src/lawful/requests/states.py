"""The life of a rights request as an explicit state machine (DESIGN.md §3).

received → verifying → verified → approved | denied → running → completed |
partially_completed | forwarded; a request not yet running may be cancelled, and one never
verified expires. Every other move raises: no code path can skip a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from lawful.requests.errors import RequestError


class RequestStatus(StrEnum):
    received = "received"  # stored, deadline running, nothing checked yet
    verifying = "verifying"  # a code (or stronger proof) was asked for
    verified = "verified"  # the person is who they say (or no proof is needed)
    approved = "approved"  # staff or policy said go: execution is queued
    denied = "denied"  # refused, with a reason from the fixed list
    running = "running"  # the engine is working on it
    completed = "completed"  # done in full
    partially_completed = "partially_completed"  # done, but some data was kept or left
    forwarded = "forwarded"  # all the person's data is a client's: sent on to the client
    cancelled = "cancelled"  # withdrawn by the person or closed by staff before running
    expired = "expired"  # never verified in time


S = RequestStatus
TRANSITIONS: Mapping[RequestStatus, frozenset[RequestStatus]] = {
    S.received: frozenset({S.verifying, S.verified, S.denied, S.cancelled, S.expired}),
    S.verifying: frozenset({S.verified, S.denied, S.cancelled, S.expired}),
    S.verified: frozenset({S.approved, S.denied, S.cancelled}),
    S.approved: frozenset({S.running, S.cancelled}),
    S.running: frozenset({S.completed, S.partially_completed, S.forwarded}),
    S.denied: frozenset(),
    S.completed: frozenset(),
    S.partially_completed: frozenset(),
    S.forwarded: frozenset(),
    S.cancelled: frozenset(),
    S.expired: frozenset(),
}

OPEN: frozenset[RequestStatus] = frozenset(s for s, targets in TRANSITIONS.items() if targets)
CLOSED: frozenset[RequestStatus] = frozenset(RequestStatus) - OPEN
# Done in the person's favour (in whole or in part): counted as complied with (11 CCR §7102).
COMPLIED: frozenset[RequestStatus] = frozenset({S.completed, S.partially_completed, S.forwarded})


class TransitionError(RequestError):
    """A move the state machine does not allow; says what the request can do instead."""

    http_status = 409
    code = "invalid_transition"

    def __init__(self, current: RequestStatus, target: RequestStatus) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing: it is closed"
        super().__init__(
            f"A request that is {current.value} cannot become {target.value}; "
            f"from {current.value} it can become: {allowed}.",
            field="status",
        )
        self.current = current
        self.target = target


def check_transition(current: RequestStatus, target: RequestStatus) -> None:
    """Raise TransitionError unless `current → target` is in the table."""
    if target not in TRANSITIONS[current]:
        raise TransitionError(current, target)
