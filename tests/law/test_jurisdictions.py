"""Which laws cover a person, and which one's clock decides the deadline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from lawful.datamap.models import Jurisdiction
from lawful.law.calendars import CALIFORNIA, FRANCE
from lawful.law.deadlines import compute_deadlines, strictest_deadlines
from lawful.law.jurisdictions import (
    ApplicableJurisdiction,
    JurisdictionError,
    applicable_jurisdictions,
    deciding_jurisdiction,
)
from lawful.law.requests import RequestType, right_under

if TYPE_CHECKING:
    from .conftest import MakeOrganization

J = Jurisdiction


def codes(applicable: Sequence[ApplicableJurisdiction]) -> list[Jurisdiction]:
    return [item.jurisdiction for item in applicable]


def test_an_eea_resident_gets_the_gdpr_when_a_foreign_organisation_declares_it(
    make_organization: MakeOrganization,
) -> None:
    org = make_organization(J.gdpr, J.ccpa, seat="US")
    found = applicable_jurisdictions(organization=org, residence_country="FR")
    assert codes(found) == [J.gdpr]
    assert found[0].reason.startswith("GDPR Art. 3(2)")


def test_a_french_resident_also_gets_french_rules_when_the_organisation_declares_them(
    make_organization: MakeOrganization,
) -> None:
    org = make_organization(J.gdpr, J.fr, J.gr, seat="US")
    assert codes(applicable_jurisdictions(organization=org, residence_country="fr")) == [
        J.gdpr,
        J.fr,
    ]


def test_french_rules_follow_a_french_establishment_to_a_greek_resident(
    make_organization: MakeOrganization,
) -> None:
    org = make_organization(J.gdpr, J.fr, J.gr, seat="FR")
    found = applicable_jurisdictions(organization=org, residence_country="GR")
    assert codes(found) == [J.gdpr, J.fr, J.gr]
    assert found[0].reason == "GDPR Art. 3(1): the organisation is established in France"
    assert found[1].reason.endswith("the organisation is established in France")
    assert found[2].reason.endswith("the person lives in Greece")


def test_undeclared_member_state_rules_do_not_apply(make_organization: MakeOrganization) -> None:
    org = make_organization(J.gdpr, seat="US")
    assert codes(applicable_jurisdictions(organization=org, residence_country="GR")) == [J.gdpr]


def test_a_california_resident_gets_the_ccpa_only_when_it_is_declared(
    make_organization: MakeOrganization,
) -> None:
    with_ccpa = make_organization(J.ccpa, seat="US")
    without = make_organization(J.gdpr, seat="US")
    found = applicable_jurisdictions(
        organization=with_ccpa, residence_country="US", residence_region="US-CA"
    )
    assert codes(found) == [J.ccpa]
    assert "§1798.140(i)" in found[0].reason
    assert (
        applicable_jurisdictions(
            organization=without, residence_country="US", residence_region="CA"
        )
        == []
    )


def test_a_resident_of_another_state_gets_no_ccpa(make_organization: MakeOrganization) -> None:
    org = make_organization(J.ccpa, seat="US")
    assert (
        applicable_jurisdictions(organization=org, residence_country="US", residence_region="NY")
        == []
    )
    assert applicable_jurisdictions(organization=org, residence_country="US") == []


def test_an_organisation_established_in_the_eea_owes_the_gdpr_to_everyone(
    make_organization: MakeOrganization,
) -> None:
    org = make_organization(J.ccpa, seat="US", establishments=("GR",))
    found = applicable_jurisdictions(
        organization=org, residence_country="US", residence_region="CA"
    )
    assert codes(found) == [J.gdpr, J.ccpa]
    assert found[0].reason == "GDPR Art. 3(1): the organisation is established in Greece"


def test_the_uk_gdpr_covers_uk_residents_when_declared_and_everyone_when_established(
    make_organization: MakeOrganization,
) -> None:
    declared = make_organization(J.uk, seat="US")
    established = make_organization(J.gdpr, seat="GB")
    assert codes(applicable_jurisdictions(organization=declared, residence_country="UK")) == [J.uk]
    assert codes(applicable_jurisdictions(organization=established, residence_country="JP")) == [
        J.uk
    ]


def test_a_person_no_declared_law_covers_gets_an_empty_list(
    make_organization: MakeOrganization,
) -> None:
    org = make_organization(J.gdpr, J.ccpa, seat="US")
    assert applicable_jurisdictions(organization=org, residence_country="JP") == []


@pytest.mark.parametrize("bad", ["France", "F", "", "12"])
def test_a_country_that_is_not_an_iso_code_is_refused_with_a_clear_message(
    make_organization: MakeOrganization, bad: str
) -> None:
    with pytest.raises(JurisdictionError, match="two-letter ISO 3166-1 code"):
        applicable_jurisdictions(organization=make_organization(J.gdpr), residence_country=bad)


def test_post_mortem_directives_are_decided_by_french_law(
    make_organization: MakeOrganization,
) -> None:
    org = make_organization(J.gdpr, J.fr, seat="FR")
    found = applicable_jurisdictions(organization=org, residence_country="FR")
    assert deciding_jurisdiction(found, RequestType.post_mortem) is J.fr
    assert deciding_jurisdiction(found, RequestType.access) is J.gdpr
    assert deciding_jurisdiction(found, RequestType.opt_out_sale_sharing) is None


PARIS = ZoneInfo("Europe/Paris")
RECEIPTS = [datetime(2025, 1, 1, 12, tzinfo=PARIS) + timedelta(days=n) for n in range(0, 366, 2)]


def everything_applies(make_organization: MakeOrganization) -> list[ApplicableJurisdiction]:
    # Established in France and Greece, declaring every law, asked by a California resident.
    org = make_organization(J.gdpr, J.fr, J.gr, J.ccpa, seat="FR", establishments=("GR",))
    return applicable_jurisdictions(organization=org, residence_country="US", residence_region="CA")


def test_the_first_law_listed_gives_the_earliest_answer_for_every_request_type(
    make_organization: MakeOrganization,
) -> None:
    # By the laws' own numbers (one calendar for all), over a year of receipt days, the
    # deciding law's date is never later than any other law's.
    applicable = everything_applies(make_organization)
    assert codes(applicable) == [J.gdpr, J.fr, J.gr, J.ccpa]
    for request_type in RequestType:
        decider = deciding_jurisdiction(applicable, request_type)
        under = [a.jurisdiction for a in applicable if right_under(request_type, a.jurisdiction)]
        assert (decider is None) == (not under)
        for received in RECEIPTS:
            days = {
                j: compute_deadlines(
                    request_type=request_type,
                    jurisdiction=j,
                    received_at=received,
                    tz=PARIS,
                    calendar=FRANCE,
                ).respond_by.day
                for j in under
            }
            if decider is not None:
                assert days[decider] == min(days.values()), (request_type, received)


def test_strictest_deadlines_take_the_earliest_date_when_calendars_differ(
    make_organization: MakeOrganization,
) -> None:
    # With a French office for EU requests and a Californian one for CCPA requests, a
    # holiday can make the later law's date earlier (Lawful's one-month complaint target
    # lands on Easter Monday 2025 in France, not in California): the fold still wins.
    laws = codes(everything_applies(make_organization))
    calendars = {J.gdpr: FRANCE, J.fr: FRANCE, J.gr: FRANCE, J.ccpa: CALIFORNIA}
    for request_type in RequestType:
        under = [j for j in laws if right_under(request_type, j)]
        for received in RECEIPTS:
            each = [
                compute_deadlines(
                    request_type=request_type,
                    jurisdiction=j,
                    received_at=received,
                    tz=PARIS,
                    calendar=calendars[j],
                ).respond_by.day
                for j in under
            ]
            folded = strictest_deadlines(
                request_type=request_type,
                jurisdictions=laws,
                received_at=received,
                tz=PARIS,
                calendars=calendars,
            )
            assert folded.respond_by.day == min(each)
    complaint = strictest_deadlines(
        request_type=RequestType.complaint,
        jurisdictions=laws,
        received_at=datetime(2025, 3, 20, 12, tzinfo=PARIS),
        tz=PARIS,
        calendars=calendars,
    )
    assert (complaint.jurisdiction, complaint.respond_by.day) == (J.ccpa, date(2025, 4, 21))
