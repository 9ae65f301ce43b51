"""The preference center: what a person currently allows, per marketing purpose and channel,
and saving their changes as ledger events (one per change, nothing for what stayed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.errors import ConsentInputError
from lawful.consent.models import ConsentEvent, ConsentState
from lawful.consent.policy import policy_for
from lawful.consent.rules import REASONS
from lawful.consent.service import ConsentEntry, check_consent, record_consent
from lawful.consent.subjects import parse_subject
from lawful.datamap.models import DataMap
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow

CHANNELS = ("email", "sms", "phone", "post")  # the channels a person can switch off as a whole
CHANNEL_NAMES = {
    "email": "Email",
    "sms": "Text messages (SMS)",
    "phone": "Phone calls",
    "post": "Post",
    "web": "Website",
    "push": "App notifications",
}


@dataclass(frozen=True)
class Toggle:
    key: str  # "purpose:<id>:<channel>" or "channel:<channel>"
    label: str
    on: bool
    note: str | None = None


@dataclass(frozen=True)
class ServiceNotice:
    """A service communication: shown, not switchable, with the reason."""

    label: str
    why: str


SERVICE_WHY = (
    "we must send these to run your account and our contract with you, or because the law "
    "requires it (GDPR Art. 6(1)(b), (c)); switching a channel off does not stop them"
)


@dataclass(frozen=True)
class PreferenceView:
    purposes: list[Toggle]
    channels: list[Toggle]
    service: list[ServiceNotice] = field(default_factory=list)


def preference_view(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    subject: str,
    now: datetime | None = None,
) -> PreferenceView:
    """One switch per marketing purpose and channel it uses, one per channel as a whole."""
    policy = policy_for(datamap)
    toggles = []
    service = [
        ServiceNotice(f"{rule.name} — {CHANNEL_NAMES.get(channel, channel)}", SERVICE_WHY)
        for rule in policy.purposes.values()
        if rule.service_communication
        for channel in sorted(rule.channels)
    ]
    for rule in policy.purposes.values():
        if rule.service_communication:
            continue
        if not (rule.marketing or rule.consent_based) or not rule.channels:
            continue
        for channel in sorted(rule.channels):
            decision = check_consent(
                session,
                datamap=datamap,
                keyring=keyring,
                subject=subject,
                purpose=rule.id,
                channel=channel,
                now=now,
            )
            note = None if decision.allowed else REASONS[decision.reason]
            label = f"{rule.name} — {CHANNEL_NAMES.get(channel, channel)}"
            toggles.append(Toggle(f"purpose:{rule.id}:{channel}", label, decision.allowed, note))
    index = keyring.index(parse_subject(subject, policy=policy).key)
    channels = [_channel_toggle(session, index, channel) for channel in CHANNELS]
    return PreferenceView(purposes=toggles, channels=channels, service=service)


def _channel_toggle(session: Session, index: str, channel: str) -> Toggle:
    found = repository.channel_preference(session, index=index, channel=channel)
    on = found is None or found.state == ConsentState.given.value
    return Toggle(f"channel:{channel}", CHANNEL_NAMES[channel], on)


def save_preferences(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    subject: str,
    shown: list[str],
    checked: Mapping[str, bool],
    now: datetime | None = None,
) -> list[ConsentEvent]:
    """Record each switch the person changed; `shown` lists the switches of the form (an
    unticked box is not sent by a browser, so its absence means "off")."""
    moment = now or utcnow()
    view = preference_view(session, datamap=datamap, keyring=keyring, subject=subject, now=moment)
    current = {t.key: t.on for t in [*view.purposes, *view.channels]}
    unknown = [key for key in [*shown, *checked] if key not in current]
    if unknown:
        raise ConsentInputError(
            "the form holds choices this page does not offer; reload it and try again",
            field="preferences",
        )
    events: list[ConsentEvent] = []
    for key in shown:
        wanted = bool(checked.get(key))
        if wanted != current[key]:
            events += _record_switch(session, datamap, keyring, subject, key, wanted, moment)
    return events


def _record_switch(
    session: Session,
    datamap: DataMap,
    keyring: Keyring,
    subject: str,
    key: str,
    on: bool,
    now: datetime,
) -> list[ConsentEvent]:
    parts = key.split(":")
    purposes = (parts[1],) if parts[0] == "purpose" else ()
    entry = ConsentEntry(
        subject=subject,
        state=ConsentState.given if on else ConsentState.withdrawn,
        channel="web_form",
        method="preference_center",
        purposes=purposes,
        contact_channel=parts[-1],
    )
    return record_consent(
        session, datamap=datamap, keyring=keyring, entry=entry, actor="subject", now=now
    )
