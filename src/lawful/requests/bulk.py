"""Decisions on many requests at once, from the queue: approve, or extend. Each request is
checked on its own, as if decided on its page, in a transaction of its own that first locks
its row: two submissions of the same selection at once decide each request once, and the
second is told why not. The result says, per request, what was done or why not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lawful.datamap.models import Jurisdiction
from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.errors import RequestError
from lawful.requests.lookup import get_request
from lawful.requests.models import RightsRequest
from lawful.requests.service import approve_request, extend_request
from lawful.store.audit import record_event

BULK_MAX = 100
ACTIONS = ("approve", "extend")


@dataclass(frozen=True)
class Outcome:
    reference: str
    done: bool
    why: str


def _once(request: RightsRequest) -> str | None:
    """An answer may be put off once: GDPR Art. 12(3) allows one extension "by two further
    months" and Cal. Civ. Code §1798.130(a)(2) one of 45 days; a second is refused here."""
    if request.extensions:
        told = str(request.extensions[-1].get("told_at", ""))[:10]
        return f"already extended once ({told}); the law allows one extension"
    return None


def extension_amount(jurisdiction: str | None, *, months: int) -> tuple[int, str]:
    """How far the law deciding the clock lets the answer be put off at once: 45 days under
    the CCPA (Cal. Civ. Code §1798.130(a)(2)), else `months` (GDPR Art. 12(3): up to two)."""
    if jurisdiction == Jurisdiction.ccpa.value:
        return 45, "extended by 45 days"
    return months, f"extended by {months} month(s)"


def bulk_decide(
    session: Session,
    *,
    ctx: RequestsContext,
    action: str,
    references: Sequence[str],
    actor: str,
    months: int = 1,
    reason: str = "",
) -> list[Outcome]:
    """Run `action` on each request in turn, committing each that succeeds."""
    if action not in ACTIONS:
        raise ValueError(action)
    wanted = list(dict.fromkeys(r.strip().upper() for r in references if r.strip()))
    outcomes = []
    for reference in wanted[:BULK_MAX]:
        outcomes.append(_decide(session, ctx=ctx, action=action, reference=reference,
                                actor=actor, months=months, reason=reason))  # fmt: skip
    # Each change has its own entry; this one says what was asked, and what was refused why.
    record_event(session, actor=actor, action="requests.bulk_decided", subject_type="request_queue",
                 subject_id="queue", details={"action": action,
                 "done": [o.reference for o in outcomes if o.done],
                 "refused": {o.reference: o.why for o in outcomes if not o.done}})  # fmt: skip
    session.commit()
    return outcomes


def _decide(
    session: Session,
    *,
    ctx: RequestsContext,
    action: str,
    reference: str,
    actor: str,
    months: int,
    reason: str,
) -> Outcome:
    try:
        if not repository.lock_reference(session, reference=reference):
            session.rollback()
            return Outcome(reference, False, "no request has this reference")
        request = get_request(session, reference=reference)
        if action == "approve":
            approve_request(session, ctx=ctx, reference=reference, actor=actor)
            done = "approved"
        else:
            refused = _once(request)
            if refused:
                session.rollback()
                return Outcome(reference, False, refused)
            amount, done = extension_amount(request.jurisdiction, months=months)
            extend_request(session, ctx=ctx, reference=reference, amount=amount,
                           reason=reason, actor=actor)  # fmt: skip
        session.commit()
    except RequestError as error:
        session.rollback()
        return Outcome(reference, False, error.message)
    return Outcome(reference, True, done)
