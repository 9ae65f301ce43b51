"""The staff queue as the console shows it: searched (`search.py`), filtered by status, type,
law, deadline and assignee, sorted, a bounded page at a time; each row with its assignee by
name and the person's email masked. The CSV export (`export.py`) shows the same, no more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lawful.datamap.models import Jurisdiction
from lawful.law.requests import RequestType
from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.desk import index_names, mask_email, staff_names
from lawful.requests.errors import InvalidInputError
from lawful.requests.identity import open_identity
from lawful.requests.repository import SORTS, RequestFilter
from lawful.requests.search import parse_search
from lawful.requests.states import RequestStatus
from lawful.requests.views import RequestSummary, _due, _parse, summarize
from lawful.store.models import utcnow

SORT_TITLES = {
    "due": "Answer date, earliest first",
    "newest": "Received, newest first",
    "oldest": "Received, oldest first",
    "reference": "Reference",
    "status": "Status",
}
JURISDICTIONS = (*(j.value for j in Jurisdiction), "none")


@dataclass(frozen=True)
class QueueQuery:
    """The queue's query string, as typed: checked by `filter_for`."""

    q: str = ""
    status: str = ""
    type: str = ""
    jurisdiction: str = ""
    due: str = ""
    assignee: str = ""  # "me", "none", or a staff id
    sort: str = "due"


@dataclass(frozen=True)
class QueueRow:
    summary: RequestSummary
    email: str  # masked
    assignee: str | None  # by name


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int


def filter_for(
    session: Session, *, ctx: RequestsContext, query: QueueQuery, me: str, now: datetime
) -> RequestFilter:
    """The repository's filter for `query`; InvalidInputError naming the field when a value
    is not one the page offers."""
    search = parse_search(ctx.keyring, query.q)
    if search is not None and search.name_indexes:
        _index_older_names(session, ctx=ctx)
    if query.jurisdiction and query.jurisdiction not in JURISDICTIONS:
        raise InvalidInputError(
            f"Unknown law {query.jurisdiction[:40]!r}; use one of: {', '.join(JURISDICTIONS)}.",
            field="jurisdiction",
        )
    if query.sort not in SORTS:
        raise InvalidInputError(
            f"Unknown order {query.sort[:40]!r}; use one of: {', '.join(SORTS)}.", field="sort"
        )
    assignee = me if query.assignee == "me" else query.assignee
    if assignee and assignee != "none" and assignee not in staff_names(session):
        raise InvalidInputError(
            "No staff member has that id; pick a name from the list.", field="assignee"
        )
    return RequestFilter(
        statuses=_parse([query.status] if query.status else None, RequestStatus, "status"),
        types=_parse([query.type] if query.type else None, RequestType, "type"),
        due=_due(query.due or None),
        today=now.astimezone(ctx.zone()).date(),
        search=search,
        jurisdictions=[query.jurisdiction] if query.jurisdiction else [],
        assignee=assignee or None,
        sort=query.sort,
    )


def _index_older_names(session: Session, *, ctx: RequestsContext) -> None:
    """Requests stored before names had word indexes get theirs before a search by name
    (committed at once; a parallel search doing the same wins, and this one reads its work)."""
    if not repository.unindexed_names(session, limit=1):
        return
    try:
        while index_names(session, keyring=ctx.keyring):
            session.commit()
    except IntegrityError:
        session.rollback()


def queue_page(
    session: Session,
    *,
    ctx: RequestsContext,
    wanted: RequestFilter,
    limit: int,
    offset: int,
    now: datetime | None = None,
) -> QueuePage:
    now = now or utcnow()
    found, total = repository.list_requests(session, wanted=wanted, limit=limit, offset=offset)
    names = staff_names(session)
    rows = [
        QueueRow(
            summary=summarize(ctx, request, now),
            email=mask_email(open_identity(ctx.keyring, request).email),
            assignee=names.get(request.assignee_id) if request.assignee_id else None,
        )
        for request in found
    ]
    return QueuePage(rows, total)
