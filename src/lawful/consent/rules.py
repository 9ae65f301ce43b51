"""The one place that decides whether a person may be contacted for a purpose on a channel.

Both the single check and the audience filter call `reason_for`, so they can never disagree.
It is pure: the facts (latest events, suppression, material notice changes) are gathered by
the caller in as few queries as possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lawful.consent.models import ConsentState
from lawful.consent.policy import PurposeRule
from lawful.consent.repository import EventFact

GIVEN = ConsentState.given.value

# Reason code → what it means, for the person reading a check's answer.
REASONS: dict[str, str] = {
    "consent_given": "the person gave consent for this purpose and has not withdrawn it",
    "legal_basis": "the purpose rests on a legal basis other than consent and the person "
    "has not objected",
    "channel_not_declared": "the data map does not declare this channel for the purpose",
    "suppressed": "the person objected to direct marketing or was erased: never contact them "
    "for marketing again (GDPR Art. 21(3), Art. 17)",
    "channel_opted_out": "the person opted out of this channel",
    "no_consent": "no consent is recorded for this purpose (GDPR Art. 6(1)(a), Art. 7(1))",
    "refused": "the person refused consent for this purpose",
    "withdrawn": "the person withdrew consent (GDPR Art. 7(3))",
    "expired": "the consent has expired: ask again",
    "reconsent_required": "the notice changed materially since the consent was given: "
    "ask for consent again",
    "objected": "the person objected to or opted out of this purpose (GDPR Art. 21, "
    "CCPA §1798.120)",
    "no_legal_basis": "the data map declares no legal basis for this purpose",
    "service_communication": "service communication: account, security and contract notices "
    "are sent under the contract or the law (GDPR Art. 6(1)(b), (c)), whatever the person "
    "chose for marketing on this channel",
}
ALLOWED = frozenset({"consent_given", "legal_basis", "service_communication"})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    event: EventFact | None

    @property
    def message(self) -> str:
        return REASONS[self.reason]


def reason_for(
    rule: PurposeRule,
    *,
    channel: str,
    suppressed: bool,
    purpose_event: EventFact | None,
    channel_event: EventFact | None,
    reconsent_after: datetime | None,
    now: datetime,
) -> tuple[str, EventFact | None]:
    """The reason code deciding the case, and the event that decided it (if one did)."""
    if rule.channels and channel not in rule.channels:
        return "channel_not_declared", None
    if rule.service_communication:  # a channel opt-out is about marketing (ePrivacy Art. 13)
        return "service_communication", None
    if suppressed and rule.marketing:
        return "suppressed", None
    if _opted_out_of_channel(channel_event, purpose_event):
        return "channel_opted_out", channel_event
    if rule.basis is None:
        return "no_legal_basis", None
    if not rule.consent_based:
        return _objection(purpose_event)
    return _consent(purpose_event, reconsent_after, now)


def _opted_out_of_channel(channel_event: EventFact | None, purpose_event: EventFact | None) -> bool:
    """A "no" to the whole channel counts unless a later choice about the purpose overrides it."""
    if channel_event is None or channel_event.state == GIVEN:
        return False
    return purpose_event is None or channel_event.order > purpose_event.order


def _objection(event: EventFact | None) -> tuple[str, EventFact | None]:
    if event is not None and event.state != GIVEN:
        return "objected", event
    return "legal_basis", event


def _consent(
    event: EventFact | None, reconsent_after: datetime | None, now: datetime
) -> tuple[str, EventFact | None]:
    if event is None:
        return "no_consent", None
    if event.state != GIVEN:
        return event.state, event  # refused, withdrawn or expired
    if event.expires_at is not None and event.expires_at <= now:
        return "expired", event
    if reconsent_after is not None and event.at < reconsent_after:
        return "reconsent_required", event
    return "consent_given", event


def latest(current: EventFact | None, candidate: EventFact) -> EventFact:
    return candidate if current is None or candidate.order > current.order else current


def split_facts(
    facts: list[EventFact],
) -> tuple[EventFact | None, EventFact | None]:
    """(latest event about the purpose, latest global preference for the channel)."""
    purpose_event: EventFact | None = None
    channel_event: EventFact | None = None
    for fact in facts:
        if fact.purpose is None:
            channel_event = latest(channel_event, fact)
        else:
            purpose_event = latest(purpose_event, fact)
    return purpose_event, channel_event
