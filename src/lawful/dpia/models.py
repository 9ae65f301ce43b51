"""The DPIA register (GDPR Art. 35): one assessment per purpose likely to result in a high
risk, its screening on the WP248 criteria, its state and its next review (Art. 35(11)).

Texts are written by staff about processing, never about a person.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class DpiaState(StrEnum):
    required = "required"  # the screening says one is needed (Art. 35(1)); not begun
    started = "started"  # being written (Art. 35(7) contents), the DPO consulted (Art. 35(2))
    approved = "approved"  # signed off; processing may go ahead (or Art. 36 consultation)


class Dpia(Base):
    __tablename__ = "dpia_assessments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True, comment="DPIA-YYYY-NNNN")
    purpose: Mapped[str] = mapped_column(String(100), index=True, comment="Purpose id of the map")
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list, comment="WP248 criteria met")
    state: Mapped[DpiaState] = mapped_column(
        Enum(
            DpiaState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=DpiaState.required,
    )
    summary: Mapped[str | None] = mapped_column(
        Text, nullable=True, comment="Risks found and measures (Art. 35(7)(c)–(d))"
    )
    review_on: Mapped[date | None] = mapped_column(
        Date, nullable=True, comment="Next review (Art. 35(11))"
    )
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
