"""The register of post-mortem directives (France, Loi Informatique et Libertés art. 85): what
a person wants done with their data after their death, who is to carry it out, whether their
identity was verified, and — once the designated person reports the death with proof — the
rights requests and staff tasks the directive became.

Who the person and the designated person are, the directive's own words and the proof of
death are sealed at rest; both email addresses have blind indexes (to find a directive, and to
check that the one reporting a death is the person designated).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class DirectiveKind(StrEnum):
    # LIL art. 85 I: general directives cover all the person's data and are registered with a
    # trusted third party certified by the CNIL; specific ones cover the processing of one
    # controller and are registered with it. We record both as the person gives them to us.
    general = "general"
    specific = "specific"


class DirectiveStatus(StrEnum):
    recorded = "recorded"
    verified = "verified"  # the person's identity checked when they gave the directive
    applied = "applied"  # the death reported with proof; requests and tasks created


class Instruction(StrEnum):
    erasure = "erasure"  # erase the person's data (becomes an erasure request)
    access = "access"  # give the designated person their data (a staff task: the package
    # must reach the designated person, not the deceased's address)
    task = "task"  # anything else the directive says (a staff task with its words)


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Directive(Base):
    __tablename__ = "postmortem_directives"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True, comment="PM-YYYY-NNNN")
    kind: Mapped[DirectiveKind] = mapped_column(_enum(DirectiveKind))
    status: Mapped[DirectiveStatus] = mapped_column(
        _enum(DirectiveStatus), default=DirectiveStatus.recorded
    )
    country: Mapped[str] = mapped_column(String(2), comment="Where the person lives: FR")
    instructions: Mapped[list[str]] = mapped_column(JSON, default=list)
    person_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="name and email, sealed")
    person_index: Mapped[str] = mapped_column(String(64), index=True)
    designee_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="name and email, sealed")
    designee_index: Mapped[str] = mapped_column(String(64), index=True)
    wording_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    verified_how: Mapped[str | None] = mapped_column(String(200), nullable=True)
    death_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    death_recorded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    proof_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_requests: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
