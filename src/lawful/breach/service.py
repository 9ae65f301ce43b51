"""The breach register's services: open an incident, update it in phases (GDPR Art. 33(4)),
count the people affected through the connectors, and read it back with its clock.

Every change is recorded twice: as a phase of the incident (what changed, with the new
values, for the register) and in the audit trail (which fields changed, never their text).
Services never commit: the command, request or task that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.breach import repository
from lawful.breach.affected import Affected, find_affected
from lawful.breach.assessment import Exemption
from lawful.breach.clock import Clock, breach_clock
from lawful.breach.errors import IncidentNotFoundError, InvalidIncidentError
from lawful.breach.models import Incident, IncidentStatus, IncidentUpdate, OurRole, Risk
from lawful.datamap.models import DataMap, RecipientRole
from lawful.engine.datastores import Datastores
from lawful.store.audit import record_event
from lawful.store.models import utcnow

KINDS = ("confidentiality", "integrity", "availability")  # EDPB Guidelines 9/2022, 2.1
PROCESSOR_ROLES = {RecipientRole.processor, RecipientRole.sub_processor}


def open_incident(
    session: Session,
    *,
    datamap: DataMap,
    title: str,
    became_aware_at: datetime | None,
    actor: str,
    systems: Sequence[str] = (),
    datasets: Sequence[str] = (),
    nature: str | None = None,
    kinds: Sequence[str] = (),
    role: OurRole | None = None,
    reported_by: str | None = None,
    reported_to_us_at: datetime | None = None,
    at: datetime | None = None,
) -> Incident:
    """Register an incident. The clock starts when we became aware of it; when a processor
    reported it to us, that is when they told us (Art. 33(2), EDPB Guidelines 9/2022 §2.3)."""
    now = at or utcnow()
    aware = became_aware_at or reported_to_us_at
    _check_opening(datamap, title, aware, now, systems, datasets, kinds, reported_by)
    assert aware is not None  # checked above
    aware = aware.astimezone(UTC)  # hours are added in UTC (see `breach_clock`)
    reported_to_us_at = reported_to_us_at.astimezone(UTC) if reported_to_us_at else None
    scope = _datasets(datamap, systems, datasets)
    incident = Incident(
        reference=_next_reference(session, now),
        title=title.strip(),
        our_role=role or _role(datamap, scope),
        became_aware_at=aware,
        reported_by=reported_by,
        reported_to_us_at=reported_to_us_at,
        systems=sorted(set(systems) | {datamap.datasets[d].system for d in scope}),
        datasets=scope,
        kinds=list(dict.fromkeys(kinds)),
        nature=(nature or "").strip() or None,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    _audit(session, incident, actor, "breach.opened", {"datasets": scope}, now)
    return incident


def _check_opening(
    datamap: DataMap,
    title: str,
    aware: datetime | None,
    now: datetime,
    systems: Sequence[str],
    datasets: Sequence[str],
    kinds: Sequence[str],
    reported_by: str | None,
) -> None:
    if not title.strip():
        raise InvalidIncidentError("Give the incident a short title.", field="title")
    if aware is None:
        raise InvalidIncidentError(
            "Say when we became aware of the breach (--aware-at): the 72 hours run from then.",
            field="became_aware_at",
        )
    if aware > now:
        raise InvalidIncidentError(
            "The time of awareness is in the future.", field="became_aware_at"
        )
    _check_names(datamap, systems, datasets, kinds)
    if reported_by is not None:
        recipient = datamap.recipients.get(reported_by)
        if recipient is None or recipient.role not in PROCESSOR_ROLES:
            known = sorted(r for r, v in datamap.recipients.items() if v.role in PROCESSOR_ROLES)
            raise InvalidIncidentError(
                f"`{reported_by}` is not a processor of the map; processors: {', '.join(known)}.",
                field="reported_by",
            )


def _check_names(
    datamap: DataMap, systems: Sequence[str], datasets: Sequence[str], kinds: Sequence[str]
) -> None:
    for what, names, known in (
        ("system", systems, datamap.systems),
        ("dataset", datasets, datamap.datasets),
        ("kind", kinds, KINDS),
    ):
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InvalidIncidentError(
                f"Unknown {what}(s): {', '.join(unknown)}. Known: {', '.join(known)}.",
                field=f"{what}s",
            )


def _datasets(datamap: DataMap, systems: Sequence[str], datasets: Sequence[str]) -> list[str]:
    """The datasets named, and every dataset of the systems named, in map order."""
    wanted = set(datasets) | {d for d, ds in datamap.datasets.items() if ds.system in systems}
    return [d for d in datamap.datasets if d in wanted]


def _role(datamap: DataMap, datasets: Sequence[str]) -> OurRole:
    """Processor when every affected dataset is a client's; else controller."""
    if datasets and all(datamap.datasets[d].client_id() for d in datasets):
        return OurRole.processor
    return OurRole.controller


