"""Every change of a request is written twice: in its own timeline (shown to staff and, in
part, to the person) and in the hash-chained audit trail. Neither holds personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.requests.live import note_changed
from lawful.requests.models import RequestEvent, RightsRequest
from lawful.requests.states import CLOSED, RequestStatus, check_transition
from lawful.store.audit import record_event

SUBJECT_TYPE = "rights_request"
PERSON = "person"  # the person the request is about (or whoever holds its code)
POLICY = "policy"  # Lawful itself, following the installation's policy


def transition(
    session: Session,
    *,
    request: RightsRequest,
    to: RequestStatus,
    actor: str,
    action: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> RequestEvent:
    """Move the request to `to` (TransitionError if the table forbids it), and record it."""
    check_transition(request.status, to)
    before = request.status
    request.status = to
    request.updated_at = now
    if to in CLOSED:
        request.closed_at = now
    return record(
        session,
        request=request,
        actor=actor,
        action=action,
        now=now,
        details=details,
        moved=(before, to),
    )


def record(
    session: Session,
    *,
    request: RightsRequest,
    actor: str,
    action: str,
    now: datetime,
    details: dict[str, Any] | None = None,
    moved: tuple[RequestStatus, RequestStatus] | None = None,
    staff_only: dict[str, Any] | None = None,
) -> RequestEvent:
    """A timeline entry and its audit entry, with or without a change of status.
    `staff_only` goes to the timeline alone (e.g. a datastore's error message)."""
    facts = dict(details or {})
    # Through the many-to-one side: the request's timeline is not read from the database
    # just to add to it (it is read, with this entry, when someone looks at it).
    entry = RequestEvent(
        request=request,
        request_id=request.id,
        at=now,
        actor=actor,
        action=action,
        from_status=moved[0].value if moved else None,
        to_status=moved[1].value if moved else None,
        details={**facts, **(staff_only or {})},
    )
    session.add(entry)
    note_changed(session, request.id)  # whoever follows it hears of it once this commits
    audit = {"reference": request.reference, "type": request.request_type.value, **facts}
    if moved:
        audit |= {"from": moved[0].value, "to": moved[1].value}
    record_event(
        session,
        actor=actor,
        action=f"request.{action}",
        subject_type=SUBJECT_TYPE,
        subject_id=request.id,
        details=audit,
        at=now,
    )
    return entry
