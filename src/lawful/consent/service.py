"""The consent ledger's services: record, withdraw, object, check, filter an audience.

Keyword-only functions that never commit (the caller owns the transaction) and raise
`ConsentError`s a person can act on. Input is validated whole before anything is added, so a
refused call stores nothing. Withdrawing takes the same call as giving (GDPR Art. 7(3)).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.errors import ConsentInputError
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.notices import current_notice
from lawful.consent.policy import COOKIE_CHOICE_MONTHS, ConsentPolicy, PurposeRule, policy_for
from lawful.consent.repository import CheckFacts
from lawful.consent.rules import ALLOWED, Decision, reason_for, split_facts
from lawful.consent.subjects import Subject, parse_subject
from lawful.datamap.models import Channel, ConsentCapture, DataMap, TrackerCategory
from lawful.engine.holds import add_period
from lawful.engine.repository import add_suppressions
from lawful.law.minimisation import truncate_ip
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

SUBJECT_CONTEXT = "consent.subject"
EVIDENCE_CONTEXT = "consent.evidence"
_METHOD = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # BCP 47 (RFC 5646), simplified
_MAX_EVIDENCE = 16_384  # bytes of JSON: a form snapshot, not a document store
_CLOCK_SKEW = timedelta(minutes=5)
# A choice dated before any system here could have recorded it (year 1 counted as consent).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Evidence:
    """What shows how the choice was made (GDPR Art. 7(1): the controller must be able to
    demonstrate consent). The IP address is cut to its network before it is stored."""

    form: dict[str, Any] | None = None
    ip: str | None = None
    user_agent: str | None = None
    gpc: bool = False


@dataclass(frozen=True)
class ConsentEntry:
    """One choice by one person, for one or more purposes (one event each).

    With no purpose and a `contact_channel`, it is a preference for the channel as a whole
    (e.g. "no marketing by SMS")."""

    subject: str
    state: ConsentState
    channel: str  # where it was collected (ISO/IEC TS 27560): web_form, email, phone, ...
    method: str  # how: checkbox, preference_center, one_click_unsubscribe, gpc, ...
    purposes: tuple[str, ...] = ()
    contact_channel: str | None = None
    cookie_category: str | None = None
    language: str | None = None
    at: datetime | None = None
    evidence: Evidence | None = None


@dataclass
class AudienceResult:
    """Positions (in the given list) of the contacts that may be contacted, and how many
    were left out for each reason."""

    allowed: list[int]
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.allowed) + sum(self.excluded.values())


# --- recording --------------------------------------------------------------------------------


def record_consent(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    entry: ConsentEntry,
    actor: str,
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """Append one event per purpose (or one channel preference), with the notice in force."""
    policy, moment = policy_for(datamap), now or utcnow()
    subject = parse_subject(entry.subject, policy=policy)
    rules = _checked_entry(entry, policy, moment)
    version, digest = current_notice(session, datamap=datamap)
    common = _common_fields(entry, subject, keyring, policy, version, digest, actor, moment)
    targets: Sequence[PurposeRule | None] = rules or [None]
    events = [_event(common, rule, entry, moment) for rule in targets]
    session.add_all(events)
    session.flush()
    _audit(session, actor=actor, subject_index=common["subject_index"], entry=entry, events=events)
    return events


def withdraw_consent(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    entry: ConsentEntry,
    actor: str,
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """The same call as giving, with the state `withdrawn` (GDPR Art. 7(3))."""
    withdrawn = dataclasses.replace(entry, state=ConsentState.withdrawn)
    return record_consent(
        session, datamap=datamap, keyring=keyring, entry=withdrawn, actor=actor, now=now
    )


def object_to_marketing(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    subject: str,
    channel: str,
    actor: str,
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """An objection to direct marketing (GDPR Art. 21(2)–(3)): absolute. The person joins the
    suppression list (as an erasure does) and every marketing purpose gets a withdrawal."""
    policy = policy_for(datamap)
    person = parse_subject(subject, policy=policy)
    marketing = tuple(p.id for p in policy.purposes.values() if p.marketing)
    entry = ConsentEntry(
        subject=subject,
        state=ConsentState.withdrawn,
        channel=channel,
        method="objection",
        purposes=marketing,
    )
    events = (
        record_consent(session, datamap=datamap, keyring=keyring, entry=entry, actor=actor, now=now)
        if marketing
        else []
    )
    add_suppressions(session, entries=suppression_entries(policy, keyring, person))
    return events


def suppression_entries(
    policy: ConsentPolicy, keyring: Keyring, subject: Subject
) -> list[tuple[str, str]]:
    """The `(identity type, keyed hash)` pairs the engine's erasure writes for this value,
    under every identity type of the same kind the map declares."""
    types = policy.suppression_types.get(subject.kind, (subject.kind,))
    return [(kind, keyring.suppression_hash(f"{kind}:{subject.value}")) for kind in types]


def _checked_entry(entry: ConsentEntry, policy: ConsentPolicy, now: datetime) -> list[PurposeRule]:
    rules = [purpose_rule(policy, p) for p in dict.fromkeys(entry.purposes)]
    if not rules and entry.contact_channel is None and entry.cookie_category is None:
        raise ConsentInputError(
            "name the purposes the choice is about, or the channel it applies to",
            field="purposes",
        )
    _one_of(entry.channel, [c.value for c in ConsentCapture], "channel")
    if entry.contact_channel is not None:
        contact_channel(entry.contact_channel)
    if entry.cookie_category is not None:
        _one_of(entry.cookie_category, [c.value for c in TrackerCategory], "cookie_category")
    if not _METHOD.match(entry.method):
        raise ConsentInputError(
            "the method is a short code in lower case, e.g. checkbox or verbal", field="method"
        )
    if entry.language is not None and not _LANGUAGE.match(entry.language):
        raise ConsentInputError(
            f"{entry.language[:20]!r} is not a language tag like en or fr-FR", field="language"
        )
    if entry.at is not None and not _plausible(entry.at, now=now):
        raise ConsentInputError(
            f"the time of the choice ({entry.at.isoformat()[:32]}) must have a time zone, "
            "be from 1970-01-01 on and not be in the future",
            field="at",
        )
    return rules


def purpose_rule(policy: ConsentPolicy, purpose: str) -> PurposeRule:
    rule = policy.purposes.get(purpose)
    if rule is None:
        known = ", ".join(sorted(policy.purposes)) or "none"
        raise ConsentInputError(
            f"unknown purpose {purpose[:60]!r}: the data map declares {known}", field="purpose"
        )
    return rule


def contact_channel(channel: str) -> str:
    return _one_of(channel, [c.value for c in Channel], "channel")


def _one_of(value: str, allowed: list[str], name: str) -> str:
    if value not in allowed:
        raise ConsentInputError(
            f"unknown {name.replace('_', ' ')} {value[:40]!r}: use one of {', '.join(allowed)}",
            field=name,
        )
    return value


def _common_fields(
    entry: ConsentEntry,
    subject: Subject,
    keyring: Keyring,
    policy: ConsentPolicy,
    version: str,
    digest: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "subject_index": keyring.index(subject.key),
        "subject_sealed": keyring.encrypt(subject.key.encode(), context=SUBJECT_CONTEXT),
        "subject_type": subject.kind,
        "contact_channel": entry.contact_channel,
        "cookie_category": entry.cookie_category,
        "state": entry.state,
        "notice_version": version,
        "notice_sha256": digest,
        "channel": entry.channel,
        "method": entry.method,
        "language": entry.language or policy.language,
        "actor": actor[:200],
        "at": entry.at or now,
        "recorded_at": now,
        "evidence_sealed": _sealed_evidence(entry.evidence, keyring),
    }


def _event(
    common: dict[str, Any], rule: PurposeRule | None, entry: ConsentEntry, now: datetime
) -> ConsentEvent:
    expires = _expiry(rule, entry, common["at"]) if entry.state is ConsentState.given else None
    return ConsentEvent(**common, purpose=rule.id if rule else None, expires_at=expires)


def _expiry(rule: PurposeRule | None, entry: ConsentEntry, at: datetime) -> datetime | None:
    """When the consent lapses: the purpose's `consent.expires`, and for a cookie choice at
    most six months (CNIL, délibération 2020-091, §38)."""
    ends = [f"P{COOKIE_CHOICE_MONTHS}M"] if entry.channel == ConsentCapture.cookie_banner else []
    if rule is not None and rule.expires:
        ends.append(rule.expires)
    moments = [datetime.combine(add_period(at.date(), p), at.timetz()) for p in ends]
    return min(moments, default=None)


def _sealed_evidence(evidence: Evidence | None, keyring: Keyring) -> bytes | None:
    if evidence is None:
        return None
    content = {
        "form": evidence.form,
        "ip": truncate_ip(evidence.ip),
        "user_agent": (evidence.user_agent or "")[:300] or None,
        "gpc": evidence.gpc,
    }
    if len(json.dumps(content, default=str)) > _MAX_EVIDENCE:
        raise ConsentInputError(
            f"the evidence is larger than {_MAX_EVIDENCE // 1024} KB: keep the form snapshot "
            "to the fields and texts shown",
            field="evidence",
        )
    return keyring.encrypt_json(content, context=EVIDENCE_CONTEXT)


def _audit(
    session: Session,
    *,
    actor: str,
    subject_index: str,
    entry: ConsentEntry,
    events: list[ConsentEvent],
) -> None:
    details = {
        "events": [e.uid for e in events],
        "purposes": [e.purpose for e in events if e.purpose],
        "state": entry.state.value,
        "channel": entry.channel,
        "method": entry.method,
        "contact_channel": entry.contact_channel,
    }
    record_event(
        session,
        actor=actor[:200],
        action=f"consent.{entry.state.value}",
        subject_type="consent_subject",
        subject_id=subject_index,
        details=details,
    )


# --- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckQuestion:
    """A check's input, validated and normalised: what `repository.check_facts` looks up."""

    rule: PurposeRule
    channel: str
    index: str  # the subject's blind index
    suppression: list[tuple[str, str]]  # (identity type, keyed hash), marketing purposes only


