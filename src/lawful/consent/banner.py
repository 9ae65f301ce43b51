"""The cookie banner: its configuration, generated from the map's `trackers:`, and the
choices it sends back, written to the ledger.

ePrivacy Directive Art. 5(3): a tracker that is not strictly necessary needs prior consent;
the CNIL exempts audience measurement within strict limits (délibération 2020-091 §51–53:
cookie ≤ 13 months, data ≤ 25 months), which the map marks `cnil_exempt`. A Global Privacy
Control signal (`Sec-GPC: 1` or `navigator.globalPrivacyControl`) is an opt-out of sale and
sharing that needs no question (11 CCR §7025(b)); the server applies it whatever the page
sends, and the banner shows that it was honoured (§7025(c)(6)).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.errors import ConsentInputError
from lawful.consent.models import ConsentEvent, ConsentState, SubjectKind
from lawful.consent.policy import CookieCategory, policy_for
from lawful.consent.service import ConsentEntry, Evidence, record_consent
from lawful.consent.subjects import normalise_subject
from lawful.datamap.facts import human_duration
from lawful.datamap.models import DataMap, TrackerCategory
from lawful.datamap.trackers import BROWSER_COOKIE, CHOICE_COOKIE, CHOICE_DAYS, trackers_in_use
from lawful.store.crypto import Keyring

GPC_SUPPORT_SINCE = date(2026, 11, 22)  # when this installation's GPC support last changed
ACTIONS = frozenset({"accept_all", "reject_all", "save", "gpc"})

NAMES = {
    TrackerCategory.strictly_necessary: "Strictly necessary",
    TrackerCategory.audience_measurement: "Audience measurement",
    TrackerCategory.personalisation: "Personalisation",
    TrackerCategory.advertising: "Advertising",
}
DESCRIPTIONS = {
    TrackerCategory.strictly_necessary: "Needed for the site to work and to remember your "
    "choices. They cannot be switched off.",
    TrackerCategory.audience_measurement: "Count visits and pages read, to improve the site.",
    TrackerCategory.personalisation: "Remember your settings and adapt what the site shows you.",
    TrackerCategory.advertising: "Let advertising partners show you ads based on your visits "
    "here. This is a sale or sharing of personal information under California law.",
}
EXEMPT_NOTE = (
    "Used without consent under the CNIL's exemption for audience measurement; "
    "you can still switch it off."
)


def banner_config(datamap: DataMap, *, gpc: bool) -> dict[str, Any]:
    """What `banner.js` needs: categories with their trackers, texts, cookie names and
    lifetime, and whether this request carried `Sec-GPC: 1`."""
    org = datamap.organization
    categories = [_category(datamap, c) for c in policy_for(datamap).cookie_categories.values()]
    return {
        "version": _version(categories),
        "organization": org.trading_name or org.name,
        "cookie": CHOICE_COOKIE,
        "browserCookie": BROWSER_COOKIE,
        "maxAgeDays": CHOICE_DAYS,
        "endpoint": "/api/v1/consent/events",
        "notice": "/privacy/notice",
        "gpc": gpc,
        "categories": categories,
        "texts": _texts(datamap),
        "colours": datamap.banner.colours.model_dump(),
    }


def _texts(datamap: DataMap) -> dict[str, str]:
    """The banner's words: the map's `banner:` section, else these."""
    org = datamap.organization
    banner = datamap.banner
    return {
        "title": banner.title or f"Your choices about cookies on {org.trading_name or org.name}",
        "message": banner.message
        or "We use some cookies only with your consent. Accept, reject, or choose by purpose; "
        "you can change your mind at any time from the cookie settings link.",
        "acceptAll": banner.accept_all,
        "rejectAll": banner.reject_all,
        "choose": banner.choose,
        "save": banner.save,
        "noticeLink": banner.notice_link,
    }


def _category(datamap: DataMap, category: CookieCategory) -> dict[str, Any]:
    trackers = [t for t in trackers_in_use(datamap) if t.category is category.id]
    necessary = category.id is TrackerCategory.strictly_necessary
    return {
        "id": category.id.value,
        "name": NAMES[category.id],
        "description": EXEMPT_NOTE
        if category.exempt and not necessary
        else DESCRIPTIONS[category.id],
        "required": necessary,
        "exempt": category.exempt,
        "saleOrSharing": category.sale_or_sharing,
        "trackers": [
            {
                "name": t.name,
                "provider": t.provider,
                "lifetime": human_duration(t.lifetime),
                "description": t.description,
            }
            for t in trackers
        ],
    }


def _version(categories: list[dict[str, Any]]) -> str:
    """Changes when the trackers change, so people are asked again (CNIL 2020-091 §40)."""
    return hashlib.sha256(json.dumps(categories, sort_keys=True).encode()).hexdigest()[:12]


def gpc_document() -> dict[str, Any]:
    """`/.well-known/gpc.json` (GPC specification §4.1)."""
    return {"gpc": True, "lastUpdate": GPC_SUPPORT_SINCE.isoformat()}


@dataclass(frozen=True)
class BannerChoice:
    browser_id: str
    choices: Mapping[str, bool]
    action: str
    gpc: bool = False
    config_version: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class RecordedChoice:
    choices: dict[str, bool]  # what applies, after Global Privacy Control
    events: list[ConsentEvent]


def record_banner_choice(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    choice: BannerChoice,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> RecordedChoice:
    """Write a banner choice to the ledger: one event per category, refusing a sale or
    sharing category whenever GPC is on, whatever the page asked."""
    policy = policy_for(datamap)
    subject = normalise_subject(SubjectKind.browser, choice.browser_id, policy=policy)
    effective = _effective(choice, policy.cookie_categories)
    evidence = Evidence(
        form={
            "action": choice.action,
            "choices": dict(choice.choices),
            "config_version": choice.config_version,
        },
        ip=ip,
        user_agent=user_agent,
        gpc=choice.gpc,
    )
    index = keyring.index(subject.key)
    events: list[ConsentEvent] = []
    for category_id, on in effective.items():
        category = policy.cookie_categories[TrackerCategory(category_id)]
        state = _state(session, index, category_id, on)
        forced = choice.gpc and category.sale_or_sharing
        entry = ConsentEntry(
            subject=subject.key,
            state=state,
            channel="cookie_banner",
            method="gpc" if forced else choice.action,
            purposes=category.purposes,
            cookie_category=category_id,
            language=choice.language,
            evidence=evidence,
        )
        events += record_consent(
            session, datamap=datamap, keyring=keyring, entry=entry, actor="subject", now=now
        )
    return RecordedChoice(choices=effective, events=events)


def _effective(
    choice: BannerChoice, categories: Mapping[TrackerCategory, CookieCategory]
) -> dict[str, bool]:
    """The categories the choice is about, with sale and sharing off under GPC (even when the
    page did not mention them: the signal alone is an opt-out)."""
    if choice.action not in ACTIONS:
        raise ConsentInputError(
            f"unknown action: use one of {', '.join(sorted(ACTIONS))}", field="action"
        )
    optional = {
        c.id.value: c for c in categories.values() if c.id is not TrackerCategory.strictly_necessary
    }
    unknown = [key for key in choice.choices if key not in optional]
    if unknown:
        raise ConsentInputError(
            f"unknown or required cookie categories: {', '.join(sorted(unknown))[:200]}",
            field="choices",
        )
    effective = {key: bool(on) for key, on in choice.choices.items()}
    if choice.gpc:
        effective.update({key: False for key, c in optional.items() if c.sale_or_sharing})
    if not effective:
        raise ConsentInputError("the choice names no cookie category", field="choices")
    return effective


def _state(session: Session, index: str, category: str, on: bool) -> ConsentState:
    if on:
        return ConsentState.given
    before = repository.cookie_choice(session, index=index, category=category)
    return ConsentState.withdrawn if before == ConsentState.given.value else ConsentState.refused


def static_file(name: str) -> bytes:
    """`banner.js` or `banner.css`, as shipped in the package."""
    return (resources.files("lawful.consent") / "static" / name).read_bytes()