def _next_reference(session: Session, now: datetime) -> str:
    prefix = f"BR-{now:%Y}-"
    numbers = [
        int(r.removeprefix(prefix)) for r in repository.references_in_year(session, prefix=prefix)
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


@dataclass
class Changes:
    """What an update may change; None leaves a field as it is."""

    title: str | None = None
    status: IncidentStatus | None = None
    nature: str | None = None
    kinds: list[str] | None = None
    consequences: str | None = None
    measures_taken: str | None = None
    measures_proposed: str | None = None
    advice_to_people: str | None = None
    occurred_from: datetime | None = None
    occurred_until: datetime | None = None
    risk: Risk | None = None
    risk_reasoning: str | None = None
    exemptions: list[str] | None = None
    delay_reasons: str | None = None
    authority_notified_at: datetime | None = None
    authority_reference: str | None = None
    people_notified_at: datetime | None = None
    clients_notified_at: datetime | None = None
    people_count: int | None = None  # Art. 33(3)(a): approximate number of people concerned
    categories: list[str] | None = None  # Art. 33(3)(a): categories of personal data
    add_systems: list[str] = field(default_factory=list)
    add_datasets: list[str] = field(default_factory=list)


def update_incident(
    session: Session,
    *,
    datamap: DataMap,
    reference: str,
    changes: Changes,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> Incident:
    """Apply one phase of information (Art. 33(4)) and record it."""
    now = at or utcnow()
    incident = get_incident(session, reference=reference)
    values = _changed_values(datamap, incident, changes)
    _check_update(incident, values)
    for name, value in values.items():
        setattr(incident, name, value)
    if values.get("status") is IncidentStatus.closed:
        incident.closed_at = now
    incident.updated_at = now
    _phase(incident, actor, values, note, now)
    _audit(session, incident, actor, "breach.updated", {"changed": sorted(values)}, now)
    return incident


def _changed_values(datamap: DataMap, incident: Incident, changes: Changes) -> dict[str, Any]:
    values: dict[str, Any] = {
        f.name: _utc(getattr(changes, f.name))
        for f in fields(changes)
        if f.name not in {"add_systems", "add_datasets"} and getattr(changes, f.name) is not None
    }
    _check_names(datamap, changes.add_systems, changes.add_datasets, values.get("kinds", []))
    if values.get("exemptions"):
        unknown = [e for e in values["exemptions"] if e not in Exemption.__members__]
        if unknown:
            raise InvalidIncidentError(
                f"Unknown Art. 34(3) exemption(s): {', '.join(unknown)}. Known: "
                f"{', '.join(Exemption)}.",
                field="exemptions",
            )
    if changes.add_systems or changes.add_datasets:
        scope = _datasets(datamap, changes.add_systems, [*incident.datasets, *changes.add_datasets])
        values["datasets"] = scope
        values["systems"] = sorted(
            set(incident.systems) | {datamap.datasets[d].system for d in scope}
        )
    return {k: v for k, v in values.items() if getattr(incident, k) != v}


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _check_update(incident: Incident, values: dict[str, Any]) -> None:
    notified = values.get("authority_notified_at")
    if notified is not None:
        clock = breach_clock(became_aware_at=incident.became_aware_at, now=notified,
                             notified_at=notified, controller=True)  # fmt: skip
        if clock.late and not (values.get("delay_reasons") or incident.delay_reasons):
            raise InvalidIncidentError(
                "The authority was notified after 72 hours: give the reasons for the delay "
                "(--delay-reasons), as GDPR Art. 33(1) requires.",
                field="delay_reasons",
            )
        if notified < incident.became_aware_at:
            raise InvalidIncidentError(
                "The notification cannot precede the awareness of the breach.",
                field="authority_notified_at",
            )


def _phase(
    incident: Incident, actor: str, values: dict[str, Any], note: str | None, now: datetime
) -> None:
    shown = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
    incident.updates.append(
        IncidentUpdate(at=now, actor=actor, changed=sorted(values), values=shown, note=note)
    )


def count_affected(
    session: Session,
    *,
    datamap: DataMap,
    datastores: Datastores,
    reference: str,
    actor: str,
    at: datetime | None = None,
) -> Affected:
    """Count the people and records affected, through the connectors, and keep the counts
    (never the people) on the incident."""
    incident = get_incident(session, reference=reference)
    found = find_affected(datamap=datamap, datastores=datastores, datasets=incident.datasets)
    values: dict[str, Any] = {
        "people_count": found.people,
        "records_count": found.records,
        "unidentified_records": found.unidentified,
        "categories": found.categories,
        "subjects": found.subjects,
    }
    now = at or utcnow()
    for name, value in values.items():
        setattr(incident, name, value)
    incident.counted_at = incident.updated_at = now
    _phase(incident, actor, values, "counted through the connectors", now)
    _audit(session, incident, actor, "breach.counted",
           {"people": found.people, "records": sum(found.records.values())}, now)  # fmt: skip
    return found


def get_incident(session: Session, *, reference: str) -> Incident:
    incident = repository.by_reference(session, reference=reference)
    if incident is None:
        raise IncidentNotFoundError(f"No incident {reference!r}: `lawful breach show` lists them.")
    return incident


def list_incidents(session: Session, *, include_closed: bool = True) -> list[Incident]:
    return repository.list_incidents(session, include_closed=include_closed)


def incident_clock(incident: Incident, *, now: datetime) -> Clock:
    controller = incident.our_role is OurRole.controller
    notified = incident.authority_notified_at if controller else incident.clients_notified_at
    return breach_clock(became_aware_at=incident.became_aware_at, now=now,
                        notified_at=notified, controller=controller)  # fmt: skip


def _audit(
    session: Session,
    incident: Incident,
    actor: str,
    action: str,
    details: dict[str, Any],
    at: datetime,
) -> None:
    record_event(session, actor=actor, action=action, subject_type="breach",
                 subject_id=incident.reference, details=details, at=at)  # fmt: skip


def list_people(
    session: Session,
    *,
    datamap: DataMap,
    datastores: Datastores,
    reference: str,
    actor: str,
    at: datetime | None = None,
) -> Affected:
    """The people affected, with the identity values that reach them (to tell them, Art. 34).
    Read from the datastores each time, never stored; the export itself is audited."""
    incident = get_incident(session, reference=reference)
    found = find_affected(
        datamap=datamap, datastores=datastores, datasets=incident.datasets, list_people=True
    )
    _audit(
        session, incident, actor, "breach.people_listed", {"people": found.people}, at or utcnow()
    )
    return found
