"""The breach register (GDPR Art. 33(5): every breach documented, notified or not): incidents,
their scope and counts, the Art. 33(3) items, the Art. 34 assessment, and phased updates.

Free texts are written by staff for an authority to read: they describe, never list, people.
The list of people affected is computed from the datastores when a message must go out and
never stored here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class IncidentStatus(StrEnum):
    open = "open"
    contained = "contained"
    closed = "closed"


class OurRole(StrEnum):
    controller = "controller"  # we notify the authority (Art. 33(1)) and people (Art. 34)
    processor = "processor"  # we tell our client, the controller (Art. 33(2))


class Risk(StrEnum):
    """The outcome of the risk assessment (EDPB Guidelines 9/2022)."""

    unassessed = "unassessed"
    unlikely = "unlikely"  # unlikely to result in a risk: documented only (Art. 33(1), 33(5))
    risk = "risk"  # notify the authority (Art. 33(1))
    high = "high"  # also communicate to the people (Art. 34(1))


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Incident(Base):
    __tablename__ = "breach_incidents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True, comment="BR-YYYY-NNNN")
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[IncidentStatus] = mapped_column(
        _enum(IncidentStatus), default=IncidentStatus.open
    )
    our_role: Mapped[OurRole] = mapped_column(_enum(OurRole), default=OurRole.controller)
    became_aware_at: Mapped[datetime] = mapped_column(UTCDateTime(), comment="Art. 33(1) clock")
    occurred_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    occurred_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reported_by: Mapped[str | None] = mapped_column(
        String(100), nullable=True, comment="Recipient id of the processor that told us"
    )
    reported_to_us_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    systems: Mapped[list[str]] = mapped_column(JSON, default=list)
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list, comment="Affected datasets")
    kinds: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="confidentiality, integrity, availability"
    )
    nature: Mapped[str | None] = mapped_column(Text, nullable=True, comment="Art. 33(3)(a)")
    consequences: Mapped[str | None] = mapped_column(Text, nullable=True, comment="Art. 33(3)(c)")
    measures_taken: Mapped[str | None] = mapped_column(Text, nullable=True, comment="Art. 33(3)(d)")
    measures_proposed: Mapped[str | None] = mapped_column(Text, nullable=True)
    advice_to_people: Mapped[str | None] = mapped_column(
        Text, nullable=True, comment="What people can do to protect themselves (Art. 34(2))"
    )
    delay_reasons: Mapped[str | None] = mapped_column(
        Text, nullable=True, comment="Why notified after 72 hours (Art. 33(1))"
    )
    people_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    records_count: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    unidentified_records: Mapped[int | None] = mapped_column(Integer, nullable=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    risk: Mapped[Risk] = mapped_column(_enum(Risk), default=Risk.unassessed)
    risk_reasoning: Mapped[str | None] = mapped_column(Text, nullable=True)
    exemptions: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="Art. 34(3)(a)–(c) grounds relied on"
    )
    authority_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    authority_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    people_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    clients_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="incident", order_by="IncidentUpdate.id", cascade="all, delete-orphan"
    )


class IncidentUpdate(Base):
    """One phase of information (Art. 33(4)): what changed, when, by whom."""

    __tablename__ = "breach_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("breach_incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    changed: Mapped[list[str]] = mapped_column(JSON, default=list, comment="Fields changed")
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="Their new values")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="updates")
