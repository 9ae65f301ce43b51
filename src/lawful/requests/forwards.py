"""What became of each forward of a request to a client we process the person's data for
(GDPR Art. 28(3)(e)): sent by email or webhook, or open — a to-do for staff, because the
client's method is not automated or the send failed. An open forward keeps the request from
closing until staff record what they sent, when and how; the person is then told only of
the forwards that happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from lawful.engine.package import ForwardMade
from lawful.requests import repository
from lawful.requests.context import RequestsContext
from lawful.requests.errors import ConflictError, InvalidInputError, RequestNotFoundError
from lawful.requests.forwarding import ForwardResult
from lawful.requests.lookup import get_request
from lawful.requests.models import ForwardStatus, RequestForward, RightsRequest
from lawful.requests.notify import EXECUTE_JOB
from lawful.requests.states import RequestStatus
from lawful.requests.timeline import record
from lawful.store.models import utcnow
from lawful.store.tasks import defer_job

DONE = frozenset({ForwardStatus.sent, ForwardStatus.recorded})


def save_forwards(
    session: Session, *, request: RightsRequest, results: Sequence[ForwardResult], now: datetime
) -> list[RequestForward]:
    """Keep what each send did, one row per client; a send that went closes an open row."""
    rows = {row.client: row for row in repository.forwards(session, request_id=request.id)}
    for result in results:
        row = rows.get(result.client)
        if row is None:
            row = RequestForward(request_id=request.id, client=result.client, created_at=now)
            session.add(row)
            rows[result.client] = row
        sent = result.status == "sent"
        row.client_name = result.client_name
        row.method = result.method
        row.datasets = list(result.datasets)
        row.status = ForwardStatus.sent if sent else ForwardStatus.open
        row.detail = result.detail[:300]
        row.channel = result.method if sent else None
        row.sent_at = now if sent else None
    session.flush()
    return list(rows.values())


def done_clients(session: Session, *, request: RightsRequest) -> set[str]:
    """The clients already told (sent, or recorded by staff): never sent twice."""
    rows = repository.forwards(session, request_id=request.id)
    return {row.client for row in rows if row.status in DONE}


def forwards_made(rows: Sequence[RequestForward]) -> list[ForwardMade]:
    """Only the forwards that happened, for the person's package."""
    return [
        ForwardMade(row.client_name, row.sent_at.date(), row.channel or row.method)
        for row in rows
        if row.status in DONE and row.sent_at is not None
    ]


def forward_summary(rows: Sequence[RequestForward]) -> list[dict[str, object]]:
    """The forwards for the request's result: no personal data, no staff note."""
    return [
        {
            "client": row.client,
            "client_name": row.client_name,
            "method": row.method,
            "datasets": list(row.datasets),
            "status": row.status.value,
            "channel": row.channel,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "detail": row.detail,
        }
        for row in rows
    ]


def ensure_no_open_forward(session: Session, *, request: RightsRequest) -> None:
    """A request closes only once every client holding the person was told (Art. 28(3)(e))."""
    count = repository.open_forwards(session, request_id=request.id)
    if count:
        raise ConflictError(
            f"{count} forward(s) to a client are still open: record each one as sent first."
        )


def record_forward(
    session: Session,
    *,
    ctx: RequestsContext,
    reference: str,
    client: str,
    channel: str,
    note: str,
    sent_at: datetime,
    actor: str,
    now: datetime | None = None,
) -> RightsRequest:
    """Staff say they sent the request on to `client` themselves: what, when, by which channel.
    Recorded once, whoever tries at the same time; the last one lets the request close."""
    now = now or utcnow()
    request = get_request(session, reference=reference)
    _check_record(session, request=request, client=client, sent_at=sent_at, now=now)
    closed = repository.close_forward(
        session,
        request_id=request.id,
        client=client,
        channel=" ".join(channel.split())[:40],
        note=" ".join(note.split())[:2000],
        sent_at=sent_at,
        actor=actor,
    )
    if not closed:
        raise ConflictError(f"The forward to {client} is already recorded as sent.")
    record(
        session,
        request=request,
        actor=actor,
        action="forward_recorded",
        now=now,
        details={"client": client, "channel": channel[:40]},
        staff_only={"note": note[:2000]},  # what was sent may name the person
    )
    if not repository.open_forwards(session, request_id=request.id):
        payload = {"request_id": request.id, "forwards_recorded": True}
        defer_job(session, queue=ctx.jobs, kind=EXECUTE_JOB, payload=payload)
    return request


def _check_record(
    session: Session, *, request: RightsRequest, client: str, sent_at: datetime, now: datetime
) -> None:
    if request.status is not RequestStatus.running:
        raise ConflictError(
            f"Only a running request has forwards to record; this one is {request.status.value}."
        )
    clients = {row.client for row in repository.forwards(session, request_id=request.id)}
    if client not in clients:
        raise RequestNotFoundError(
            f"This request has no forward to a client {client!r}; "
            f"its forwards: {', '.join(sorted(clients)) or 'none'}.",
            field="client",
        )
    received = request.received_at.replace(second=0, microsecond=0)  # typed to the minute
    if sent_at > now or sent_at < received:
        raise InvalidInputError(
            "The date sent must be between the request's receipt and now.", field="sent_at"
        )


def open_forwards(session: Session, *, request: RightsRequest) -> list[RequestForward]:
    """The forwards staff still have to send (and record), for the request's page."""
    rows = repository.forwards(session, request_id=request.id)
    return [row for row in rows if row.status is ForwardStatus.open]


def done_forwards(session: Session, *, request: RightsRequest) -> list[RequestForward]:
    """The forwards that went (sent automatically, or recorded by staff: who, when, how and
    what), for the request's page."""
    return [
        row for row in repository.forwards(session, request_id=request.id) if row.status in DONE
    ]


def staff_time(text: str, *, zone: tzinfo) -> datetime:
    """A date and time typed in the console (`2026-12-07T10:30`), in the installation's zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"{text[:40]!r} is not a date and time: write it as 2026-12-07T10:30.",
            field="sent_at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
