"""Queries on the rights-request tables. Nothing here commits: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    UnaryExpression,
    and_,
    cast,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from lawful.law.requests import RequestType
from lawful.requests.models import (
    CodePurpose,
    DownloadLink,
    ForwardStatus,
    IdentityDocument,
    PreferenceCode,
    RequestForward,
    RequestNameToken,
    RequestNote,
    RequestPackage,
    RightsRequest,
    VerificationCode,
)
from lawful.requests.states import OPEN, RequestStatus


def by_reference(session: Session, *, reference: str) -> RightsRequest | None:
    query = select(RightsRequest).where(RightsRequest.reference == reference)
    return session.scalars(query).first()


def by_id(session: Session, *, request_id: str) -> RightsRequest | None:
    return session.get(RightsRequest, request_id)


def reference_taken(session: Session, *, reference: str) -> bool:
    query = select(RightsRequest.id).where(RightsRequest.reference == reference)
    return session.scalars(query).first() is not None


def codes(session: Session, *, request_id: str, purpose: CodePurpose) -> list[VerificationCode]:
    query = (
        select(VerificationCode)
        .where(VerificationCode.request_id == request_id, VerificationCode.purpose == purpose)
        .order_by(VerificationCode.id)
    )
    return list(session.scalars(query))


def latest_code(
    session: Session, *, request_id: str, purpose: CodePurpose
) -> VerificationCode | None:
    query = (
        select(VerificationCode)
        .where(VerificationCode.request_id == request_id, VerificationCode.purpose == purpose)
        .order_by(VerificationCode.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def documents(session: Session, *, request_id: str) -> list[IdentityDocument]:
    query = select(IdentityDocument).where(IdentityDocument.request_id == request_id)
    return list(session.scalars(query.order_by(IdentityDocument.uploaded_at)))


def delete_documents(session: Session, *, request_id: str) -> int:
    result = session.execute(
        delete(IdentityDocument).where(IdentityDocument.request_id == request_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def latest_package(session: Session, *, request_id: str) -> RequestPackage | None:
    query = (
        select(RequestPackage)
        .where(RequestPackage.request_id == request_id)
        .order_by(RequestPackage.created_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def link_by_token(session: Session, *, token_hash: str) -> DownloadLink | None:
    query = select(DownloadLink).where(DownloadLink.token_hash == token_hash)
    return session.scalars(query).first()


def expired_packages(session: Session, *, now: datetime) -> list[RequestPackage]:
    query = select(RequestPackage).where(RequestPackage.expires_at < now)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Search:
    """What a search box's text may be: a reference (or its start), an email address (its
    blind index), the words of a name (their blind indexes, all of them). Any may match."""

    reference: str | None = None
    reference_prefix: bool = False
    email_index: str | None = None
    name_indexes: Sequence[str] = ()


@dataclass(frozen=True)
class RequestFilter:
    """Filters of the staff queue; `today` is the organisation's date, for due/overdue."""

    statuses: Sequence[RequestStatus] = ()
    types: Sequence[RequestType] = ()
    due: str | None = None  # "open" (due, not overdue), "overdue", "soon" (within 7 days)
    today: date | None = None
    soon_days: int = 7
    email_index: str | None = None
    search: Search | None = None
    jurisdictions: Sequence[str] = ()  # "none": no law applies
    assignee: str | None = None  # a staff id, or "none" for no one
    sort: str = "due"


SORTS: dict[str, tuple[UnaryExpression[Any], ...]] = {
    "due": (RightsRequest.respond_by.asc(), RightsRequest.received_at.asc()),
    "newest": (RightsRequest.received_at.desc(),),
    "oldest": (RightsRequest.received_at.asc(),),
    "reference": (RightsRequest.reference.asc(),),
    "status": (RightsRequest.status.asc(), RightsRequest.respond_by.asc()),
}


def _searched(search: Search) -> ColumnElement[bool]:
    found: list[ColumnElement[bool]] = []
    if search.reference:
        column = RightsRequest.reference
        found.append(
            column.startswith(search.reference, autoescape=True)
            if search.reference_prefix
            else column == search.reference
        )
    if search.email_index:
        found.append(RightsRequest.email_index == search.email_index)
    if search.name_indexes:
        words = [
            exists().where(
                RequestNameToken.request_id == RightsRequest.id,
                RequestNameToken.token_index == index,
            )
            for index in search.name_indexes
        ]
        found.append(and_(*words))
    return or_(*found) if found else false()


