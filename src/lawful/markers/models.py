"""The markers' tables: one row per person, dataset and kind of decision, and an append-only
log of its changes (the cursor systems poll with). Identities are sealed, found again by a
blind index that binds the dataset."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class MarkerKind(StrEnum):
    """The decisions a business system must honour."""

    restriction = "restriction"  # GDPR Art. 18: only store the data
    objection = "objection"  # GDPR Art. 21: stop the objected processing
    isolation = "isolation"  # a retention rule's `action: isolate`: kept apart
    erasure_pending = "erasure_pending"  # GDPR Art. 17: erasure decided, not yet done


class Marker(Base):
    """A decision about one person in one dataset; `active` false once lifted."""

    __tablename__ = "decision_markers"
    __table_args__ = (UniqueConstraint("dataset", "kind", "person_index"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_index: Mapped[str] = mapped_column(
        String(64), comment="HMAC blind index of the dataset and the person"
    )
    identity_sealed: Mapped[bytes] = mapped_column(
        LargeBinary, comment="AES-GCM sealed: the dataset's own identity values and keys"
    )
    reason: Mapped[str] = mapped_column(String(40), comment="e.g. an Art. 18(1) ground")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MarkerChange(Base):
    """One placement or lift: its `seq` is the cursor of the API and the webhook's id."""

    __tablename__ = "marker_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    marker_id: Mapped[str] = mapped_column(
        ForeignKey("decision_markers.id", ondelete="CASCADE"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(10), comment="placed or lifted")
    notify: Mapped[str] = mapped_column(
        String(20), comment="How the system is told: webhook, http_connector, manual, poll"
    )
    told_by: Mapped[str | None] = mapped_column(
        String(200), nullable=True, comment="Staff who told a manual system"
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
