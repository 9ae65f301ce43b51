"""What staff and the person see of requests: the queue with its deadlines, one request with
its timeline and result, and the person's own status page. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from lawful.datamap.models import Jurisdiction
from lawful.law.deadlines import DeadlineStatus
from lawful.law.denials import DENIAL_GROUNDS, DenialReason, valid_reasons
from lawful.law.requests import REQUEST_TYPES, RequestType
from lawful.requests import repository
from lawful.requests.clock import deadline_status
from lawful.requests.context import RequestsContext
from lawful.requests.errors import InvalidInputError
from lawful.requests.identity import PersonIdentity, open_details, open_identity
from lawful.requests.models import RightsRequest
from lawful.requests.repository import RequestFilter
from lawful.requests.service import get_request, request_for_person
from lawful.requests.states import COMPLIED, TRANSITIONS, RequestStatus
from lawful.store.models import utcnow

DUE_FILTERS = ("due", "soon", "overdue")
MAX_PAGE = 200


@dataclass(frozen=True)
class RequestSummary:
    reference: str
    request_type: RequestType
    status: RequestStatus
    channel: str
    received_at: datetime
    respond_by: date
    deadline: DeadlineStatus | None  # None once closed
    extended: bool
    jurisdiction: str | None
    verification: str
    agent: str | None = None  # the authorized agent who sent it (DRP), by name


def summarize(ctx: RequestsContext, request: RightsRequest, now: datetime) -> RequestSummary:
    open_ = bool(TRANSITIONS[request.status])
    return RequestSummary(
        reference=request.reference,
        request_type=request.request_type,
        status=request.status,
        channel=request.channel,
        received_at=request.received_at,
        respond_by=request.respond_by,
        deadline=deadline_status(request, ctx.datamap.organization, now) if open_ else None,
        extended=bool(request.extensions),
        jurisdiction=request.jurisdiction,
        verification=request.verification_level.value,
        agent=request.agent,
    )


@dataclass(frozen=True)
class Page:
    items: list[RequestSummary]
    total: int
    limit: int
    offset: int


def list_requests(
    session: Session,
    *,
    ctx: RequestsContext,
    statuses: list[str] | None = None,
    types: list[str] | None = None,
    due: str | None = None,
    email: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> Page:
    """The staff queue, earliest answer date first. `due`: due (open, not overdue), soon
    (within 7 days), overdue — counted in the organisation's days."""
    now = now or utcnow()
    wanted = RequestFilter(
        statuses=_parse(statuses, RequestStatus, "status"),
        types=_parse(types, RequestType, "type"),
        due=_due(due),
        today=now.astimezone(ctx.zone()).date(),
        email_index=ctx.keyring.index(f"email:{email.strip().lower()}") if email else None,
    )
    limit = max(1, min(limit, MAX_PAGE))
    rows, total = repository.list_requests(
        session, wanted=wanted, limit=limit, offset=max(0, offset)
    )
    return Page([summarize(ctx, r, now) for r in rows], total, limit, offset)


def _parse(values: list[str] | None, kind: Any, name: str) -> list[Any]:
    found = []
    for value in values or []:
        try:
            found.append(kind(value))
        except ValueError:
            known = ", ".join(m.value for m in kind)
            raise InvalidInputError(
                f"Unknown {name} {value!r}; use one of: {known}.", field=name
            ) from None
    return found


