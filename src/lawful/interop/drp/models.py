"""Tables of the Data Rights Protocol: the agents staff trust, the bearer tokens they were
given (only a keyed hash is kept), and the requests they sent (bound to our rights request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.models import Base, UTCDateTime, utcnow


class DrpAgent(Base):
    """An authorized agent, as in the DRP service directory's agent entry (DRP 1.0 §3.05.1)."""

    __tablename__ = "drp_agents"

    id: Mapped[str] = mapped_column(String(100), primary_key=True, comment="[A-Z_]+")
    name: Mapped[str] = mapped_column(String(200))
    verify_key: Mapped[str] = mapped_column(String(64), comment="Ed25519 verify key, base64")
    web_url: Mapped[str | None] = mapped_column(String(400), nullable=True)
    identity_assurance_url: Mapped[str | None] = mapped_column(String(400), nullable=True)
    technical_contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    business_contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DrpToken(Base):
    """A pair-wise bearer token (DRP 1.0 §2.05): shown once to the agent, kept as an HMAC."""

    __tablename__ = "drp_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        ForeignKey("drp_agents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DrpRequest(Base):
    """A data rights request an agent sent: its DRP id, and the rights request it became."""

    __tablename__ = "drp_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, comment="request_id (UUID)")
    agent_id: Mapped[str] = mapped_column(
        ForeignKey("drp_agents.id", ondelete="CASCADE"), index=True
    )
    rights_request_id: Mapped[str | None] = mapped_column(
        ForeignKey("rights_requests.id", ondelete="SET NULL"),
        nullable=True,
        unique=True,
        comment="None once the record was purged (11 CCR §7101): the DRP status is expired",
    )
    agent_request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    exercise: Mapped[str] = mapped_column(String(40))
    regime: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status_callback: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, comment="The status last queued to the callback (no personal data)"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
