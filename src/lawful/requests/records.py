"""The end of a request's life: ID documents go when it closes, the record is kept 24 months
(11 CCR §7101(a)) and then purged; packages go when their download period ends; a request
never verified expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from lawful.law.deadlines import add_months
from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.models import RightsRequest
from lawful.requests.notify import queue_mail
from lawful.requests.states import RequestStatus
from lawful.requests.timeline import POLICY, record, transition
from lawful.store.audit import record_event
from lawful.store.models import utcnow

# A preference-center code's row is its hour's slot (preference_access): kept past the hour.
PREFERENCE_CODES_KEPT = timedelta(hours=2)

KEEP_MONTHS = 24  # 11 CCR §7101(a): request records kept at least 24 months


def close_request(
    session: Session, *, ctx: RequestsContext, request: RightsRequest, now: datetime
) -> None:
    """ID documents are deleted when a request closes; the record is kept 24 months."""
    deleted = repository.delete_documents(session, request_id=request.id)
    if deleted:
        record(
            session,
            request=request,
            actor=POLICY,
            action="documents_deleted",
            now=now,
            details={"count": deleted},
        )
    request.keep_until = _months_later(now, KEEP_MONTHS)


def _months_later(moment: datetime, months: int) -> datetime:
    day = add_months(moment.astimezone(UTC).date(), months)
    return datetime.combine(day, time.max, tzinfo=UTC)


def expire_unverified_requests(
    session: Session, *, ctx: RequestsContext, now: datetime | None = None
) -> int:
    """Close requests still unverified after `unverified_request_days`; tells each person."""
    now = now or utcnow()
    cutoff = now - timedelta(days=ctx.policy.unverified_days)
    stale = repository.unverified_since(session, before=cutoff)
    for request in stale:
        transition(
            session,
            request=request,
            to=RequestStatus.expired,
            actor=POLICY,
            action="expired",
            now=now,
            details={"days": ctx.policy.unverified_days},
        )
        close_request(session, ctx=ctx, request=request, now=now)
        queue_mail(session, ctx=ctx, request=request, kind="expired")
    return len(stale)


@dataclass(frozen=True)
class PurgeReport:
    requests: int
    packages: int


def purge_expired_records(
    session: Session, *, ctx: RequestsContext, now: datetime | None = None
) -> PurgeReport:
    """Delete closed requests kept past 24 months (11 CCR §7101(a)) with their timeline,
    codes, documents and packages, and every package past its download period. The audit
    trail keeps its entries (ids only), and records the purge."""
    now = now or utcnow()
    packages = repository.expired_packages(session, now=now)
    for package in packages:
        session.delete(package)
    old = repository.past_keeping(session, now=now)
    for request in old:
        session.delete(request)
    # Preference-center codes, once their hour's limit no longer needs them.
    repository.delete_preference_codes(session, expired_before=now - PREFERENCE_CODES_KEPT)
    session.flush()
    if old or packages:
        record_event(
            session,
            actor=POLICY,
            action="request.purged",
            subject_type="rights_request",
            subject_id="*",
            details={"requests": [r.id for r in old], "packages": len(packages)},
            at=now,
        )
    return PurgeReport(len(old), len(packages))
