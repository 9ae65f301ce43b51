"""What the requests services need besides the database session, built once where the app,
worker or command starts (never at import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lawful.config import Settings, SettingsError
from lawful.datamap.models import DataMap
from lawful.formats import time_zone
from lawful.law.requests import RequestType
from lawful.requests.models import VerificationLevel
from lawful.store.crypto import Keyring
from lawful.store.tasks import Dispatcher

# The zone of an organisation's country, where the country has one zone; others set
# LAWFUL_TIMEZONE (deadlines are counted in the organisation's days, docs/deadlines.md).
COUNTRY_ZONES: Mapping[str, str] = {
    "FR": "Europe/Paris",
    "GR": "Europe/Athens",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "BE": "Europe/Brussels",
    "NL": "Europe/Amsterdam",
}


@dataclass(frozen=True)
class RequestPolicy:
    """The installation's choices for the workflow (from `Settings`)."""

    timezone: str | None = None
    time_zone: str = "UTC"  # where pages and mail show times (LAWFUL_TIME_ZONE)
    verification_levels: Mapping[str, str] = field(default_factory=dict)
    data_points: int = 2
    auto_approve: frozenset[RequestType] = frozenset()
    public_url: str = "http://localhost:8000"
    unverified_days: int = 30
    download_link_minutes: int = 30
    package_days: int = 30
    max_documents: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestPolicy:
        try:
            auto = frozenset(RequestType(t) for t in settings.auto_approve)
        except ValueError as error:
            raise SettingsError(
                f"LAWFUL_AUTO_APPROVE: {error}; use request types such as "
                f"{', '.join(t.value for t in RequestType)}"
            ) from None
        levels = dict(settings.verification_levels)
        _check_levels(levels)
        return cls(
            timezone=settings.timezone,
            time_zone=settings.time_zone,
            verification_levels=levels,
            data_points=settings.verification_data_points,
            auto_approve=auto,
            public_url=settings.public_url.rstrip("/"),
            unverified_days=settings.unverified_request_days,
            download_link_minutes=settings.download_link_minutes,
            package_days=settings.package_days,
            max_documents=settings.max_documents_per_request,
        )


def _check_levels(levels: Mapping[str, str]) -> None:
    types = {t.value for t in RequestType}
    known = {level.value for level in VerificationLevel}
    for request_type, level in levels.items():
        if request_type not in types or level not in known:
            raise SettingsError(
                f"LAWFUL_VERIFICATION_LEVELS: {request_type!r}: {level!r} is not a request type "
                f"and a level; types: {', '.join(sorted(types))}; levels: {', '.join(sorted(known))}"
            )


@dataclass(frozen=True)
class RequestsContext:
    """Passed to every requests service: the map, the keyring, the policy, the job queue."""

    datamap: DataMap
    keyring: Keyring
    policy: RequestPolicy
    jobs: Dispatcher

    def zone(self) -> tzinfo:
        """The organisation's time zone, in which a request's days are counted."""
        name = self.policy.timezone or COUNTRY_ZONES.get(
            self.datamap.organization.address.country, "UTC"
        )
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"LAWFUL_TIMEZONE {name!r} is not an IANA time zone; use e.g. Europe/Paris"
            ) from None

    def shown_zone(self) -> tzinfo:
        """The installation's zone, in which pages and mail show moments (not deadlines)."""
        return time_zone(self.policy.time_zone)
