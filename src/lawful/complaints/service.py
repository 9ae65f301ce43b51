"""The complaints register's services: receive a complaint or an authority's inquiry, link
the rights requests it is about, add notes, answer and close it; each step audited (ids and
field names only, never the sealed texts). Services never commit: the command, request or
task that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawful.complaints import repository
from lawful.complaints.authorities import (
    AUTHORITIES,
    AUTHORITY_DEFAULT_BASIS,
    AUTHORITY_DEFAULT_DAYS,
    PERSON_DEFAULT_BASIS,
    PERSON_DEFAULT_DAYS,
)
from lawful.complaints.errors import ComplaintNotFoundError, InvalidComplaintError
from lawful.complaints.models import Complaint, ComplaintNote, ComplaintStatus, Source
from lawful.requests.identity import folded
from lawful.requests.models import RightsRequest
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow
from lawful.store.numbering import insert_numbered

MAX_SUBJECT = 200
MAX_NOTE = 5000


@dataclass(frozen=True)
class NewComplaint:
    """A complaint or inquiry as staff enter it, not yet checked."""

    subject: str
    source: str
    authority: str | None = None
    authority_reference: str | None = None
    received_at: datetime | None = None
    deadline: date | None = None
    complainant: str | None = None  # the person's name and contact, sealed
    linked_requests: Sequence[str] = ()


def receive_complaint(
    session: Session, *, keyring: Keyring, new: NewComplaint, actor: str, at: datetime | None = None
) -> Complaint:
    """Register a complaint (GDPR Art. 77) or an authority's inquiry (Art. 57(1)(f), 58(1)).

    The deadline is the one the authority set, or a default that names its article."""
    now = at or utcnow()
    subject = new.subject.strip()
    if not subject or len(subject) > MAX_SUBJECT:
        raise InvalidComplaintError(
            f"Give a subject of 1 to {MAX_SUBJECT} characters, describing the matter without "
            "naming the person.",
            field="subject",
        )
    try:
        source = Source(new.source)
    except ValueError:
        raise InvalidComplaintError(
            f"Say where it came from: {', '.join(s.value for s in Source)}.", field="source"
        ) from None
    authority = _authority(source, new.authority)
    received = (new.received_at or now).astimezone(UTC)
    if received > now:
        raise InvalidComplaintError(
            "The day it was received is in the future.", field="received_at"
        )
    deadline, basis = _deadline(source, authority, received, new.deadline)
    linked = _checked_references(session, new.linked_requests)
    complaint = insert_numbered(
        session,
        Complaint.reference,
        "CP",
        now,
        lambda reference: Complaint(
            reference=reference,
            subject=subject,
            source=source,
            authority=authority,
            authority_reference=(new.authority_reference or "").strip() or None,
            received_at=received,
            deadline=deadline,
            deadline_basis=basis,
            linked_requests=linked,
            created_by=actor,
            created_at=now,
            updated_at=now,
        ),
    )
    if new.complainant and new.complainant.strip():
        _seal_complainant(keyring, complaint, new.complainant.strip())
    details: dict[str, Any] = {"source": source.value, "deadline": deadline.isoformat(),
                               "linked_requests": linked}  # fmt: skip
    if authority:
        details["authority"] = authority
    _audit(session, complaint, actor, "complaint.received", details, now)
    return complaint


def _authority(source: Source, code: str | None) -> str | None:
    code = (code or "").strip().upper() or None
    if source is Source.authority and code is None:
        raise InvalidComplaintError(
            f"Name the authority that wrote: {', '.join(AUTHORITIES)}.", field="authority"
        )
    if code is not None and code not in AUTHORITIES:
        raise InvalidComplaintError(
            f"Unknown authority {code!r}; known: {', '.join(AUTHORITIES)}.", field="authority"
        )
    return code


def _deadline(
    source: Source, authority: str | None, received: datetime, given: date | None
) -> tuple[date, str]:
    if given is not None:
        if given < received.date():
            raise InvalidComplaintError(
                "The deadline is before the day it was received.", field="deadline"
            )
        return given, f"set by {authority}" if authority else "set by staff"
    if source is Source.authority:
        return received.date() + timedelta(days=AUTHORITY_DEFAULT_DAYS), AUTHORITY_DEFAULT_BASIS
    return received.date() + timedelta(days=PERSON_DEFAULT_DAYS), PERSON_DEFAULT_BASIS


def _checked_references(session: Session, references: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(r.strip().upper() for r in references if r.strip()))
    if not wanted:
        return []
    query = select(RightsRequest.reference).where(func.upper(RightsRequest.reference).in_(wanted))
    found = {r.upper(): r for r in session.scalars(query)}
    unknown = [r for r in wanted if r not in found]
    if unknown:
        raise InvalidComplaintError(
            f"No rights request has the reference(s) {', '.join(unknown)}: check them on the "
            "requests page.",
            field="linked_requests",
        )
    return [found[r] for r in wanted]


def _context(complaint: Complaint, column: str) -> str:
    return f"complaint.{column}:{complaint.id}"


def _seal_complainant(keyring: Keyring, complaint: Complaint, text: str) -> None:
    complaint.complainant_sealed = keyring.encrypt(
        text.encode(), context=_context(complaint, "complainant")
    )
    complaint.complainant_index = keyring.index(f"complainant:{folded(text)}")


def open_complainant(keyring: Keyring, complaint: Complaint) -> str | None:
    if complaint.complainant_sealed is None:
        return None
    return keyring.decrypt(
        complaint.complainant_sealed, context=_context(complaint, "complainant")
    ).decode()


def open_notes(keyring: Keyring, complaint: Complaint) -> list[tuple[ComplaintNote, str]]:
    return [
        (note, keyring.decrypt(note.text_sealed, context=_note_context(complaint)).decode())
        for note in complaint.notes
    ]


def _note_context(complaint: Complaint) -> str:
    return f"complaint_note.text:{complaint.id}"


def get_complaint(session: Session, *, reference: str) -> Complaint:
    complaint = repository.by_reference(session, reference=reference)
    if complaint is None:
        raise ComplaintNotFoundError(
            f"No complaint has the reference {reference!r}: see `lawful complaints list`.",
            field="reference",
        )
    return complaint


def list_complaints(session: Session) -> list[Complaint]:
    return repository.list_complaints(session)


def find_by_complainant(session: Session, *, keyring: Keyring, text: str) -> list[Complaint]:
    index = keyring.index(f"complainant:{folded(text)}")
    return list(session.scalars(select(Complaint).where(Complaint.complainant_index == index)))


def is_overdue(complaint: Complaint, *, today: date) -> bool:
    """Still open (not answered nor closed) after its deadline."""
    return complaint.status is ComplaintStatus.open and today > complaint.deadline


def add_note(
    session: Session,
    *,
    keyring: Keyring,
    reference: str,
    text: str,
    actor: str,
    at: datetime | None = None,
) -> ComplaintNote:
    """A note or the record of a document received or sent; sealed, audited without its text."""
    now = at or utcnow()
    complaint = get_complaint(session, reference=reference)
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidComplaintError(f"Write a note of 1 to {MAX_NOTE} characters.", field="note")
    sealed = keyring.encrypt(text.encode(), context=_note_context(complaint))
    note = ComplaintNote(complaint_id=complaint.id, at=now, actor=actor, text_sealed=sealed)
    complaint.notes.append(note)
    complaint.updated_at = now
    session.flush()
    _audit(session, complaint, actor, "complaint.note_added", {"note": note.id}, now)
    return note


def link_requests(
    session: Session,
    *,
    reference: str,
    requests: Sequence[str],
    actor: str,
    at: datetime | None = None,
) -> Complaint:
    now = at or utcnow()
    complaint = get_complaint(session, reference=reference)
    added = [
        r for r in _checked_references(session, requests) if r not in complaint.linked_requests
    ]
    if added:
        complaint.linked_requests = [*complaint.linked_requests, *added]
        complaint.updated_at = now
        _audit(session, complaint, actor, "complaint.linked", {"linked_requests": added}, now)
    return complaint


def decide(
    session: Session,
    *,
    reference: str,
    status: str,
    outcome: str | None,
    actor: str,
    at: datetime | None = None,
) -> Complaint:
    """Mark the complaint answered or closed (or open again), with its outcome."""
    now = at or utcnow()
    complaint = get_complaint(session, reference=reference)
    try:
        new_status = ComplaintStatus(status)
    except ValueError:
        raise InvalidComplaintError(
            f"Choose a status: {', '.join(s.value for s in ComplaintStatus)}.", field="status"
        ) from None
    outcome = (outcome or "").strip() or None
    if new_status is ComplaintStatus.closed and not (outcome or complaint.outcome):
        raise InvalidComplaintError(
            "Write the outcome before closing: what we answered or what the authority decided.",
            field="outcome",
        )
    changed = []
    if new_status is not complaint.status:
        complaint.status = new_status
        changed.append("status")
        if new_status is ComplaintStatus.answered:
            complaint.answered_at = now
        complaint.closed_at = now if new_status is ComplaintStatus.closed else None
    if outcome is not None and outcome != complaint.outcome:
        complaint.outcome = outcome
        changed.append("outcome")
    if changed:
        complaint.updated_at = now
        details = {"changed": changed, "status": complaint.status.value}
        _audit(session, complaint, actor, "complaint.updated", details, now)
    return complaint


def _audit(
    session: Session,
    complaint: Complaint,
    actor: str,
    action: str,
    details: dict[str, Any],
    at: datetime,
) -> None:
    record_event(session, actor=actor, action=action, subject_type="complaint",
                 subject_id=complaint.reference, details=details, at=at)  # fmt: skip