def _filtered(
    query: Select[tuple[RightsRequest]], wanted: RequestFilter
) -> Select[tuple[RightsRequest]]:
    if wanted.statuses:
        query = query.where(RightsRequest.status.in_(list(wanted.statuses)))
    if wanted.types:
        query = query.where(RightsRequest.request_type.in_(list(wanted.types)))
    if wanted.email_index:
        query = query.where(RightsRequest.email_index == wanted.email_index)
    if wanted.search is not None:
        query = query.where(_searched(wanted.search))
    if wanted.jurisdictions:
        # The law that decides the clock, or any other that applies (the list holds enum
        # values only, quoted in its JSON text).
        either: list[ColumnElement[bool]] = []
        for law in (j for j in wanted.jurisdictions if j != "none"):
            either.append(RightsRequest.jurisdiction == law)
            either.append(cast(RightsRequest.jurisdictions, String).contains(f'"{law}"'))
        if "none" in wanted.jurisdictions:
            either.append(RightsRequest.jurisdiction.is_(None))
        query = query.where(or_(*either))
    if wanted.assignee == "none":
        query = query.where(RightsRequest.assignee_id.is_(None))
    elif wanted.assignee:
        query = query.where(RightsRequest.assignee_id == wanted.assignee)
    if wanted.due is not None and wanted.today is not None:
        query = query.where(RightsRequest.status.in_(list(OPEN)))
        if wanted.due == "overdue":
            query = query.where(RightsRequest.respond_by < wanted.today)
        elif wanted.due == "soon":
            last = date.fromordinal(wanted.today.toordinal() + wanted.soon_days)
            query = query.where(RightsRequest.respond_by.between(wanted.today, last))
        else:
            query = query.where(RightsRequest.respond_by >= wanted.today)
    return query


