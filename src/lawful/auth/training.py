"""Staff training attestations (GDPR Art. 32(4): staff with access to personal data act on
instructions; Art. 39(1)(b): the DPO sees to awareness-raising and training), and the rule
that a role may need a valid one before the console shows it personal data.

The table is the staff accounts' (this package's); the register's pages, commands and API are
in `lawful.training`. The gate is applied by `lawful.http.deps.trained_staff`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class TrainingAttestation(Base):
    """One course a staff member completed, and until when it counts."""

    __tablename__ = "staff_training"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    course: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, comment="Last day it counts")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@dataclass(frozen=True)
class TrainingStatus:
    """Where a staff member stands: their latest attestation's last day, if any."""

    expires_on: date | None

    def valid_on(self, day: date) -> bool:
        return self.expires_on is not None and day <= self.expires_on


def training_status(session: Session, *, user_id: str) -> TrainingStatus:
    query = select(TrainingAttestation.expires_on).where(TrainingAttestation.user_id == user_id)
    latest = session.scalars(query.order_by(TrainingAttestation.expires_on.desc())).first()
    return TrainingStatus(latest)


def attestations(
    session: Session, *, user_ids: Collection[str] | None = None
) -> list[TrainingAttestation]:
    query = select(TrainingAttestation).order_by(
        TrainingAttestation.user_id, TrainingAttestation.expires_on.desc()
    )
    if user_ids is not None:
        query = query.where(TrainingAttestation.user_id.in_(list(user_ids)))
    return list(session.scalars(query))
