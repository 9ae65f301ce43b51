"""What the data map says about consent, worked out once per map and kept in memory.

Every consent check reads this instead of walking the map again: the purposes with their
legal basis and channels, the identity types and how to normalise them, and which cookie
categories serve which purposes. A new map (a reload) gets its own policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock

from lawful.consent.models import SubjectKind
from lawful.datamap.models import Channel, DataMap, LegalBasis, TrackerCategory
from lawful.datamap.trackers import trackers_in_use
from lawful.engine.identity import IdentityKind, identity_types

COOKIE_CHOICE_MONTHS = 6  # CNIL, délibération 2020-091: ask again after about six months
_KINDS = {IdentityKind.email: SubjectKind.email, IdentityKind.phone: SubjectKind.phone}


@dataclass(frozen=True)
class PurposeRule:
    id: str
    name: str
    basis: LegalBasis | None
    channels: frozenset[str]
    marketing: bool  # direct marketing, sale or sharing: the suppression list applies
    sale_or_sharing: bool  # CCPA §1798.120, §1798.135: GPC opts out
    expires: str | None  # ISO 8601 duration a consent lasts
    service: bool = False  # a service communication (account, security, contract notices)

    @property
    def consent_based(self) -> bool:
        return self.basis is LegalBasis.consent  # GDPR Art. 6(1)(a)

    @property
    def service_communication(self) -> bool:
        """Sent under the contract (GDPR Art. 6(1)(b)) or the law (Art. 6(1)(c)), never
        marketing: no channel opt-out or objection to marketing stops it. A map that flags a
        service purpose on any other basis fails `lawful check` (L036) and is not honoured."""
        return (
            self.service
            and not self.marketing
            and self.basis in (LegalBasis.contract, LegalBasis.legal_obligation)
        )


@dataclass(frozen=True)
class CookieCategory:
    id: TrackerCategory
    purposes: tuple[str, ...]
    exempt: bool  # runs without consent: strictly necessary, or CNIL-exempt measurement
    sale_or_sharing: bool


@dataclass(frozen=True)
class ConsentPolicy:
    datamap: DataMap
    country: str
    language: str
    purposes: dict[str, PurposeRule]
    identity_kinds: dict[str, str]  # identity type → the kind it is filed under
    suppression_types: dict[str, tuple[str, ...]]  # kind → the map's identity types of it
    cookie_categories: dict[TrackerCategory, CookieCategory] = field(default_factory=dict)


_CACHE: dict[int, ConsentPolicy] = {}
_LOCK = Lock()


def policy_for(datamap: DataMap) -> ConsentPolicy:
    """The policy of this map, built on first use (the map is immutable)."""
    found = _CACHE.get(id(datamap))
    if found is not None and found.datamap is datamap:
        return found
    with _LOCK:
        if len(_CACHE) > 8:
            _CACHE.clear()
        policy = _CACHE[id(datamap)] = build_policy(datamap)
    return policy


def build_policy(datamap: DataMap) -> ConsentPolicy:
    declared = identity_types(datamap)
    kinds: dict[str, str] = {kind.value: kind.value for kind in SubjectKind}
    kinds.update({name: _KINDS.get(kind, name) for name, kind in declared.items()})
    suppression: dict[str, tuple[str, ...]] = {}
    for name, kind in kinds.items():
        if name in declared:
            suppression[kind] = (*suppression.get(kind, ()), name)
    return ConsentPolicy(
        datamap=datamap,
        country=datamap.organization.address.country,
        language=(datamap.organization.notice.languages or ["en"])[0],
        purposes={pid: _purpose_rule(pid, datamap) for pid in datamap.purposes},
        identity_kinds=kinds,
        suppression_types=suppression,
        cookie_categories=_cookie_categories(datamap),
    )


def _purpose_rule(purpose_id: str, datamap: DataMap) -> PurposeRule:
    purpose = datamap.purposes[purpose_id]
    return PurposeRule(
        id=purpose_id,
        name=purpose.name,
        basis=purpose.legal_basis,
        channels=frozenset(c.value for c in purpose.channels),
        marketing=purpose.direct_marketing or purpose.sale or purpose.sharing,
        sale_or_sharing=purpose.sale or purpose.sharing,
        expires=purpose.consent.expires if purpose.consent else None,
        service=purpose.service,
    )


def _cookie_categories(datamap: DataMap) -> dict[TrackerCategory, CookieCategory]:
    """Each tracker category in use, with the purposes its trackers' recipients serve.
    Advertising trackers are always "sharing" (Cal. Civ. Code §1798.140(ah))."""
    found: dict[TrackerCategory, CookieCategory] = {}
    for category in TrackerCategory:
        trackers = [t for t in trackers_in_use(datamap) if t.category is category]
        if not trackers:
            continue
        purposes = _tracker_purposes(datamap, [t.recipient for t in trackers if t.recipient])
        exempt = category is TrackerCategory.strictly_necessary or (
            category is TrackerCategory.audience_measurement
            and all(t.cnil_exempt for t in trackers)
        )
        found[category] = CookieCategory(
            id=category,
            purposes=purposes,
            exempt=exempt,
            sale_or_sharing=category is TrackerCategory.advertising
            or any(datamap.purposes[p].sale or datamap.purposes[p].sharing for p in purposes),
        )
    return found


def _tracker_purposes(datamap: DataMap, recipients: list[str]) -> tuple[str, ...]:
    served = [
        pid
        for rid in recipients
        if rid in datamap.recipients
        for pid in datamap.recipients[rid].purposes
        if pid in datamap.purposes
    ]
    return tuple(dict.fromkeys(served))


def channel_names() -> list[str]:
    return [c.value for c in Channel]
