"""Recording that a notification went out: to the supervisory authority (GDPR Art. 33(1)),
to the people affected (Art. 34(1)) or, as a processor, to our clients, the controllers
(Art. 33(2)); when, how, and the authority's reference. Each is one phase of the incident
(Art. 33(4)) and one `breach.notified` entry in the audit trail.

Services never commit: the request that calls them owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lawful.breach.clock import breach_clock
from lawful.breach.errors import InvalidIncidentError
from lawful.breach.models import Incident
from lawful.breach.service import Changes, get_incident, update_incident
from lawful.datamap.models import DataMap
from lawful.store.audit import record_event
from lawful.store.models import utcnow

FIELDS = {
    "authority": "authority_notified_at",  # GDPR Art. 33(1)
    "people": "people_notified_at",  # GDPR Art. 34(1)
    "clients": "clients_notified_at",  # GDPR Art. 33(2)
}
WHO = {"authority": "the supervisory authority", "people": "the people affected",
       "clients": "our clients (the controllers)"}  # fmt: skip


def late_without_reasons(incident: Incident, *, at: datetime, delay_reasons: str | None) -> bool:
    """Whether a notification of the authority at `at` is past 72 hours with no reasons given
    (GDPR Art. 33(1): a later notification is accompanied by the reasons for the delay)."""
    clock = breach_clock(became_aware_at=incident.became_aware_at, now=at, notified_at=at,
                         controller=True)  # fmt: skip
    return clock.late and not (delay_reasons or incident.delay_reasons)


def record_notification(
    session: Session,
    *,
    datamap: DataMap,
    reference: str,
    audience: str,
    notified_at: datetime,
    channel: str,
    actor: str,
    authority_reference: str | None = None,
    delay_reasons: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Record that `audience` was told at `notified_at` through `channel`. Recorded once per
    audience: a later message is a new phase of information, recorded as an update."""
    if audience not in FIELDS:
        raise InvalidIncidentError(
            "Choose who was told: the authority, the people, or our clients.", field="audience"
        )
    incident = get_incident(session, reference=reference)
    name = FIELDS[audience]
    already = getattr(incident, name)
    if already is not None:
        raise InvalidIncidentError(
            f"That {WHO[audience]} were told is already recorded ({already:%Y-%m-%d %H:%M} UTC); "
            "what was sent later goes in an update (GDPR Art. 33(4)).",
            field="audience",
        )
    if audience == "authority" and late_without_reasons(incident, at=notified_at,
                                                         delay_reasons=delay_reasons):  # fmt: skip
        raise InvalidIncidentError(
            "The authority was told after 72 hours: give the reasons for the delay, as GDPR "
            "Art. 33(1) requires.",
            field="delay_reasons",
        )
    changes = Changes()
    setattr(changes, name, notified_at)
    if audience == "authority":
        changes.authority_reference = authority_reference
        changes.delay_reasons = delay_reasons
    said = f"{WHO[audience]} told by {channel}" + (f": {note}" if note else "")
    now = now or utcnow()
    incident = update_incident(session, datamap=datamap, reference=reference, changes=changes,
                               actor=actor, note=said, at=now)  # fmt: skip
    record_event(session, actor=actor, action="breach.notified", subject_type="breach",
                 subject_id=incident.reference, at=now,
                 details={"audience": audience, "channel": channel,
                          "notified_at": notified_at.isoformat()})  # fmt: skip
    return incident
