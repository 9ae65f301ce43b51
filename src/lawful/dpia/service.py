"""The DPIA register's services: screen the map's purposes, open an assessment for one,
move it from required to started to approved, and set its next review (GDPR Art. 35).

Every change is written to the audit trail (which fields changed, never free text).
Services never commit: the command or request that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.datamap.screening import screen_map, shown_criteria
from lawful.datamap.taxonomy import all_categories
from lawful.dpia import repository
from lawful.dpia.errors import DpiaNotFoundError, InvalidDpiaError
from lawful.dpia.models import Dpia, DpiaState
from lawful.law.dpia import Criterion, Screening, screen
from lawful.store.audit import record_event
from lawful.store.models import utcnow

# A state moves forward only: an approved DPIA is reviewed (Art. 35(11)), not un-approved.
NEXT_STATES: dict[DpiaState, tuple[DpiaState, ...]] = {
    DpiaState.required: (DpiaState.started, DpiaState.approved),
    DpiaState.started: (DpiaState.approved,),
    DpiaState.approved: (),
}


@dataclass(frozen=True)
class PurposeRow:
    """A purpose of the map, its screening and the DPIA that assesses it, if any."""

    purpose: str
    name: str
    screening: Screening
    reference: str | None  # named by the map
    dpia: Dpia | None  # found in the register

    @property
    def missing(self) -> bool:
        return self.screening.required and self.dpia is None


def screen_purposes(session: Session, *, datamap: DataMap) -> list[PurposeRow]:
    """Every purpose we control with its screening, linked to its DPIA: by the map's
    `dpia.reference`, else by a DPIA of the register opened for the purpose."""
    by_purpose: dict[str, Dpia] = {}
    by_reference: dict[str, Dpia] = {}
    for dpia in repository.list_dpias(session):
        by_purpose.setdefault(dpia.purpose, dpia)
        by_reference[dpia.reference] = dpia
    rows = []
    for pid, screening in screen_map(datamap, all_categories(datamap)).items():
        purpose = datamap.purposes[pid]
        reference = purpose.dpia.reference if purpose.dpia else None
        found = by_reference.get(reference) if reference else by_purpose.get(pid)
        rows.append(PurposeRow(pid, purpose.name, screening, reference, found))
    return rows


def open_dpia(
    session: Session,
    *,
    datamap: DataMap,
    purpose: str,
    actor: str,
    criteria: Sequence[str] = (),
    reference: str | None = None,
    review_on: date | None = None,
    at: datetime | None = None,
) -> Dpia:
    """Register the DPIA of a purpose: its criteria are those of the map plus any given."""
    now = at or utcnow()
    if purpose not in datamap.purposes:
        known = ", ".join(sorted(datamap.purposes))
        raise InvalidDpiaError(f"`{purpose}` is not a purpose of the map; purposes: {known}.",
                               field="purpose")  # fmt: skip
    met = _criteria(criteria) | _map_criteria(datamap, purpose)
    screening = screen(met)
    wanted = reference.strip().upper() if reference else None
    if wanted is not None and repository.by_reference(session, reference=wanted):
        raise InvalidDpiaError(f"{wanted} is already in the register.", field="reference")
    for _attempt in range(20):
        dpia = Dpia(
            reference=wanted or _next_reference(session, now),
            purpose=purpose,
            criteria=[c.value for c in screening.criteria],
            state=DpiaState.required,
            review_on=review_on,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():  # two staff opening at once: the second takes the next
                session.add(dpia)
                session.flush()
        except IntegrityError:
            if wanted is not None:
                raise InvalidDpiaError(f"{wanted} is already in the register.",
                                       field="reference") from None  # fmt: skip
            continue
        _audit(
            session,
            dpia,
            actor,
            "dpia.opened",
            {"purpose": purpose, "criteria": dpia.criteria},
            now,
        )
        return dpia
    raise InvalidDpiaError("The register is busy: try again.", field="reference")


def _criteria(names: Sequence[str]) -> set[Criterion]:
    known = {c.value for c in Criterion}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidDpiaError(f"Unknown criterion {', '.join(unknown)}; criteria: {', '.join(sorted(known))}.",
                               field="criteria")  # fmt: skip
    return {Criterion(n) for n in names}


def _map_criteria(datamap: DataMap, pid: str) -> set[Criterion]:
    purpose = datamap.purposes[pid]
    declared = set(purpose.dpia.criteria) if purpose.dpia else set()
    return declared | shown_criteria(purpose, all_categories(datamap))


def _next_reference(session: Session, now: datetime) -> str:
    prefix = f"DPIA-{now:%Y}-"
    numbers = [
        int(r.removeprefix(prefix)) for r in repository.references_with(session, prefix=prefix)
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def get_dpia(session: Session, *, reference: str, lock: bool = False) -> Dpia:
    dpia = repository.by_reference(session, reference=reference, lock=lock)
    if dpia is None:
        raise DpiaNotFoundError(f"No DPIA {reference.strip()} in the register: see `lawful dpia list`.",
                                field="reference")  # fmt: skip
    return dpia


def list_dpias(session: Session) -> list[Dpia]:
    return repository.list_dpias(session)


def update_dpia(
    session: Session,
    *,
    reference: str,
    actor: str,
    state: DpiaState | None = None,
    summary: str | None = None,
    review_on: date | None = None,
    at: datetime | None = None,
) -> Dpia:
    """Move a DPIA forward, write its summary, set its next review (Art. 35(11)). Approving
    needs a summary of the risks and measures (Art. 35(7)) and a review date."""
    now = at or utcnow()
    dpia = get_dpia(session, reference=reference, lock=True)
    changed: list[str] = []
    if summary is not None and summary.strip() != (dpia.summary or ""):
        dpia.summary = summary.strip() or None
        changed.append("summary")
    if review_on is not None and review_on != dpia.review_on:
        if review_on < now.date():
            raise InvalidDpiaError("The review date is in the past.", field="review_on")
        dpia.review_on = review_on
        changed.append("review_on")
    if state is not None and state != dpia.state:
        if state not in NEXT_STATES[dpia.state]:
            raise InvalidDpiaError(f"{dpia.reference} is {dpia.state.value}: it cannot become "
                                   f"{state.value}.", field="state")  # fmt: skip
        if state is DpiaState.approved:
            if not dpia.summary:
                raise InvalidDpiaError("Write the summary of risks and measures before approving "
                                       "(Art. 35(7)).", field="summary")  # fmt: skip
            if dpia.review_on is None:
                raise InvalidDpiaError("Set a review date before approving (Art. 35(11)).",
                                       field="review_on")  # fmt: skip
            dpia.approved_by, dpia.approved_at = actor, now
        dpia.state = state
        changed.append("state")
    if not changed:
        raise InvalidDpiaError("Nothing to change.", field="state")
    dpia.updated_at = now
    details: dict[str, object] = {"changed": changed, "state": dpia.state.value}
    _audit(session, dpia, actor, "dpia.updated", details, now)
    return dpia


def _audit(session: Session, dpia: Dpia, actor: str, action: str, details: dict[str, object],
           at: datetime) -> None:  # fmt: skip
    record_event(session, actor=actor, action=action, subject_type="dpia",
                 subject_id=dpia.reference, details=details, at=at)  # fmt: skip
