"""The rights requests of the platform store as the metrics library's records (CCPA §7102,
`lawful.reports.metrics`): read here, in the domain that owns the table, so the documents
library counts what it is given and queries nothing (no identity is read)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from lawful.law.requests import RequestType
from lawful.reports.metrics import Outcome, RequestRecord
from lawful.requests import repository
from lawful.requests.states import OPEN, RequestStatus

_OUTCOMES = {
    RequestStatus.completed: Outcome.complied,
    RequestStatus.partially_completed: Outcome.complied_in_part,
    # Sent on to the client whose data it is, as its service provider: answered, in part.
    RequestStatus.forwarded: Outcome.complied_in_part,
    RequestStatus.denied: Outcome.denied,
    RequestStatus.expired: Outcome.denied,  # never verified: denied as not verifiable
    RequestStatus.cancelled: Outcome.withdrawn,
}


def request_records(session: Session, *, since: datetime | None = None) -> list[RequestRecord]:
    """The rights requests of the platform store as metrics records (no identity read)."""
    return [_record(*row) for row in repository.counted_requests(session, since=since)]


def _record(
    kind: RequestType,
    status: RequestStatus,
    received_at: datetime,
    closed_at: datetime | None,
    jurisdiction: str | None,
    respond_by: date | None,
    denial_reason: str | None,
    jurisdictions: list[str] | None,
) -> RequestRecord:
    outcome = Outcome.pending if status in OPEN else _OUTCOMES.get(status, Outcome.withdrawn)
    reason = "not_verifiable" if status is RequestStatus.expired else denial_reason
    return RequestRecord(kind.value, received_at, closed_at if outcome is not Outcome.pending else None,
                         outcome, jurisdiction, respond_by, reason, tuple(jurisdictions or ()))  # fmt: skip
