"""Legal holds: placed on a person, datasets or a case; listed with reason and owner;
released with an audit entry. While active, a hold blocks erasure (GDPR Art. 17(3)(e): data
needed for legal claims) and retention sweeps.

Services never commit: the command, request or task that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores
from lawful.engine.identity import Identity, IdentityKind, identity_types
from lawful.engine.markers import record_index
from lawful.engine.person import find_records
from lawful.retention import repository
from lawful.retention.errors import HoldConflictError, HoldNotFoundError, InvalidHoldError
from lawful.retention.models import (
    HoldScope,
    LegalHold,
    LegalHoldDataset,
    LegalHoldPerson,
    LegalHoldValue,
)
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

IDENTITY = "legal_hold.identity"
LEGAL_CLAIMS = "GDPR Art. 17(3)(e)"  # erasure does not apply to data needed for legal claims


def value_index(keyring: Keyring, kind: str, value: str) -> str:
    """Blind index of one normalised identity value (the same for a hold and a request)."""
    return keyring.index(Identity(((kind, value),)).canonical())


def add_legal_hold(
    session: Session,
    *,
    keyring: Keyring,
    datamap: DataMap,
    scope: HoldScope,
    reason: str,
    owner: str,
    actor: str,
    people: Sequence[Identity] = (),
    datasets: Sequence[str] = (),
    reference: str | None = None,
    at: datetime | None = None,
) -> LegalHold:
    """Place a hold. Its people's records are found by `refresh_held_records` (called by the
    command right after, and by every sweep); their identity values block erasure at once."""
    _check_hold(datamap, scope, reason, owner, people, datasets, reference)
    hold = LegalHold(
        scope=scope,
        reference=(reference or "").strip() or None,
        reason=reason.strip(),
        owner=owner.strip(),
        datasets=list(dict.fromkeys(datasets)),
        created_by=actor,
        created_at=at or utcnow(),
    )
    hold.held_datasets = [LegalHoldDataset(dataset=d) for d in hold.datasets]
    for person in people:
        hold.people.append(_held_person(keyring, person))
    session.add(hold)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="legal_hold.placed",
        subject_type="legal_hold",
        subject_id=hold.id,
        details={**hold_summary(hold), "owner": hold.owner},
        at=at,
    )
    return hold


def _held_person(keyring: Keyring, person: Identity) -> LegalHoldPerson:
    values = [value_index(keyring, kind, value) for kind, value in person.values]
    return LegalHoldPerson(
        identity_sealed=keyring.encrypt_json(
            [list(pair) for pair in person.values], context=IDENTITY
        ),
        identity_index=keyring.index(person.canonical()),
        value_indexes=values,
        held_values=[LegalHoldValue(value_index=v) for v in dict.fromkeys(values)],
    )


def _check_hold(
    datamap: DataMap,
    scope: HoldScope,
    reason: str,
    owner: str,
    people: Sequence[Identity],
    datasets: Sequence[str],
    reference: str | None,
) -> None:
    if not reason.strip():
        raise InvalidHoldError("Say why the data must be kept (the reason).", field="reason")
    if not owner.strip():
        raise InvalidHoldError("Name who answers for the hold (the owner).", field="owner")
    unknown = [d for d in datasets if d not in datamap.datasets]
    if unknown:
        raise InvalidHoldError(
            f"Unknown dataset(s): {', '.join(unknown)}. Known: {', '.join(datamap.datasets)}.",
            field="datasets",
        )
    wanted = {
        HoldScope.person: (len(people) == 1 and not datasets, "exactly one person and no dataset"),
        HoldScope.dataset: (bool(datasets) and not people, "one or more datasets and no person"),
        HoldScope.case: (
            bool(people or datasets) and bool((reference or "").strip()),
            "a case reference and at least one person or dataset",
        ),
    }
    valid, what = wanted[scope]
    if not valid:
        raise InvalidHoldError(f"A {scope.value} hold needs {what}.", field="scope")


def release_legal_hold(
    session: Session, *, hold_id: str, actor: str, note: str, at: datetime | None = None
) -> LegalHold:
    """Release a hold: from now on erasure and sweeps treat its data as usual again."""
    hold = repository.get_hold(session, hold_id=hold_id)
    if hold is None:
        raise HoldNotFoundError(f"No legal hold {hold_id!r}: `lawful hold list` shows them.")
    if hold.released_at is not None:
        raise HoldConflictError(
            f"Legal hold {hold_id} was already released on {hold.released_at:%Y-%m-%d}."
        )
    if not note.strip():
        raise InvalidHoldError("Say why the hold is released (the note).", field="note")
    hold.released_at, hold.released_by, hold.release_note = at or utcnow(), actor, note.strip()
    record_event(
        session,
        actor=actor,
        action="legal_hold.released",
        subject_type="legal_hold",
        subject_id=hold.id,
        details=hold_summary(hold),
        at=at,
    )
    return hold


def list_legal_holds(session: Session, *, include_released: bool = False) -> list[LegalHold]:
    return repository.list_holds(session, include_released=include_released)


def refresh_held_records(
    session: Session, *, datamap: DataMap, datastores: Datastores, keyring: Keyring
) -> dict[int, int]:
    """Find, through the connectors, every record of every person on an active hold, and
    store their blind indexes (erasure checks them). Raises EngineError when a store cannot
    be read: a sweep must not run without knowing what is held."""
    found: dict[int, int] = {}
    for person in repository.held_people(session):
        identity = open_held_identity(keyring, person)
        with datastores.reading():
            collected = find_records(
                session, datamap=datamap, identity=identity, datastores=datastores, keyring=keyring
            )
        pairs = [
            (dataset, record_index(keyring, dataset=dataset, key=key))
            for dataset, records in collected.records.items()
            for key in records
        ]
        found[person.id] = repository.replace_held_records(session, person=person, records=pairs)
        person.records_found_at = utcnow()
    return found


def open_held_identity(keyring: Keyring, person: LegalHoldPerson) -> Identity:
    values = keyring.decrypt_json(person.identity_sealed, context=IDENTITY)
    return Identity(tuple((str(kind), str(value)) for kind, value in values))


@dataclass(frozen=True)
class HoldView:
    """A hold as staff see it: identity values masked."""

    id: str
    scope: str
    reference: str | None
    reason: str
    owner: str
    datasets: list[str]
    people: list[str]
    created_by: str
    created_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_note: str | None


def view_hold(keyring: Keyring, hold: LegalHold, *, datamap: DataMap | None = None) -> HoldView:
    kinds = identity_types(datamap) if datamap else {}
    people = [
        ", ".join(
            f"{kind} {mask(value, kinds.get(kind, IdentityKind.text))}"
            for kind, value in open_held_identity(keyring, person).values
        )
        for person in hold.people
    ]
    return HoldView(
        hold.id,
        hold.scope.value,
        hold.reference,
        hold.reason,
        hold.owner,
        list(hold.datasets),
        people,
        hold.created_by,
        hold.created_at,
        hold.released_at,
        hold.released_by,
        hold.release_note,
    )


def mask(value: str, kind: IdentityKind) -> str:
    """Enough to recognise a value, not to read it: `a…@example.org`, `+33…78`, `C-…42`."""
    if kind is IdentityKind.email and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}…@{domain}"
    if len(value) <= 4:
        return "…"
    return f"{value[:3]}…{value[-2:]}"


def hold_summary(hold: LegalHold) -> dict[str, Any]:
    """A hold without personal data: for the audit trail and listings."""
    return {
        "hold": hold.id,
        "scope": hold.scope.value,
        "reference": hold.reference,
        "datasets": list(hold.datasets),
        "people": len(hold.people),
    }