def list_requests(
    session: Session, *, wanted: RequestFilter, limit: int, offset: int
) -> tuple[list[RightsRequest], int]:
    """A page of requests, earliest answer date first, and how many match in all."""
    query = _filtered(select(RightsRequest), wanted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(*SORTS.get(wanted.sort, SORTS["due"]), RightsRequest.id)
    return list(session.scalars(page.limit(limit).offset(offset))), int(total)


def lock_reference(session: Session, *, reference: str) -> bool:
    """`lock_request` by reference, then forget what this session read of it: the next read
    sees what a parallel transaction committed before the lock was ours. False: no such."""
    result = session.execute(
        update(RightsRequest)
        .where(RightsRequest.reference == reference)
        .values(updated_at=RightsRequest.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return int(getattr(result, "rowcount", 0) or 0) == 1


def unindexed_names(session: Session, *, limit: int) -> list[RightsRequest]:
    """Requests stored before names had word indexes (`request_name_tokens`)."""
    query = select(RightsRequest).where(RightsRequest.name_tokens_ready.is_(False))
    return list(session.scalars(query.order_by(RightsRequest.id).limit(limit)))


def count_unindexed_names(session: Session) -> int:
    query = select(func.count()).where(RightsRequest.name_tokens_ready.is_(False))
    return int(session.scalar(query) or 0)


def notes(session: Session, *, request_id: str) -> list[RequestNote]:
    query = select(RequestNote).where(RequestNote.request_id == request_id)
    return list(session.scalars(query.order_by(RequestNote.at, RequestNote.id)))


def unverified_since(session: Session, *, before: datetime) -> list[RightsRequest]:
    """Requests still waiting for proof of identity, received before `before`."""
    query = select(RightsRequest).where(
        RightsRequest.status.in_([RequestStatus.received, RequestStatus.verifying]),
        RightsRequest.received_at < before,
    )
    return list(session.scalars(query))


def past_keeping(session: Session, *, now: datetime) -> list[RightsRequest]:
    """Closed requests whose keeping period (11 CCR §7101) is over."""
    query = select(RightsRequest).where(
        RightsRequest.keep_until.is_not(None), RightsRequest.keep_until < now
    )
    return list(session.scalars(query))


def claim_link(session: Session, *, link_id: int, now: datetime) -> bool:
    """Mark a download link used, atomically: of two concurrent uses, only one wins."""
    result = session.execute(
        update(DownloadLink)
        .where(DownloadLink.id == link_id, DownloadLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def count_download(session: Session, *, package_id: str) -> None:
    """One more download of the package, counted in the database (`downloads + 1`): parallel
    downloads each add theirs, where reading, adding and writing back would lose some."""
    session.execute(
        update(RequestPackage)
        .where(RequestPackage.id == package_id)
        .values(downloads=RequestPackage.downloads + 1)
        .execution_options(synchronize_session=False)
    )


def lock_request(session: Session, *, request_id: str) -> None:
    """Hold the request's row until the transaction ends, so counts read next (codes sent,
    documents) stay exact under parallel calls: a row lock on PostgreSQL, the single write
    lock on SQLite (a no-op UPDATE takes both, where SELECT … FOR UPDATE would not on SQLite)."""
    session.execute(
        update(RightsRequest)
        .where(RightsRequest.id == request_id)
        .values(updated_at=RightsRequest.updated_at)
        .execution_options(synchronize_session=False)
    )


def count_documents(session: Session, *, request_id: str) -> int:
    query = select(func.count()).where(IdentityDocument.request_id == request_id)
    return int(session.scalar(query) or 0)


def take_code_attempt(session: Session, *, code_id: int, limit: int) -> int | None:
    """Count one try of a code, atomically: one conditional UPDATE, so parallel tries can
    never take more than `limit` between them. The try's number (1..limit), or None when
    the code is used, locked or out of tries."""
    result = session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.id == code_id,
            VerificationCode.attempts < limit,
            VerificationCode.used_at.is_(None),
            VerificationCode.locked_at.is_(None),
        )
        .values(attempts=VerificationCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        return None
    # This transaction now holds the row (PostgreSQL) or the database (SQLite): no one else
    # can change it before the commit, so this reads our own try's number.
    query = select(VerificationCode.attempts).where(VerificationCode.id == code_id)
    return int(session.scalars(query).one())


def close_code(session: Session, *, code_id: int, now: datetime, lock: bool) -> bool:
    """Mark a code used (a right try) or locked (the last wrong one), once: False when a
    parallel try already closed it."""
    values = {"locked_at": now} if lock else {"used_at": now}
    result = session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.id == code_id,
            VerificationCode.used_at.is_(None),
            VerificationCode.locked_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def forwards(session: Session, *, request_id: str) -> list[RequestForward]:
    query = (
        select(RequestForward)
        .where(RequestForward.request_id == request_id)
        .order_by(RequestForward.id)
    )
    return list(session.scalars(query))


def open_forwards(session: Session, *, request_id: str) -> int:
    query = select(func.count()).where(
        RequestForward.request_id == request_id, RequestForward.status == ForwardStatus.open
    )
    return int(session.scalar(query) or 0)


def close_forward(
    session: Session,
    *,
    request_id: str,
    client: str,
    channel: str,
    note: str,
    sent_at: datetime,
    actor: str,
) -> bool:
    """Mark an open forward as sent by staff, in one conditional UPDATE: of many attempts at
    once, exactly one changes the row (True); the others find it no longer open."""
    result = session.execute(
        update(RequestForward)
        .where(
            RequestForward.request_id == request_id,
            RequestForward.client == client,
            RequestForward.status == ForwardStatus.open,
        )
        .values(
            status=ForwardStatus.recorded,
            channel=channel,
            note=note,
            sent_at=sent_at,
            recorded_by=actor,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


# --- for the metrics (`lawful.reports.metrics`) -----------------------------------------------


class CountedRequest(NamedTuple):
    """What the metrics count of one request: no identity, no details."""

    request_type: RequestType
    status: RequestStatus
    received_at: datetime
    closed_at: datetime | None
    jurisdiction: str | None
    respond_by: date | None
    denial_reason: str | None
    jurisdictions: list[str] | None


def counted_requests(session: Session, *, since: datetime | None = None) -> list[CountedRequest]:
    """Every request (received since `since`, if given) as the metrics count it, oldest first."""
    query = select(
        RightsRequest.request_type,
        RightsRequest.status,
        RightsRequest.received_at,
        RightsRequest.closed_at,
        RightsRequest.jurisdiction,
        RightsRequest.respond_by,
        RightsRequest.denial_reason,
        RightsRequest.jurisdictions,
    ).order_by(RightsRequest.received_at)
    if since is not None:
        query = query.where(RightsRequest.received_at >= since)
    return [CountedRequest(*row) for row in session.execute(query)]


def delete_preference_codes(session: Session, *, expired_before: datetime) -> None:
    session.execute(delete(PreferenceCode).where(PreferenceCode.expires_at < expired_before))
