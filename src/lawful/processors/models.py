"""The processor register (GDPR Art. 28): the agreement with each processor of the map (its
date, transfer safeguards, the kind of authorisation for sub-processors, the next review),
the changes of sub-processor we announce, and the notice owed to each client for each change
(Art. 28(2): the controller is told of an intended change and may object).

Texts describe companies and processing, never a person.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class Authorisation(StrEnum):
    """Art. 28(2): the controller's prior authorisation to engage sub-processors."""

    general = (
        "general"  # general written authorisation: changes announced, the controller may object
    )
    specific = "specific"  # specific authorisation: each sub-processor approved beforehand


class ChangeKind(StrEnum):
    added = "added"
    replaced = "replaced"
    removed = "removed"


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Agreement(Base):
    __tablename__ = "processor_agreements"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recipient: Mapped[str] = mapped_column(
        String(100), unique=True, comment="Recipient id of the map"
    )
    signed_on: Mapped[date] = mapped_column(Date, comment="Date of the Art. 28(3) agreement")
    authorisation: Mapped[Authorisation] = mapped_column(_enum(Authorisation))
    safeguards: Mapped[str | None] = mapped_column(
        Text, nullable=True, comment="Transfer safeguards (Art. 46), e.g. SCCs module 2"
    )
    review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SubprocessorChange(Base):
    __tablename__ = "processor_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(100), index=True, comment="The sub-processor")
    kind: Mapped[ChangeKind] = mapped_column(_enum(ChangeKind))
    description: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date] = mapped_column(Date)
    announced_by: Mapped[str] = mapped_column(String(200))
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    notices: Mapped[list[ClientNotice]] = relationship(
        back_populates="change", order_by="ClientNotice.client", cascade="all, delete-orphan"
    )


class ClientNotice(Base):
    """The notice one client is owed for one change, and when staff recorded it as sent."""

    __tablename__ = "processor_notices"
    __table_args__ = (UniqueConstraint("change_id", "client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[int] = mapped_column(
        ForeignKey("processor_changes.id", ondelete="CASCADE"), index=True
    )
    client: Mapped[str] = mapped_column(String(100), comment="Client id of the map")
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    change: Mapped[SubprocessorChange] = relationship(back_populates="notices")
