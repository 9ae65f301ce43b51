"""A request's deadlines, computed by `lawful.law` at receipt for the laws that cover the
person (strictest first), stored as dates for the queue, and rebuilt from receipt and the
recorded extensions whenever the law must be asked again (extension, status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from lawful.datamap.models import Jurisdiction, Organization
from lawful.law.calendars import Calendar, calendar_for, next_business_day
from lawful.law.deadlines import (
    RULES,
    DeadlineError,
    Deadlines,
    DeadlineStatus,
    add_months,
    extend,
    status,
    strictest_deadlines,
)
from lawful.law.jurisdictions import applicable_jurisdictions
from lawful.law.requests import DeadlineKind, RequestType
from lawful.requests.models import RightsRequest

# With no law giving the right, Lawful still answers within its own target.
OWN_TARGET = RULES[DeadlineKind.no_statutory_period].respond


@dataclass(frozen=True)
class Receipt:
    jurisdictions: tuple[Jurisdiction, ...]  # every law covering the person, strictest first
    deadlines: Deadlines | None  # None: none of them gives this right


def calendars(organization: Organization) -> dict[Jurisdiction, Calendar]:
    """The answering establishment's holidays for every GDPR-family law (Reg. 1182/71
    Art. 2); the CCPA keeps California's business days (`default_calendar`)."""
    own = calendar_for(organization.address.country, organization.address.region)
    return {j: own for j in Jurisdiction if j is not Jurisdiction.ccpa}


def at_receipt(
    *,
    organization: Organization,
    request_type: RequestType,
    country: str,
    region: str | None,
    received_at: datetime,
    tz: tzinfo,
) -> Receipt:
    """The laws covering the person and the deadlines they set for this request."""
    applicable = applicable_jurisdictions(
        organization=organization, residence_country=country, residence_region=region
    )
    found = tuple(a.jurisdiction for a in applicable)
    try:
        deadlines = strictest_deadlines(
            request_type=request_type,
            jurisdictions=found,
            received_at=received_at,
            tz=tz,
            calendars=calendars(organization),
        )
    except DeadlineError:
        return Receipt(found, None)
    return Receipt(found, deadlines)


def store_deadlines(
    request: RightsRequest, receipt: Receipt, *, organization: Organization, tz: tzinfo
) -> None:
    request.jurisdictions = [j.value for j in receipt.jurisdictions]
    deadlines = receipt.deadlines
    if deadlines is None:
        received_on = request.received_at.astimezone(tz).date()
        own = calendar_for(organization.address.country, organization.address.region)
        request.jurisdiction = None
        request.respond_by = next_business_day(add_months(received_on, OWN_TARGET.amount), own)
        request.respond_by_citation = OWN_TARGET.citation
        return
    write_deadlines(request, deadlines)


def write_deadlines(request: RightsRequest, deadlines: Deadlines) -> None:
    request.jurisdiction = deadlines.jurisdiction.value
    request.respond_by = deadlines.respond_by.day
    request.respond_by_citation = deadlines.respond_by.citation[:400]
    request.acknowledge_by = deadlines.acknowledge_by.day if deadlines.acknowledge_by else None
    notice = deadlines.extension_notice_by
    request.extension_notice_by = notice.day if notice else None
    limit = deadlines.max_extended_by
    request.max_extended_by = limit.day if limit else None


def rebuild(request: RightsRequest, organization: Organization) -> Deadlines | None:
    """The request's deadlines as the law computes them today, extensions replayed."""
    if request.jurisdiction is None:
        return None
    deciding = Jurisdiction(request.jurisdiction)
    laws = [Jurisdiction(j) for j in request.jurisdictions] or [deciding]
    deadlines = strictest_deadlines(
        request_type=request.request_type,
        jurisdictions=laws,
        received_at=request.received_at,
        tz=ZoneInfo(request.timezone),
        calendars=calendars(organization),
    )
    for done in request.extensions:
        deadlines = extend(
            deadlines,
            months_or_days=int(done["amount"]),
            reason=str(done["reason"]),
            told_at=datetime.fromisoformat(str(done["told_at"])),
        )
    return deadlines


def extended(
    request: RightsRequest, organization: Organization, *, amount: int, reason: str, now: datetime
) -> Deadlines:
    """The deadlines once extended; DeadlineError (with the law's words) when not allowed."""
    deadlines = rebuild(request, organization)
    if deadlines is None:
        raise DeadlineError(
            "No law sets this request's date (it is Lawful's own target), so there is "
            f"nothing to extend: answer by {request.respond_by}."
        )
    return extend(deadlines, months_or_days=amount, reason=reason, told_at=now)


def deadline_status(
    request: RightsRequest, organization: Organization, now: datetime
) -> DeadlineStatus:
    """Due, due soon, overdue or extended (`lawful.law.deadlines.status`)."""
    deadlines = rebuild(request, organization)
    if deadlines is not None:
        return status(deadlines, now, acknowledged=request.acknowledged_at is not None)
    ends = datetime.combine(request.respond_by, time.max, tzinfo=ZoneInfo(request.timezone))
    if now > ends:
        return DeadlineStatus.overdue
    return DeadlineStatus.due_soon if now > ends - timedelta(days=7) else DeadlineStatus.due
