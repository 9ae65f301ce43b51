"""Tables of the rights-request workflow. Identity values are never stored in clear: each is
sealed with AES-GCM (bound to its row and column) and found through an HMAC blind index."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawful.law.requests import RequestType
from lawful.requests.states import RequestStatus
from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class VerificationLevel(StrEnum):
    """How sure Lawful must be of who is asking, per request type (settings)."""

    none = "none"  # stopping processing needs no proof (11 CCR §7026(d), §7027(e))
    email_code = "email_code"  # a one-time code sent to the address given
    data_points = "data_points"  # the code, and N details matching the records held
    id_document = "id_document"  # the code, and an ID document checked by staff


class CodePurpose(StrEnum):
    verify = "verify"  # proves control of the address at intake
    download = "download"  # re-proves it before a package is released


def _enum(kind: type[StrEnum], length: int) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class RightsRequest(Base):
    __tablename__ = "rights_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(
        String(16), unique=True, comment="Random reference given to the person"
    )
    request_type: Mapped[RequestType] = mapped_column(_enum(RequestType, 32))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, 24), index=True)
    channel: Mapped[str] = mapped_column(String(16), comment="web, api, email, phone, post")
    agent: Mapped[str | None] = mapped_column(
        String(200), nullable=True, comment="The authorized agent who sent it (DRP), by name"
    )
    email_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed email")
    email_index: Mapped[str] = mapped_column(String(64), index=True, comment="HMAC blind index")
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    phone_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    name_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    name_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    address_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    address_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    identifiers_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, comment="Other identity values the map declares, sealed"
    )
    details_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, comment="The person's message and corrections, sealed"
    )
    residence_country: Mapped[str] = mapped_column(String(2))
    residence_region: Mapped[str | None] = mapped_column(String(8), nullable=True)
    jurisdictions: Mapped[list[str]] = mapped_column(JSON, default=list)
    jurisdiction: Mapped[str | None] = mapped_column(
        String(8), nullable=True, comment="The law whose clock decides; none: no law applies"
    )
    timezone: Mapped[str] = mapped_column(String(64), comment="Days are counted in this zone")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledge_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    respond_by: Mapped[date] = mapped_column(Date, index=True)
    respond_by_citation: Mapped[str] = mapped_column(String(400))
    extension_notice_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    max_extended_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    extensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    verification_level: Mapped[VerificationLevel] = mapped_column(_enum(VerificationLevel, 16))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status_token_hash: Mapped[str] = mapped_column(String(64), comment="HMAC of the token")
    status_token_sealed: Mapped[bytes] = mapped_column(
        LargeBinary, comment="AES-GCM sealed token, for the links in later mail"
    )
    denial_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, comment="Outcome without personal data: jobs, counts, forwards"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    keep_until: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, index=True, comment="Purged after (11 CCR §7101)"
    )
    assignee_id: Mapped[str | None] = mapped_column(
        String(32), nullable=True, index=True, comment="The staff member working on it (id)"
    )
    name_tokens_ready: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="Its name's words are in request_name_tokens",
    )

    name_tokens: Mapped[list[RequestNameToken]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request",
        order_by="RequestEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class RequestEvent(Base):
    """The request's own timeline: every transition and every note, without personal data."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    request: Mapped[RightsRequest] = relationship(back_populates="events")


class VerificationCode(Base):
    """A one-time code: only its keyed hash is stored."""

    __tablename__ = "request_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[CodePurpose] = mapped_column(_enum(CodePurpose, 16))
    code_hash: Mapped[str] = mapped_column(String(64), comment="HMAC of the code")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="Wrong tries so far")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class IdentityDocument(Base):
    """An ID document sent as proof: sealed, and deleted when the request closes."""

    __tablename__ = "request_documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed file")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestPackage(Base):
    """An access or portability package (ZIP), sealed with AES-GCM until it expires."""

    __tablename__ = "request_packages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer, comment="Bytes of the ZIP before sealing")
    sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed ZIP")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    downloads: Mapped[int] = mapped_column(Integer, default=0)


class DownloadLink(Base):
    """A single-use link to a package, bound to one browser session, for a short time."""

    __tablename__ = "request_download_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = mapped_column(
        ForeignKey("request_packages.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="HMAC of the token")
    session_hash: Mapped[str] = mapped_column(String(64), comment="HMAC of the browser session")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ForwardStatus(StrEnum):
    sent = "sent"  # sent by email or webhook, and the client's side took it
    open = "open"  # not automated, or the automated send failed: a to-do for staff
    recorded = "recorded"  # staff sent it themselves and said what, when and how


class RequestForward(Base):
    """A request passed on to a client we process the person's data for (GDPR Art. 28(3)(e)):
    one row per client, so what the person is told is what happened."""

    __tablename__ = "request_forwards"
    __table_args__ = (UniqueConstraint("request_id", "client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    client: Mapped[str] = mapped_column(String(100), comment="The client's id in the map")
    client_name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16), comment="The map's forward method")
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ForwardStatus] = mapped_column(_enum(ForwardStatus, 16))
    detail: Mapped[str] = mapped_column(String(300), default="", comment="Why it is open")
    channel: Mapped[str | None] = mapped_column(
        String(40), nullable=True, comment="How it went: email, webhook, or what staff used"
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(
        String(2000), nullable=True, comment="What staff sent (staff only)"
    )
    recorded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RequestNameToken(Base):
    """One word of the person's name, as a blind index (case-folded, accents stripped), so
    staff can find "Élodie Martin" by "elodie": the name itself stays sealed."""

    __tablename__ = "request_name_tokens"
    __table_args__ = (UniqueConstraint("request_id", "token_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    token_index: Mapped[str] = mapped_column(String(64), index=True, comment="HMAC blind index")


class RequestNote(Base):
    """A staff-only note on a request: sealed at rest, with its author and time."""

    __tablename__ = "request_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(200), comment="staff:<id>, as the audit trail")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed text")


class PreferenceCode(Base):
    """A one-time code that opens the preference center for an email address, asked for
    in the privacy center. Only the code's keyed hash and the sealed address are stored;
    `slot` makes the per-address limit a unique key (a few codes per address and hour),
    which no two requests at once can exceed."""

    __tablename__ = "preference_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slot: Mapped[str] = mapped_column(
        String(100), unique=True, comment="Blind index of the address, hour and number"
    )
    email_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    code_hash: Mapped[str] = mapped_column(String(64), comment="HMAC of the code")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="Tries so far")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
