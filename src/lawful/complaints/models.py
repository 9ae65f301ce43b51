"""The register of complaints and authority inquiries: a complaint a person makes to us or to
a supervisory authority (GDPR Art. 77), and an authority's inquiry or order to provide
information (Art. 57(1)(f), 58(1)(a)); its deadline, status, outcome, the rights requests it
is about (by reference) and staff notes.

The complainant's name and contact, and every note, are sealed at rest (AES-GCM bound to the
row and column); the name has a blind index so staff can find a complaint by it. The subject
line is written by staff to describe the matter, never to name a person.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, Enum, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class Source(StrEnum):
    person = "person"  # the person complained to us directly
    authority = "authority"  # a supervisory authority wrote to us (a complaint or an inquiry)


class ComplaintStatus(StrEnum):
    open = "open"
    answered = "answered"  # our answer went out; the authority or person may still reply
    closed = "closed"


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True, comment="CP-YYYY-NNNN")
    subject: Mapped[str] = mapped_column(String(200), comment="What it is about, no names")
    source: Mapped[Source] = mapped_column(_enum(Source))
    authority: Mapped[str | None] = mapped_column(
        String(20), nullable=True, comment="Supervisory authority code, e.g. CNIL, HDPA"
    )
    authority_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[date] = mapped_column(Date)
    deadline_basis: Mapped[str] = mapped_column(String(200), comment="Who set it, or the article")
    status: Mapped[ComplaintStatus] = mapped_column(
        _enum(ComplaintStatus), default=ComplaintStatus.open
    )
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    linked_requests: Mapped[list[str]] = mapped_column(JSON, default=list)
    complainant_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    complainant_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    notes: Mapped[list[ComplaintNote]] = relationship(
        back_populates="complaint", order_by="ComplaintNote.id", cascade="all, delete-orphan"
    )


class ComplaintNote(Base):
    """A staff note or the record of a document received or sent: its text sealed."""

    __tablename__ = "complaint_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    text_sealed: Mapped[bytes] = mapped_column(LargeBinary)

    complaint: Mapped[Complaint] = relationship(back_populates="notes")
