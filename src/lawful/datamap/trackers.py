"""Every tracker a visitor's browser gets: the map's `trackers:` and the two cookies Lawful's
own cookie banner sets. The banner's tracker list and the privacy notice's cookie table both
read `trackers_in_use`, so they cannot disagree (ePrivacy Directive Art. 5(3): each cookie,
strictly necessary ones included, is declared with its purpose and lifetime)."""

from __future__ import annotations

from lawful.datamap.models import DataMap, Tracker, TrackerCategory

CHOICE_COOKIE = "lawful_consent"
BROWSER_COOKIE = "lawful_bid"
# CNIL (délibération 2020-091 §40): keep a choice, and ask again, after about six months.
CHOICE_DAYS = 180


def banner_trackers(datamap: DataMap) -> dict[str, Tracker]:
    """The banner's own cookies, set by the organisation's site that hosts the banner."""
    org = datamap.organization
    provider = org.trading_name or org.name
    lifetime = f"P{CHOICE_DAYS}D"
    return {
        CHOICE_COOKIE: Tracker(
            name=CHOICE_COOKIE,
            provider=provider,
            category=TrackerCategory.strictly_necessary,
            lifetime=lifetime,
            description="Remembers your cookie choices, so the banner does not ask again.",
        ),
        BROWSER_COOKIE: Tracker(
            name=BROWSER_COOKIE,
            provider=provider,
            category=TrackerCategory.strictly_necessary,
            lifetime=lifetime,
            description="A random number for this browser, under which your cookie choices "
            "are recorded as proof of consent (GDPR Art. 7(1)); it follows you nowhere else.",
        ),
    }


def trackers_in_use(datamap: DataMap) -> list[Tracker]:
    """The map's trackers, then the banner's own cookies (none when the map declares no
    tracker: then there is no banner to show). A map that declares a cookie of the same
    name keeps its own wording."""
    if not datamap.trackers:
        return []
    declared = list(datamap.trackers.values())
    names = {t.name for t in declared}
    own = [t for name, t in banner_trackers(datamap).items() if name not in names]
    return declared + own
