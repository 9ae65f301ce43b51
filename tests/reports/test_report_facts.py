"""Shared derivations behind the RoPA and the notice: durations, transfers, retention, CCPA."""

from __future__ import annotations

import pytest

from lawful.datamap import facts
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import Recipient, RecipientRole, Transfer, TransferMechanism


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("P3Y", "3 years"),
        ("P1Y", "1 year"),
        ("P13M", "13 months"),
        ("P1M", "1 month"),
        ("P2W", "2 weeks"),
        ("P30D", "30 days"),
        ("P1Y6M", "1 year and 6 months"),
        ("P1Y2M3D", "1 year, 2 months and 3 days"),
    ],
)
def test_iso_durations_read_as_words(period: str, words: str) -> None:
    assert facts.human_duration(period) == words


def _recipient(country: str, mechanism: TransferMechanism | None = None) -> Recipient:
    transfer = Transfer(mechanism=mechanism) if mechanism else None
    return Recipient(name="Acme", role=RecipientRole.processor, country=country, transfer=transfer)


def test_a_recipient_inside_the_eea_makes_no_transfer() -> None:
    assert facts.recipient_transfer(_recipient("DE", TransferMechanism.scc)) is None


def test_standard_contractual_clauses_cover_a_us_recipient() -> None:
    transfer = facts.recipient_transfer(_recipient("US", TransferMechanism.scc))
    assert transfer is not None
    assert transfer.valid
    assert "standard contractual clauses (GDPR Art. 46(2)(c))" in str(transfer)


def test_privacy_shield_is_flagged_as_invalid() -> None:
    transfer = facts.recipient_transfer(_recipient("US", TransferMechanism.privacy_shield))
    assert transfer is not None
    assert not transfer.valid
    assert "C-311/18" in str(transfer)
    assert "INVALID" in str(transfer)


def test_adequacy_claimed_for_the_united_states_is_flagged() -> None:
    transfer = facts.recipient_transfer(_recipient("US", TransferMechanism.adequacy))
    assert transfer is not None
    assert not transfer.valid
    assert transfer.problem == "no adequacy decision covers United States (GDPR Art. 45)"


def test_the_data_privacy_framework_covers_only_the_united_states() -> None:
    to_us = facts.recipient_transfer(_recipient("US", TransferMechanism.dpf))
    to_india = facts.recipient_transfer(_recipient("IN", TransferMechanism.dpf))
    assert to_us is not None
    assert to_us.valid
    assert to_india is not None
    assert not to_india.valid


def test_a_country_with_an_adequacy_decision_needs_no_declared_safeguard() -> None:
    transfer = facts.recipient_transfer(_recipient("CH"))
    assert transfer is not None
    assert transfer.valid
    assert transfer.mechanism == "adequacy"


def test_a_third_country_without_any_safeguard_is_flagged() -> None:
    transfer = facts.recipient_transfer(_recipient("IN"))
    assert transfer is not None
    assert not transfer.valid
    assert transfer.mechanism == "none"


def test_a_system_hosted_outside_the_eea_is_a_transfer_to_its_vendor(small_map: LoadedMap) -> None:
    transfer = facts.system_transfer(small_map.datamap, "crm")
    assert transfer is not None
    assert transfer.to == "Sales CRM, hosted by SalesDesk Inc."
    assert transfer.mechanism == "dpf"
    assert facts.system_transfer(small_map.datamap, "ats") is None  # hosted in France


def test_a_hosting_vendor_counts_among_a_purposes_recipients(small_map: LoadedMap) -> None:
    assert facts.purpose_recipients(small_map.datamap, "prospecting") == ["mailwave", "salesdesk"]


def test_retention_reaches_a_purpose_through_its_datasets_and_subjects(
    small_map: LoadedMap,
) -> None:
    datamap = small_map.datamap
    assert list(facts.purpose_retention(datamap, "recruitment")) == ["applications"]
    assert list(facts.purpose_retention(datamap, "prospecting")) == ["prospects"]
    assert list(facts.purpose_retention(datamap, "accommodation")) == []


def test_a_retention_limit_says_how_long_from_when_and_what_then(small_map: LoadedMap) -> None:
    rule = small_map.datamap.retention["prospects"]
    assert facts.retention_limit(small_map.datamap, rule) == (
        "Business prospects: 3 years, counted from last contact, then deleted "
        "(CNIL guidance on prospecting)"
    )


def test_rules_only_about_client_data_do_not_concern_us(small_map: LoadedMap) -> None:
    datamap = small_map.datamap
    assert not facts.rule_concerns_us(datamap, datamap.retention["bank_calls"])
    assert facts.rule_concerns_us(datamap, datamap.retention["applications"])


def test_subjects_of_client_data_are_not_ours(small_map: LoadedMap) -> None:
    assert facts.our_subjects(small_map.datamap) == ["applicant", "prospect", "visitor"]


def test_a_subjects_categories_join_its_datasets_and_purposes(small_map: LoadedMap) -> None:
    categories = facts.subject_categories(small_map.datamap, "applicant")
    assert "recruitment.cv" in categories  # from the dataset
    assert "special.health" in categories  # only named by the accommodation purpose


def test_ccpa_category_is_inherited_from_the_nearest_parent(small_map: LoadedMap) -> None:
    datamap = small_map.datamap
    assert facts.ccpa_category(datamap, "contact.email") == "identifiers"
    assert facts.ccpa_category(datamap, "contact.email.work_inbox") == "identifiers"


def test_special_categories_count_as_sensitive_personal_information(small_map: LoadedMap) -> None:
    assert facts.is_sensitive_pi(small_map.datamap, "special.health")
    assert not facts.is_sensitive_pi(small_map.datamap, "contact.email")
