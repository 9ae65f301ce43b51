"""The training register's services: record that a staff member completed a course and until
when it counts (GDPR Art. 32(4), 39(1)(b)), and list where every staff member stands.

Recording is audited (who, which course, the dates). Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.repository import all_users, user_by_email_index
from lawful.auth.service import email_index
from lawful.auth.training import TrainingAttestation, attestations
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow
from lawful.training.errors import InvalidTrainingError

MAX_YEARS = 5  # an attestation longer than this is a typo, not a policy


@dataclass(frozen=True)
class StaffTraining:
    user: StaffUser
    latest: TrainingAttestation | None

    def valid_on(self, day: date) -> bool:
        return self.latest is not None and day <= self.latest.expires_on


def staff_by_email(session: Session, *, keyring: Keyring, email: str) -> StaffUser:
    user = user_by_email_index(session, email_index(keyring, email))
    if user is None:
        raise InvalidTrainingError(
            "No staff member has that email address: see `lawful user list`.", field="email"
        )
    return user


def record_training(
    session: Session,
    *,
    user: StaffUser,
    course: str,
    completed_on: date,
    expires_on: date,
    actor: str,
    at: datetime | None = None,
) -> TrainingAttestation:
    now = at or utcnow()
    course = course.strip()
    if not course:
        raise InvalidTrainingError("Name the course (e.g. GDPR basics 2026).", field="course")
    if completed_on > now.date():
        raise InvalidTrainingError("The course is completed in the future.", field="completed_on")
    if expires_on <= completed_on:
        raise InvalidTrainingError("The training must expire after it was completed.",
                                   field="expires_on")  # fmt: skip
    if (expires_on - completed_on).days > MAX_YEARS * 366:
        raise InvalidTrainingError(f"A training counts for {MAX_YEARS} years at most.",
                                   field="expires_on")  # fmt: skip
    attestation = TrainingAttestation(user_id=user.id, course=course, completed_on=completed_on,
                                      expires_on=expires_on, recorded_by=actor, recorded_at=now)  # fmt: skip
    session.add(attestation)
    session.flush()
    record_event(session, actor=actor, action="training.recorded", subject_type="staff",
                 subject_id=user.id, at=now,
                 details={"course": course, "completed_on": completed_on.isoformat(),
                          "expires_on": expires_on.isoformat()})  # fmt: skip
    return attestation


def staff_training(session: Session) -> list[StaffTraining]:
    """Every staff member with their latest attestation (the one that lasts longest)."""
    latest: dict[str, TrainingAttestation] = {}
    for attestation in attestations(session):
        latest.setdefault(attestation.user_id, attestation)
    return [StaffTraining(user, latest.get(user.id)) for user in all_users(session)]
