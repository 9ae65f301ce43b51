"""The engine's tables: jobs and their steps (durable, resumable runs over the datastores),
the suppression list and restriction markers. Personal data is never stored in clear here:
identities are sealed with AES-GCM and found again through an HMAC blind index
(`lawful.store.crypto`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

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


class JobKind(StrEnum):
    access = "access"
    portability = "portability"
    erase = "erase"
    rectify = "rectify"
    restrict = "restrict"
    retention = "retention"  # a retention sweep (lawful.retention.sweep)


class JobStatus(StrEnum):
    running = "running"
    done = "done"
    failed = "failed"  # some step failed: re-running the same request resumes it
    cancelled = "cancelled"  # by staff (`lawful dsr cancel`): never resumed
    superseded = "superseded"  # its map or datastore changed: a new job was planned instead


UNFINISHED = (JobStatus.running, JobStatus.failed)
"""Statuses of a job that a new run resumes (or re-plans when what it planned changed)."""


class StepStatus(StrEnum):
    pending = "pending"  # not applied, or applied just before a crash: checked on resume
    done = "done"
    failed = "failed"


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Job(Base):
    """One execution of a rights request over the datastores."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind))
    identity_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed identity")
    identity_index: Mapped[str] = mapped_column(String(64), index=True, comment="HMAC blind index")
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.running)
    # The map's fingerprint (`lawful.engine.binding.map_fingerprint`), not the file's hash.
    map_digest: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the data map used")
    request_ref: Mapped[str | None] = mapped_column(
        String(40), nullable=True, comment="Reference of the rights request the job runs for"
    )
    binding: Mapped[dict[str, Any] | None] = mapped_column(
        JSON,
        nullable=True,
        comment="Datastore identities planned on (backend, host, database, schema; "
        "no secret) and the salt of the row digests",
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, comment="Summary without personal data: counts, kept, forwards"
    )

    steps: Mapped[list[JobStep]] = relationship(
        back_populates="job", order_by="JobStep.position", cascade="all, delete-orphan"
    )


class JobStep(Base):
    """A checkpoint: one batch of one dataset, applied at most once."""

    __tablename__ = "job_steps"
    __table_args__ = (UniqueConstraint("job_id", "dataset", "batch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    dataset: Mapped[str] = mapped_column(String(100))
    batch: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, comment="Execution order within the job")
    action: Mapped[str] = mapped_column(String(16), comment="read, update or delete")
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus), default=StepStatus.pending)
    payload_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, comment="AES-GCM sealed keys and new values of the batch"
    )
    rows_planned: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",
        comment="Planned rows left unchanged: they no longer matched the person",
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    job: Mapped[Job] = relationship(back_populates="steps")


class Suppression(Base):
    """People erased who must never be re-added by marketing: only a keyed hash is kept."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("identity_type", "identity_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity_type: Mapped[str] = mapped_column(String(32))
    identity_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Restriction(Base):
    """A restricted record (GDPR Art. 18): only stored, never otherwise processed."""

    __tablename__ = "restrictions"
    __table_args__ = (
        # The record index binds the dataset and the key: unique on its own, found on its own.
        UniqueConstraint("record_index"),
        Index("ix_restrictions_identity_index", "identity_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identity_index: Mapped[str] = mapped_column(String(64), comment="HMAC blind index")
    dataset: Mapped[str] = mapped_column(String(100))
    record_index: Mapped[str] = mapped_column(String(64), comment="HMAC of dataset and key")
    reason: Mapped[str] = mapped_column(String(32), comment="Art. 18(1)(a)–(d)")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
