"""Placing and lifting markers, and telling the systems: keyword-only functions on a session
the caller commits. A placement is one statement (INSERT … ON CONFLICT): two placements of the
same decision at once make one marker and one change, so one delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lawful.datamap.models import DataMap
from lawful.datamap.outbound import WebhookNotify, WebhookTarget
from lawful.markers.models import Marker, MarkerChange, MarkerKind
from lawful.markers.repository import IDENTITY_CONTEXT
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import new_id, utcnow
from lawful.store.tasks import Dispatcher, defer_job

WEBHOOK_JOB = "markers.webhook"
PLACED, LIFTED = "placed", "lifted"


@dataclass(frozen=True)
class PersonInDataset:
    """A person as one dataset knows them: its own identity values and record keys."""

    dataset: str
    person: str  # the person's canonical identity in Lawful (only its blind index is kept)
    identities: dict[str, list[str]] = field(default_factory=dict)
    keys: list[Any] = field(default_factory=list)


def notify_of(datamap: DataMap, dataset: str) -> str:
    """How the dataset's system is told: webhook, http_connector, manual, or poll (nothing
    declared: the system reads the API or an export)."""
    declared = datamap.datasets[dataset].notify
    if declared is None:
        system = datamap.systems.get(datamap.datasets[dataset].system)
        declared = system.notify if system else None
    if declared is None:
        return "poll"
    return "webhook" if isinstance(declared, WebhookNotify) else declared


def webhook_target(datamap: DataMap, dataset: str) -> WebhookTarget | None:
    found = datamap.datasets.get(dataset)
    if found is None:
        return None
    declared = found.notify
    if declared is None and found.system in datamap.systems:
        declared = datamap.systems[found.system].notify
    return declared.webhook if isinstance(declared, WebhookNotify) else None


def person_index(keyring: Keyring, *, dataset: str, person: str) -> str:
    return keyring.index(f"marker\x00{dataset}\x00{person}")


def place_marker(
    session: Session,
    *,
    keyring: Keyring,
    datamap: DataMap,
    queue: Dispatcher,
    person: PersonInDataset,
    kind: MarkerKind,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> MarkerChange | None:
    """Place the decision (or re-place a lifted one); None when it is in force already."""
    moment = now or utcnow()
    sealed = keyring.encrypt_json(
        {"identities": person.identities, "keys": person.keys}, context=IDENTITY_CONTEXT
    )
    dialect = session.get_bind().dialect.name
    table = Marker.__table__
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    statement = insert.values(
        id=new_id(),
        dataset=person.dataset,
        kind=kind.value,
        person_index=person_index(keyring, dataset=person.dataset, person=person.person),
        identity_sealed=sealed,
        reason=reason[:40],
        active=True,
        created_at=moment,
        updated_at=moment,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.dataset, table.c.kind, table.c.person_index],
        set_={
            "active": True,
            "reason": statement.excluded.reason,
            "identity_sealed": statement.excluded.identity_sealed,
            "updated_at": moment,
        },
        where=table.c.active.is_(False),
    )
    marker_id = session.execute(statement.returning(table.c.id)).scalar()
    if marker_id is None:  # the WHERE kept a marker in force: nothing changed
        return None
    return _changed(
        session, datamap=datamap, queue=queue, marker_id=marker_id, person=person,
        kind=kind, reason=reason, action=PLACED, actor=actor, now=moment,
    )  # fmt: skip


def lift_marker(
    session: Session,
    *,
    keyring: Keyring,
    datamap: DataMap,
    queue: Dispatcher,
    person: PersonInDataset,
    kind: MarkerKind,
    actor: str,
    now: datetime | None = None,
) -> MarkerChange | None:
    """Lift the decision; None when none was in force."""
    moment = now or utcnow()
    index = person_index(keyring, dataset=person.dataset, person=person.person)
    marker_id = session.execute(
        update(Marker)
        .where(
            Marker.dataset == person.dataset,
            Marker.kind == kind.value,
            Marker.person_index == index,
            Marker.active.is_(True),
        )
        .values(active=False, updated_at=moment)
        .returning(Marker.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if marker_id is None:
        return None
    return _changed(
        session, datamap=datamap, queue=queue, marker_id=marker_id, person=person,
        kind=kind, reason="lifted", action=LIFTED, actor=actor, now=moment,
    )  # fmt: skip


def _changed(
    session: Session,
    *,
    datamap: DataMap,
    queue: Dispatcher,
    marker_id: str,
    person: PersonInDataset,
    kind: MarkerKind,
    reason: str,
    action: str,
    actor: str,
    now: datetime,
) -> MarkerChange:
    """Log the change (its seq: the cursor and the delivery id), tell the system, audit it."""
    how = notify_of(datamap, person.dataset)
    change = MarkerChange(
        marker_id=marker_id, dataset=person.dataset, action=action, notify=how, at=now
    )
    session.add(change)
    session.flush()
    # `http_connector`: the connector's own call is not built yet, so staff tell the system,
    # as for `manual` (the change waits on the Markers page until they say they did).
    if how == "webhook":
        defer_job(
            session,
            queue=queue,
            kind=WEBHOOK_JOB,
            payload={"change": change.seq},
            dedupe_key=f"{WEBHOOK_JOB}:{change.seq}",
        )
    record_event(
        session,
        actor=actor[:200],
        action=f"marker.{action}",
        subject_type="marker",
        subject_id=marker_id,
        details={"dataset": person.dataset, "kind": kind.value, "reason": reason, "notify": how},
    )
    return change


BY_HAND = frozenset({"manual", "http_connector"})


def mark_told(session: Session, *, change: MarkerChange, actor: str) -> None:
    """Staff told the system of the change by hand (`manual`, `http_connector` for now)."""
    change.told_by = actor[:200]
    record_event(
        session,
        actor=actor[:200],
        action="marker.told",
        subject_type="marker",
        subject_id=change.marker_id,
        details={"dataset": change.dataset, "change": change.seq},
    )