def check_question(
    *, datamap: DataMap, keyring: Keyring, subject: str, purpose: str, channel: str
) -> CheckQuestion:
    """Validate a check (no store needed); raises ConsentInputError when malformed."""
    policy = policy_for(datamap)
    rule = purpose_rule(policy, purpose)
    contact_channel(channel)
    person = parse_subject(subject, policy=policy)
    return CheckQuestion(
        rule=rule,
        channel=channel,
        index=keyring.index(person.key),
        suppression=suppression_entries(policy, keyring, person) if rule.marketing else [],
    )


def decide_check(*, question: CheckQuestion, found: CheckFacts, now: datetime) -> Decision:
    """The decision on the facts the store gave for `question`."""
    purpose_event, channel_event = split_facts(found.events)
    reason, event = reason_for(
        question.rule,
        channel=question.channel,
        suppressed=found.suppressed,
        purpose_event=purpose_event,
        channel_event=channel_event,
        reconsent_after=repository.in_force(found.changes, now),
        now=now,
    )
    return Decision(allowed=reason in ALLOWED, reason=reason, event=event)


def check_consent(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    subject: str,
    purpose: str,
    channel: str,
    now: datetime | None = None,
) -> Decision:
    """May this person be contacted (or their data used) for the purpose on the channel?
    The answer names the reason and the event that decided it."""
    question = check_question(
        datamap=datamap, keyring=keyring, subject=subject, purpose=purpose, channel=channel
    )
    found = repository.check_facts(
        session,
        index=question.index,
        purpose=question.rule.id,
        channel=question.channel,
        suppression=question.suppression,
    )
    return decide_check(question=question, found=found, now=now or utcnow())


def _plausible(at: datetime, *, now: datetime) -> bool:
    """A choice's time: with a time zone, from 1970 on, not later than now (and clock drift)."""
    return at.tzinfo is not None and _EARLIEST <= at <= now + _CLOCK_SKEW