def _due(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in DUE_FILTERS:
        raise InvalidInputError(
            f"Unknown due filter {value!r}; use one of: {', '.join(DUE_FILTERS)}.", field="due"
        )
    return value


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    details: dict[str, Any]


class DetailFacts(BaseModel):
    """One request's own facts for staff: declared once, for the console (`RequestDetail`)
    and the API (`schemas.DetailOut`) alike."""

    model_config = ConfigDict(frozen=True)

    details: dict[str, Any]
    residence: str
    jurisdictions: list[str]
    respond_by_citation: str
    acknowledge_by: date | None
    acknowledged_at: datetime | None
    extension_notice_by: date | None
    max_extended_by: date | None
    extensions: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    package: dict[str, Any] | None
    result: dict[str, Any] | None
    denial_reason: str | None
    denial_reasons: list[str]  # those the law allows here
    next_statuses: list[str]


class RequestDetail(DetailFacts):
    """One request for staff: its facts, its summary, who asked, and its timeline."""

    summary: RequestSummary
    person: PersonIdentity
    timeline: list[TimelineEntry]


def request_detail(
    session: Session, *, ctx: RequestsContext, reference: str, now: datetime | None = None
) -> RequestDetail:
    """One request for staff: who asked (decrypted), its clock, timeline, documents, result."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    package = repository.latest_package(session, request_id=request.id)
    jurisdiction = Jurisdiction(request.jurisdiction) if request.jurisdiction else None
    residence = "-".join(p for p in (request.residence_country, request.residence_region) if p)
    return RequestDetail(
        summary=summarize(ctx, request, now),
        person=open_identity(ctx.keyring, request),
        details=open_details(ctx.keyring, request),
        residence=residence,
        jurisdictions=list(request.jurisdictions),
        respond_by_citation=request.respond_by_citation,
        acknowledge_by=request.acknowledge_by,
        acknowledged_at=request.acknowledged_at,
        extension_notice_by=request.extension_notice_by,
        max_extended_by=request.max_extended_by,
        extensions=list(request.extensions),
        timeline=[_entry(e) for e in request.events],
        documents=[
            {
                "id": d.id,
                "content_type": d.content_type,
                "size": d.size,
                "uploaded_at": d.uploaded_at,
            }
            for d in repository.documents(session, request_id=request.id)
        ],
        package=_package(package),
        result=request.result,
        denial_reason=request.denial_reason,
        denial_reasons=[r.value for r in valid_reasons(request.request_type, jurisdiction)],
        next_statuses=sorted(s.value for s in TRANSITIONS[request.status]),
    )


def _entry(event: Any) -> TimelineEntry:
    return TimelineEntry(
        event.at,
        event.actor,
        event.action,
        event.from_status,
        event.to_status,
        dict(event.details or {}),
    )


def _package(package: Any) -> dict[str, Any] | None:
    if package is None:
        return None
    return {
        "id": package.id,
        "size": package.size,
        "created_at": package.created_at,
        "expires_at": package.expires_at,
        "downloads": package.downloads,
    }


# What the person is shown of their own timeline.
PUBLIC_ACTIONS = frozenset(
    {
        "received",
        "code_sent",
        "code_accepted",
        "verified",
        "approved",
        "running",
        "extended",
        "denied",
        "cancelled",
        "expired",
        "completed",
        "partially_completed",
        "forwarded",
        "downloaded",
    }
)


@dataclass(frozen=True)
class PersonStatus:
    reference: str
    request_type: RequestType
    type_title: str
    status: RequestStatus
    received_on: date
    respond_by: date
    extensions: list[dict[str, Any]]
    denial: dict[str, str] | None
    package_until: date | None
    timeline: list[tuple[datetime, str]]


def person_status(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    status_token: str,
    now: datetime | None = None,
) -> PersonStatus:
    """The person's view: where their request stands, by when, and why (with the token)."""
    now = now or utcnow()
    request = request_for_person(session, ctx=ctx, reference=reference, status_token=status_token)
    tz = ZoneInfo(request.timezone)
    package = repository.latest_package(session, request_id=request.id)
    ready = package is not None and request.status in COMPLIED and now <= package.expires_at
    ground = DENIAL_GROUNDS[DenialReason(request.denial_reason)] if request.denial_reason else None
    return PersonStatus(
        reference=request.reference,
        request_type=request.request_type,
        type_title=REQUEST_TYPES[request.request_type].title,
        status=request.status,
        received_on=request.received_at.astimezone(tz).date(),
        respond_by=request.respond_by,
        extensions=[{"reason": e["reason"], "previous": e["previous"]} for e in request.extensions],
        denial={"title": ground.title, "explanation": ground.explanation} if ground else None,
        package_until=package.expires_at.astimezone(tz).date() if ready and package else None,
        timeline=[(e.at, e.action) for e in request.events if e.action in PUBLIC_ACTIONS],
    )
