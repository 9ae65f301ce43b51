"""Tables of OpenDSR as the processor: the credentials given to each client (only a keyed
hash of the token is kept) and the requests clients sent (identities sealed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.models import Base, UTCDateTime, utcnow


class OpenDsrStatus(StrEnum):
    """OpenDSR 2.0 §8."""

    pending = "pending"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


class OpenDsrCredential(Base):
    """A bearer token a client's system sends with its requests (OpenDSR leaves request
    authentication to the processor, §4.3): shown once, kept as an HMAC."""

    __tablename__ = "opendsr_credentials"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client: Mapped[str] = mapped_column(String(100), index=True, comment="The map's client id")
    label: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), comment="The token's start, to tell it")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OpenDsrRequest(Base):
    """A request a client sent: its own id, what it asks, and what we did."""

    __tablename__ = "opendsr_requests"
    __table_args__ = (UniqueConstraint("client", "subject_request_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    subject_request_id: Mapped[str] = mapped_column(String(36), comment="The controller's UUID")
    request_type: Mapped[str] = mapped_column(String(16), comment="access, portability, erasure")
    regulation: Mapped[str] = mapped_column(String(8), comment="gdpr or ccpa")
    api_version: Mapped[str] = mapped_column(String(8))
    status: Mapped[OpenDsrStatus] = mapped_column(
        Enum(
            OpenDsrStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    identity_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, comment="The identities, encrypted; dropped once done"
    )
    callback_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    base_url: Mapped[str] = mapped_column(String(400), comment="Where results_url points")
    submitted_time: Mapped[datetime] = mapped_column(UTCDateTime())
    received_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expected_completion_time: Mapped[datetime] = mapped_column(UTCDateTime())
    job_id: Mapped[str | None] = mapped_column(String(32), nullable=True, comment="Erasure job")
    results_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, comment="Access/portability: the package, encrypted"
    )
    results_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, comment="Counts and datasets only: no personal data"
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OpenDsrOutgoing(Base):
    """One of our rights requests sent to a processor by OpenDSR (we are the controller):
    its id there, and the last status the processor gave (callback or polling)."""

    __tablename__ = "opendsr_outgoing"
    __table_args__ = (UniqueConstraint("request_id", "recipient"),)

    subject_request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(32), index=True, comment="Our rights request")
    recipient: Mapped[str] = mapped_column(String(100), comment="The map's recipient id")
    status: Mapped[str] = mapped_column(String(16), comment="The processor's last status")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    results_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
