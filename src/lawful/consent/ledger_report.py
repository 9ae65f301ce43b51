"""The ledger as staff read it (the console's Consent pages and `lawful consent`): how many
people stand where for each purpose, the published notice versions and who must be asked
again, and one person's history with their current decisions.

Counts are set-based (the latest event of each subject and purpose found by a window
function in the database), never a loop over the ledger. Looking a person up is audited
(`consent_looked_up`) with the number of events shown, never who it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.notices import ReconsentEntry, reconsent_count, reconsent_list
from lawful.consent.policy import PurposeRule, policy_for
from lawful.consent.rules import Decision
from lawful.consent.service import EVIDENCE_CONTEXT, check_consent, purpose_rule
from lawful.consent.subjects import parse_subject
from lawful.datamap.models import Channel, DataMap
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring

STATES = tuple(s.value for s in ConsentState)
GPC_METHOD = "gpc"  # a banner choice forced by Global Privacy Control (11 CCR §7025)


@dataclass(frozen=True)
class PurposeCounts:
    """People by the state of their latest event about a purpose (a consent past its
    `expires_at` counts as expired, as a check reads it, before the job writes it)."""

    id: str
    name: str
    basis: str
    states: dict[str, int]
    gpc: int  # people whose latest choice was a GPC opt-out

    @property
    def people(self) -> int:
        return sum(self.states.values())


@dataclass(frozen=True)
class NoticeRow:
    version: str
    published_at: datetime
    material: bool
    sha256: str
    purposes: list[str]


@dataclass(frozen=True)
class ConsentOverview:
    purposes: list[PurposeCounts]
    notices: list[NoticeRow]
    latest_material: NoticeRow | None
    reconsent_people: int  # distinct people with at least one consent to renew


@dataclass(frozen=True)
class DecisionRow:
    purpose: str
    channel: str
    decision: Decision


@dataclass(frozen=True)
class PersonHistory:
    subject: str  # normalised, TYPE:VALUE
    events: list[ConsentEvent]
    evidence: dict[str, str]  # event uid → what its evidence holds, in words
    decisions: list[DecisionRow] = field(default_factory=list)


def purpose_counts(session: Session, *, datamap: DataMap, now: datetime) -> list[PurposeCounts]:
    """Every purpose of the map with its people by current state, in one query."""
    found: dict[str, Counter[str]] = {}
    gpc: Counter[str] = Counter()
    for purpose, state, people, by_gpc in session.execute(_state_query(now)):
        found.setdefault(purpose, Counter())[state] += people
        gpc[purpose] += int(by_gpc or 0)
    return [_counts(rule, found.get(pid, Counter()), gpc[pid])
            for pid, rule in policy_for(datamap).purposes.items()]  # fmt: skip


def _state_query(now: datetime) -> Select[Any]:
    """(purpose, state, people, of whom by GPC) of the latest event per subject and purpose."""
    latest = (
        select(
            ConsentEvent.purpose,
            ConsentEvent.state,
            ConsentEvent.expires_at,
            ConsentEvent.method,
            func.row_number()
            .over(
                partition_by=(ConsentEvent.subject_index, ConsentEvent.purpose),
                order_by=(ConsentEvent.at.desc(), ConsentEvent.id.desc()),
            )
            .label("rank"),
        )
        .where(ConsentEvent.purpose.is_not(None))
        .subquery()
    )
    lapsed = and_(latest.c.state == ConsentState.given, latest.c.expires_at <= now)
    shown = case((lapsed, ConsentState.expired.value), else_=latest.c.state)
    state = type_coerce(shown, String).label("state")
    by_gpc = case((latest.c.method == GPC_METHOD, 1), else_=0)
    return (
        select(latest.c.purpose, state, func.count(), func.sum(by_gpc))
        .where(latest.c.rank == 1)
        .group_by(latest.c.purpose, state)
    )


def _counts(rule: PurposeRule, states: Counter[str], gpc: int) -> PurposeCounts:
    basis = rule.basis.value if rule.basis else "none"
    return PurposeCounts(rule.id, rule.name, basis, {s: states.get(s, 0) for s in STATES}, gpc)


def notice_rows(session: Session) -> list[NoticeRow]:
    """The published notice versions, oldest first, with the purposes a material one affects."""
    return [
        NoticeRow(
            n.version,
            n.published_at,
            n.material,
            n.sha256,
            repository.notice_purposes(session, notice_id=n.id),
        )
        for n in repository.notice_versions(session)
    ]


def consent_overview(
    session: Session, *, datamap: DataMap, keyring: Keyring, now: datetime
) -> ConsentOverview:
    """What the console's Consent page shows."""
    notices = notice_rows(session)
    material = [n for n in notices if n.material]
    return ConsentOverview(
        purposes=purpose_counts(session, datamap=datamap, now=now),
        notices=notices,
        latest_material=material[-1] if material else None,
        reconsent_people=reconsent_count(session, datamap=datamap, now=now) if material else 0,
    )


def reconsent_for(
    session: Session, *, datamap: DataMap, keyring: Keyring, purpose: str, now: datetime
) -> list[ReconsentEntry]:
    """The people to ask again for one purpose (an unknown purpose is refused)."""
    rule = purpose_rule(policy_for(datamap), purpose)
    return reconsent_list(session, datamap=datamap, keyring=keyring, now=now, purpose=rule.id)


def look_up_person(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    subject: str,
    actor: str,
    now: datetime,
) -> PersonHistory:
    """A person's events (oldest first), evidence in words and current decisions for every
    purpose and channel, found through the blind index. Audited without saying who."""
    person = parse_subject(subject, policy=policy_for(datamap))
    index = keyring.index(person.key)
    events = repository.subject_events(session, index=index)
    record_event(
        session,
        actor=actor,
        action="consent_looked_up",
        subject_type="consent_subject",
        subject_id=index,
        details={"events": len(events)},
    )
    evidence = {e.uid: evidence_summary(e, keyring) for e in events}
    decisions = current_decisions(session, datamap=datamap, keyring=keyring,
                                  subject=person.key, now=now)  # fmt: skip
    return PersonHistory(person.key, events, evidence, decisions)


def current_decisions(
    session: Session, *, datamap: DataMap, keyring: Keyring, subject: str, now: datetime
) -> list[DecisionRow]:
    """The check's answer for every purpose, on each channel it declares (or the web)."""
    rows = []
    for rule in policy_for(datamap).purposes.values():
        for channel in sorted(rule.channels) or [Channel.web.value]:
            decision = check_consent(session, datamap=datamap, keyring=keyring, subject=subject,
                                     purpose=rule.id, channel=channel, now=now)  # fmt: skip
            rows.append(DecisionRow(rule.id, channel, decision))
    return rows


def evidence_summary(event: ConsentEvent, keyring: Keyring) -> str:
    """What the evidence holds, not its content: "form, IP network, GPC", or "none"."""
    if event.evidence_sealed is None:
        return "none"
    content = keyring.decrypt_json(event.evidence_sealed, context=EVIDENCE_CONTEXT)
    names = {"form": "form", "ip": "IP network", "user_agent": "browser", "gpc": "GPC"}
    held = [label for key, label in names.items() if content.get(key)]
    return ", ".join(held) or "none"
