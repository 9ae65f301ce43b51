"""Which privacy laws cover a person's request, from where they live and what the
organisation declares (`organization.jurisdictions`) and where it is established.

The result is ordered strictest first: the first law under which a request type exists
gives the earliest answer date, so it decides the deadline (docs/deadlines.md explains why
the order is fixed, and a test checks it against every request type).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lawful.datamap.models import Jurisdiction, Organization
from lawful.formats import country as country_name
from lawful.law.requests import MEMBER_STATES, RequestType, right_under
from lawful.law.transfers import in_eea

# One month (GDPR family) comes before 45 days (CCPA); within the GDPR family the EU
# regulation comes before the member states' rules that complement it.
PRECEDENCE: tuple[Jurisdiction, ...] = (
    Jurisdiction.gdpr,
    Jurisdiction.uk,
    Jurisdiction.fr,
    Jurisdiction.gr,
    Jurisdiction.de,
    Jurisdiction.es,
    Jurisdiction.it,
    Jurisdiction.ccpa,
)

# The national laws that complement the GDPR, and where each says whom it covers.
NATIONAL_LAWS: dict[Jurisdiction, str] = {
    Jurisdiction.fr: "Loi Informatique et Libertés art. 3",
    Jurisdiction.gr: "Law 4624/2019",
    Jurisdiction.de: "BDSG §1(4)",
    Jurisdiction.es: "LOPDGDD",
    Jurisdiction.it: "Codice privacy",
}
# Each law as people name it, with where it holds.
LAW_NAMES: dict[Jurisdiction, str] = {
    Jurisdiction.gdpr: "GDPR (EU)",
    Jurisdiction.uk: "UK GDPR (United Kingdom)",
    Jurisdiction.fr: "LIL (France)",
    Jurisdiction.gr: "Law 4624/2019 (Greece)",
    Jurisdiction.de: "BDSG (Germany)",
    Jurisdiction.es: "LOPDGDD (Spain)",
    Jurisdiction.it: "Codice privacy (Italy)",
    Jurisdiction.ccpa: "CCPA (California)",
}
UNITED_KINGDOM = "GB"
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


class JurisdictionError(ValueError):
    """The person's residence cannot be read; the message says what is expected."""

    http_status = 422


@dataclass(frozen=True)
class ApplicableJurisdiction:
    jurisdiction: Jurisdiction
    reason: str  # why it applies, with the article that says so


def applicable_jurisdictions(
    *, organization: Organization, residence_country: str, residence_region: str | None = None
) -> list[ApplicableJurisdiction]:
    """The laws covering a person living in `residence_country` (ISO 3166-1, e.g. "FR") and,
    in the United States, `residence_region` ("CA" or "US-CA"), strictest first. Empty when
    none does: the request is then outside jurisdiction."""
    country = _country(residence_country)
    region = (residence_region or "").upper().removeprefix(f"{country}-")
    declared = set(organization.jurisdictions)
    established = establishment_countries(organization)
    found = (
        _eu_gdpr(country, declared, established)
        | _uk_gdpr(country, declared, established)
        | _member_states(country, declared, established)
        | _ccpa(country, region, declared)
    )
    return [ApplicableJurisdiction(j, found[j]) for j in PRECEDENCE if j in found]


def law_name(code: str | None) -> str:
    """`gdpr` → "GDPR (EU)"; an unknown code as given."""
    if not code:
        return "none"
    try:
        return LAW_NAMES[Jurisdiction(code)]
    except ValueError:
        return code


def deciding_jurisdiction(
    applicable: Sequence[ApplicableJurisdiction], request_type: RequestType
) -> Jurisdiction | None:
    """The first listed law that gives `request_type`: its clock decides the deadline."""
    for item in applicable:
        if right_under(request_type, item.jurisdiction) is not None:
            return item.jurisdiction
    return None


def establishment_countries(organization: Organization) -> frozenset[str]:
    countries = {organization.address.country}
    countries.update(e.country for e in organization.establishments)
    return frozenset(countries)


def _eu_gdpr(
    country: str, declared: set[Jurisdiction], established: frozenset[str]
) -> dict[Jurisdiction, str]:
    in_eu = ", ".join(sorted(country_name(c) for c in established if in_eea(c)))
    if in_eu:
        return {Jurisdiction.gdpr: f"GDPR Art. 3(1): the organisation is established in {in_eu}"}
    # Declaring the GDPR, or a member state's law, means addressing people in the EEA.
    targets_eea = Jurisdiction.gdpr in declared or bool(declared & set(MEMBER_STATES))
    if targets_eea and in_eea(country):
        return {
            Jurisdiction.gdpr: f"GDPR Art. 3(2): the person lives in {country_name(country)}, in the EEA"
        }
    return {}


def _uk_gdpr(
    country: str, declared: set[Jurisdiction], established: frozenset[str]
) -> dict[Jurisdiction, str]:
    if UNITED_KINGDOM in established:
        return {Jurisdiction.uk: "UK GDPR Art. 3(1): the organisation is established in the UK"}
    if Jurisdiction.uk in declared and country == UNITED_KINGDOM:
        return {Jurisdiction.uk: "UK GDPR Art. 3(2): the person lives in the UK"}
    return {}


def _member_states(
    country: str, declared: set[Jurisdiction], established: frozenset[str]
) -> dict[Jurisdiction, str]:
    found: dict[Jurisdiction, str] = {}
    for jurisdiction, state in MEMBER_STATES.items():
        if jurisdiction not in declared:
            continue
        law = NATIONAL_LAWS[jurisdiction]
        if country == state:
            found[jurisdiction] = f"{law}: the person lives in {country_name(state)}"
        elif state in established:
            found[jurisdiction] = f"{law}: the organisation is established in {country_name(state)}"
    return found


def _ccpa(country: str, region: str, declared: set[Jurisdiction]) -> dict[Jurisdiction, str]:
    # Only California residents are "consumers" (Cal. Civ. Code §1798.140(i)).
    if Jurisdiction.ccpa in declared and country == "US" and region == "CA":
        return {Jurisdiction.ccpa: "Cal. Civ. Code §1798.140(i): the person lives in California"}
    return {}


def _country(code: str) -> str:
    if not _COUNTRY.match(code.strip()):
        raise JurisdictionError(
            f"{code!r} is not a country code: give the two-letter ISO 3166-1 code of where "
            "the person lives, such as FR, GR or US."
        )
    upper = code.strip().upper()
    return UNITED_KINGDOM if upper == "UK" else upper
