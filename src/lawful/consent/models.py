"""The consent ledger's tables: append-only events and published notice versions.

An event is never changed once written (a database trigger refuses updates): the current
state of a person's consent is derived from the events, the latest one deciding. Channel
preferences (email, SMS, phone, post) are events with a `contact_channel`; cookie-banner
choices carry their `cookie_category`. Objections to direct marketing and erasures join the
platform's suppression list (`lawful.engine.models.Suppression`), which is not repeated here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class ConsentState(StrEnum):
    """ISO/IEC TS 27560 consent states the ledger records."""

    given = "given"
    refused = "refused"
    withdrawn = "withdrawn"  # GDPR Art. 7(3)
    expired = "expired"


class SubjectKind(StrEnum):
    """How a person is known to the ledger; other identity types come from the data map."""

    email = "email"
    phone = "phone"
    browser = "browser"  # the cookie banner's anonymous browser id


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class ConsentEvent(Base):
    """One consent, refusal, withdrawal or expiry, as it happened; never updated."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_purpose_at", "purpose", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(
        String(32), unique=True, default=new_id, comment="Public record id (receipts)"
    )
    subject_index: Mapped[str] = mapped_column(
        String(64), index=True, comment="HMAC blind index of the subject"
    )
    subject_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed subject")
    subject_type: Mapped[str] = mapped_column(String(32), comment="email, phone, browser, ...")
    purpose: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contact_channel: Mapped[str | None] = mapped_column(
        String(16), nullable=True, comment="Preference for a channel: email, sms, phone, post"
    )
    cookie_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state: Mapped[ConsentState] = mapped_column(_enum(ConsentState))
    notice_version: Mapped[str | None] = mapped_column(String(50), nullable=True)
    notice_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(
        String(16), comment="Where it was collected: web_form, email, phone, paper, api, ..."
    )
    method: Mapped[str] = mapped_column(String(64), comment="How: checkbox, one_click, gpc, ...")
    language: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200), comment="subject, staff:<id>, token:<id>")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), comment="When it happened")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    evidence_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, comment="AES-GCM sealed form snapshot and truncated IP"
    )


class NoticeVersion(Base):
    """A published privacy notice: its exact text, hash, and whether the change was material."""

    __tablename__ = "consent_notice_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(50), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the published text")
    text: Mapped[str] = mapped_column(Text, comment="The notice as published (Markdown)")
    material: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    effective_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(),
        nullable=True,
        comment="From when consents older than a material change stop counting",
    )


class NoticePurpose(Base):
    """A consent-based purpose a material notice change affects: its consents must be renewed."""

    __tablename__ = "consent_notice_purposes"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("consent_notice_versions.id", ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(String(100), primary_key=True)


class AskStatus(StrEnum):
    """Where the mail asking one person for fresh consent stands."""

    pending = "pending"
    sending = "sending"  # claimed: handed to the mail server, or the sender stopped meanwhile
    mailed = "mailed"
    no_address = "no_address"  # known by a phone number only: nothing to mail
    superseded = "superseded"  # not mailed yet when a later change's run asked them instead


class ReconsentRun(Base):
    """The mails a material notice change owes: one run per notice version, whoever publishes."""

    __tablename__ = "consent_reconsent_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("consent_notice_versions.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    total: Mapped[int] = mapped_column(Integer, comment="People to ask")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReconsentAsk(Base):
    """One person asked for fresh consent by a run; the unique pair is the checkpoint."""

    __tablename__ = "consent_reconsent_asks"
    __table_args__ = (
        UniqueConstraint("run_id", "subject_index", name="uq_consent_reconsent_asks_person"),
        Index("ix_consent_reconsent_asks_run_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("consent_reconsent_runs.id", ondelete="CASCADE"))
    subject_index: Mapped[str] = mapped_column(String(64), comment="HMAC blind index")
    subject_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed subject")
    purposes: Mapped[str] = mapped_column(String(1000), comment="Purposes to ask about, ','")
    status: Mapped[AskStatus] = mapped_column(_enum(AskStatus))
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


@event.listens_for(ConsentEvent, "before_update")
def _refuse_update(*_: object) -> None:
    raise ValueError("consent events are append-only: record a new event instead")
