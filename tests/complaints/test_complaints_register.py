"""The complaints register: complaints (GDPR Art. 77) and authority inquiries (Art. 58(1)) on
their deadline, the complainant and notes sealed at rest, every step in the audit trail
(which fields, never the texts)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from lawful.complaints.errors import ComplaintNotFoundError, InvalidComplaintError
from lawful.complaints.models import ComplaintStatus
from lawful.complaints.service import (
    NewComplaint,
    add_note,
    decide,
    find_by_complainant,
    get_complaint,
    is_overdue,
    open_complainant,
    open_notes,
    receive_complaint,
)
from lawful.store.audit import AuditEntry, verify_chain
from lawful.store.crypto import Keyring

RECEIVED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
NAME = "Ελένη Παπαδοπούλου <eleni@example.gr>"


def _receive(session: Session, keyring: Keyring, **given: object) -> object:
    fields: dict[str, object] = {"subject": "Access request answered late", "source": "authority",
                                 "authority": "hdpa", "received_at": RECEIVED} | given  # fmt: skip
    return receive_complaint(session, keyring=keyring, new=NewComplaint(**fields),  # type: ignore[arg-type]
                             actor="staff:1", at=NOW)  # fmt: skip


def test_deadlines_are_the_authoritys_or_a_default_that_names_its_article(
    platform_sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with platform_sessions() as session:
        inquiry = get_complaint(session, reference=_receive(session, keyring).reference)  # type: ignore[attr-defined]
        person = _receive(session, keyring, source="person", authority=None)
        set_by = _receive(session, keyring, authority="CNIL", deadline=date(2026, 11, 20))
        assert (inquiry.reference, inquiry.authority) == ("CP-2026-0001", "HDPA")
        assert inquiry.deadline == RECEIVED.date() + timedelta(days=30)
        assert "58(1)(a)" in inquiry.deadline_basis
        assert person.deadline_basis == "default one month: GDPR Art. 12(3)"  # type: ignore[attr-defined]
        assert (set_by.deadline, set_by.deadline_basis) == (date(2026, 11, 20), "set by CNIL")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"source": "rumour"}, "source"),
        ({"authority": None}, "authority"),
        ({"authority": "NSA"}, "authority"),
        ({"deadline": date(2026, 10, 1)}, "deadline"),
        ({"received_at": NOW + timedelta(days=2)}, "received_at"),
        ({"linked_requests": ["NOPE-1234"]}, "linked_requests"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    platform_sessions: sessionmaker[Session], keyring: Keyring, given: dict[str, object], field: str
) -> None:
    with platform_sessions() as session:
        with pytest.raises(InvalidComplaintError) as refused:
            _receive(session, keyring, **given)
        assert refused.value.field == field
        assert refused.value.message.endswith(".")
        assert session.scalar(text("SELECT count(*) FROM complaints")) == 0


def test_the_complainant_and_notes_are_sealed_and_found_by_a_blind_index(
    platform_sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with platform_sessions() as session:
        complaint = _receive(session, keyring, complainant=NAME)
        reference = complaint.reference  # type: ignore[attr-defined]
        add_note(session, keyring=keyring, reference=reference, actor="staff:2", at=NOW,
                 text="Letter from Ελένη: wants a copy of her recordings")  # fmt: skip
        session.commit()
    with platform_sessions() as session:
        raw = session.execute(text("SELECT * FROM complaints")).one()
        notes = session.execute(text("SELECT text_sealed FROM complaint_notes")).scalars().all()
        assert "Ελένη".encode() not in b"".join(bytes(v) for v in raw if isinstance(v, bytes))
        assert all("Ελένη".encode() not in bytes(n) for n in notes)
        complaint = get_complaint(session, reference=reference.lower())
        assert open_complainant(keyring, complaint) == NAME
        assert [t for _, t in open_notes(keyring, complaint)] == [
            "Letter from Ελένη: wants a copy of her recordings"
        ]
        found = find_by_complainant(session, keyring=keyring, text=NAME.upper())
        assert [c.reference for c in found] == [reference]
        details = [e.details for e in session.scalars(select(AuditEntry))]
        assert "Ελένη" not in str(details)
        assert "recordings" not in str(details)


def test_overdue_until_answered_and_closing_needs_an_outcome(
    platform_sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with platform_sessions() as session:
        complaint = get_complaint(session, reference=_receive(session, keyring).reference)  # type: ignore[attr-defined]
        after = complaint.deadline + timedelta(days=1)
        assert not is_overdue(complaint, today=complaint.deadline)
        assert is_overdue(complaint, today=after)
        with pytest.raises(InvalidComplaintError) as refused:
            decide(session, reference=complaint.reference, status="closed", outcome="",
                   actor="staff:1", at=NOW)  # fmt: skip
        assert refused.value.field == "outcome"
        decide(session, reference=complaint.reference, status="answered",
               outcome="Sent the recordings; the HDPA closed its file.", actor="staff:1", at=NOW)  # fmt: skip
        assert not is_overdue(complaint, today=after)
        assert complaint.answered_at == NOW
        decide(session, reference=complaint.reference, status="closed", outcome=None,
               actor="staff:1", at=NOW)  # fmt: skip
        assert (complaint.status, complaint.closed_at) == (ComplaintStatus.closed, NOW)
        session.commit()
        actions = [(e.action, e.details.get("changed")) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "complaint").order_by(AuditEntry.seq))]  # fmt: skip
        assert actions == [("complaint.received", None),
                           ("complaint.updated", ["status", "outcome"]),
                           ("complaint.updated", ["status"])]  # fmt: skip
        assert verify_chain(session) == []


def test_an_unknown_reference_says_where_to_look(
    platform_sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    with platform_sessions() as session, pytest.raises(ComplaintNotFoundError) as missing:
        add_note(session, keyring=keyring, reference="CP-1999-0001", text="x", actor="staff:1")
    assert "lawful complaints list" in missing.value.message
