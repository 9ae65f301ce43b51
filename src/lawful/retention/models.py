"""The retention domain's tables: legal holds, and the records a sweep already anonymised.

A legal hold keeps data that may be needed for a legal claim (GDPR Art. 17(3)(e)): nothing it
covers is erased or swept until it is released. People on hold are stored sealed (AES-GCM),
found again by blind indexes of their identity values, and by the blind indexes of their
records (`legal_hold_records`), refreshed by every sweep.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class HoldScope(StrEnum):
    person = "person"  # one person, wherever their records are
    dataset = "dataset"  # every record of some datasets
    case = "case"  # a matter (litigation, investigation) naming people and/or datasets


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class LegalHold(Base):
    """A hold on people, datasets or a case: blocks erasure and retention deletion."""

    __tablename__ = "legal_holds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope: Mapped[HoldScope] = mapped_column(_enum(HoldScope))
    reference: Mapped[str | None] = mapped_column(
        String(200), nullable=True, comment="Case or matter reference (no personal data)"
    )
    reason: Mapped[str] = mapped_column(Text, comment="Why the data must be kept")
    owner: Mapped[str] = mapped_column(String(200), comment="Who answers for the hold")
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    release_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    people: Mapped[list[LegalHoldPerson]] = relationship(
        back_populates="hold", cascade="all, delete-orphan", order_by="LegalHoldPerson.id"
    )
    held_datasets: Mapped[list[LegalHoldDataset]] = relationship(
        cascade="all, delete-orphan", order_by="LegalHoldDataset.id"
    )


class LegalHoldPerson(Base):
    """One person a hold covers: their identity sealed, and blind indexes to match it."""

    __tablename__ = "legal_hold_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hold_id: Mapped[str] = mapped_column(
        ForeignKey("legal_holds.id", ondelete="CASCADE"), index=True
    )
    identity_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed identity")
    identity_index: Mapped[str] = mapped_column(String(64), comment="HMAC of the whole identity")
    value_indexes: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="HMAC of each identity value (type=value)"
    )
    records_found_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    hold: Mapped[LegalHold] = relationship(back_populates="people")
    held_values: Mapped[list[LegalHoldValue]] = relationship(
        cascade="all, delete-orphan", order_by="LegalHoldValue.id"
    )


class LegalHoldValue(Base):
    """One identity value of a held person, by blind index: erasure asks the database which
    active hold names any of a person's values (one indexed lookup, not a loop over holds)."""

    __tablename__ = "legal_hold_values"
    __table_args__ = (Index("ix_legal_hold_values_value_index", "value_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("legal_hold_people.id", ondelete="CASCADE"), index=True
    )
    value_index: Mapped[str] = mapped_column(String(64), comment="HMAC of one value (type=value)")


class LegalHoldDataset(Base):
    """One dataset a hold keeps whole: erasure asks which active hold names a dataset."""

    __tablename__ = "legal_hold_datasets"
    __table_args__ = (Index("ix_legal_hold_datasets_dataset", "dataset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hold_id: Mapped[str] = mapped_column(
        ForeignKey("legal_holds.id", ondelete="CASCADE"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(100))


class LegalHoldRecord(Base):
    """A record of a held person, by blind index (the engine's `record_index`)."""

    __tablename__ = "legal_hold_records"
    __table_args__ = (
        UniqueConstraint("person_id", "record_index"),
        Index("ix_legal_hold_records_record_index", "record_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("legal_hold_people.id", ondelete="CASCADE"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(100))
    record_index: Mapped[str] = mapped_column(String(64), comment="HMAC of dataset and key")


class RetentionMark(Base):
    """A record a sweep anonymised: never anonymised again (a hash is never hashed twice)."""

    __tablename__ = "retention_marks"
    __table_args__ = (UniqueConstraint("rule", "record_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(100))
    dataset: Mapped[str] = mapped_column(String(100), index=True)
    record_index: Mapped[str] = mapped_column(String(64), comment="HMAC of dataset and key")
    job_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
