"""Each lint rule, on a map that breaks it once: exact file, line, column and code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lawful.datamap.checks import check_datamap
from lawful.datamap.loader import load_datamap

FIXTURES = Path(__file__).parent / "fixtures"
WriteCase = Callable[[str], Path]


def found(path: Path) -> list[str]:
    """Problems as `file:line:col CODE`, file names only, for exact comparison."""
    return [
        f"{p.position.file.name}:{p.position.line}:{p.position.col} {p.code}"
        for p in check_datamap(load_datamap(path))
        if p.position is not None
    ]


def test_the_base_fixture_is_clean() -> None:
    assert check_datamap(load_datamap(FIXTURES / "base.yaml")) == []


def test_a_purpose_without_legal_basis_is_reported_at_the_purpose(write_case: WriteCase) -> None:
    path = write_case(
        """
        purposes:
          sourcing:
            name: Find candidates
            subjects: [applicant]
            provision: {requirement: none, obliged: false, consequence: Nothing.}
        """
    )
    assert found(path) == ["case.yaml:3:3 L001"]


def test_special_category_data_without_an_art_9_condition_is_reported(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        purposes:
          diversity:
            name: Equal-opportunity monitoring
            legal_basis: legal_obligation
            categories: [special.racial_ethnic_origin]
            provision: {requirement: none, obliged: false, consequence: Nothing.}
        """
    )
    assert found(path) == ["case.yaml:6:18 L002"]


def test_a_special_category_field_needs_a_purpose_with_a_condition(write_case: WriteCase) -> None:
    path = write_case(
        """
        datasets:
          surveys:
            system: ats
            subject: applicant
            purposes: [recruitment]
            events: {last_contact: seen_at}
            fields:
              id: {category: identifier.internal, references: candidates.id}
              seen_at: {category: record.timestamp}
              disability: {category: special.health}
        """
    )
    assert found(path) == ["case.yaml:11:30 L002"]


def test_criminal_records_without_an_art_10_authorisation_are_reported(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        purposes:
          screening:
            name: Background checks
            legal_basis: legitimate_interests
            legitimate_interest: Protect clients' customers from fraud
            categories: [criminal.record]
            provision: {requirement: none, obliged: false, consequence: Nothing.}
        """
    )
    assert found(path) == ["case.yaml:7:18 L003"]


def test_a_condition_silences_the_special_category_rule(write_case: WriteCase) -> None:
    path = write_case(
        """
        purposes:
          diversity:
            name: Equal-opportunity monitoring
            legal_basis: legal_obligation
            special_condition: employment_social_security
            categories: [special.racial_ethnic_origin]
            provision: {requirement: none, obliged: false, consequence: Nothing.}
        """
    )
    assert found(path) == []


def test_a_consent_purpose_without_capture_is_reported_at_its_basis(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        purposes:
          talent_pool:
            name: Keep CVs for future openings
            legal_basis: consent
            provision: {requirement: none, obliged: false, consequence: Nothing.}
        """
    )
    assert found(path) == ["case.yaml:5:18 L004"]


def test_legitimate_interests_must_say_which_interest(write_case: WriteCase) -> None:
    path = write_case(
        """
        purposes:
          referencing:
            name: Check references
            legal_basis: legitimate_interests
            provision: {requirement: none, obliged: false, consequence: Nothing.}
        """
    )
    assert found(path) == ["case.yaml:5:18 L013"]


def test_a_recipient_outside_the_eea_without_mechanism_is_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        recipients:
          offshore_bpo:
            name: Offshore support centre
            role: processor
            country: IN
        """
    )
    assert found(path) == ["case.yaml:6:14 L005"]


def test_privacy_shield_is_flagged_as_invalid_since_2020(write_case: WriteCase) -> None:
    path = write_case(
        """
        recipients:
          us_crm:
            name: US CRM vendor
            role: processor
            country: US
            transfer: {mechanism: privacy_shield}
        """
    )
    assert found(path) == ["case.yaml:7:27 L006"]


def test_recipients_in_adequate_countries_or_with_scc_pass(write_case: WriteCase) -> None:
    path = write_case(
        """
        recipients:
          swiss_payroll: {name: Payroll, role: processor, country: CH}
          us_crm: {name: CRM, role: processor, country: US, transfer: {mechanism: scc}}
          german_host: {name: Hosting, role: processor, country: DE}
        """
    )
    assert found(path) == []


def test_a_dataset_without_a_retention_rule_is_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        subjects:
          visitor: {name: Website visitors, minimum_age: 16}
        datasets:
          web_logs:
            system: ats
            subject: visitor
            identities: {ip: ip}
            fields:
              id: {category: identifier.internal}
              ip: {category: identifier.ip_address}
        """
    )
    assert found(path) == ["case.yaml:5:3 L007"]


def test_an_unknown_category_is_reported_with_a_suggestion(write_case: WriteCase) -> None:
    path = write_case(
        """
        datasets:
          notes:
            system: ats
            subject: applicant
            events: {last_contact: seen_at}
            fields:
              id: {category: identifier.internal, references: candidates.id}
              seen_at: {category: record.timestamp}
              text: {category: contact.emial}
        """
    )
    problems = check_datamap(load_datamap(path))
    assert [f"{p.position.line}:{p.position.col} {p.code}" for p in problems if p.position] == [
        "10:24 R001"
    ]
    assert "contact.email" in problems[0].hint


def test_a_reference_to_an_unknown_dataset_or_field_is_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        datasets:
          interviews:
            system: ats
            subject: applicant
            events: {last_contact: id}
            fields:
              id: {category: identifier.internal}
              application_id: {category: identifier.internal, references: applicatons.id}
              candidate_id: {category: identifier.internal, references: candidates.uid}
        """
    )
    assert found(path) == ["case.yaml:9:67 R002", "case.yaml:10:65 R003"]


def test_an_identity_naming_a_missing_field_is_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        datasets:
          referees:
            system: ats
            subject: applicant
            identities: {email: referee_email}
            events: {last_contact: id}
            fields:
              id: {category: identifier.internal, references: candidates.id}
              email: {category: contact.email}
        """
    )
    assert found(path) == ["case.yaml:6:25 L008"]


def test_a_reference_cycle_is_reported_where_it_closes(write_case: WriteCase) -> None:
    path = write_case(
        """
        datasets:
          left:
            system: ats
            subject: applicant
            events: {last_contact: id}
            fields:
              id: {category: identifier.internal, references: candidates.id}
              right_id: {category: identifier.internal, references: right.id}
          right:
            system: ats
            subject: applicant
            events: {last_contact: id}
            fields:
              id: {category: identifier.internal}
              left_id: {category: identifier.internal, references: left.id}
        """
    )
    assert found(path) == ["case.yaml:9:61 L009"]


def test_a_dataset_unreachable_from_any_identity_is_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        datasets:
          orphans:
            system: ats
            subject: applicant
            events: {last_contact: id}
            fields:
              id: {category: identifier.internal}
              note: {category: name}
        """
    )
    assert found(path) == ["case.yaml:3:3 L010"]


def test_a_subject_without_minimum_age_is_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        subjects:
          prospect: {name: Prospects}
        """
    )
    assert found(path) == ["case.yaml:3:3 L011"]


def test_client_data_stored_outside_its_residency_is_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        subjects:
          caller: {name: Callers, minimum_age: 16}
        clients:
          bank:
            name: A bank
            contact: {email: dpo@bank.example}
            forward: {method: email, address: dpo@bank.example}
            residency: [EEA]
        systems:
          us_telephony: {name: Telephony, owner: IT, location: US}
        datasets:
          calls:
            system: us_telephony
            subject: caller
            controller: client:bank
            identities: {ani: ani}
            fields:
              id: {category: identifier.internal}
              ani: {category: identifier.caller_id}
        retention:
          calls:
            applies_to: {datasets: [calls]}
            period: P90D
            start: id
        """
    )
    assert found(path) == ["case.yaml:14:13 L012"]


def test_an_ignored_code_is_not_reported(write_case: WriteCase) -> None:
    path = write_case(
        """
        checks: {ignore: [L011]}
        subjects:
          prospect: {name: Prospects}
        """
    )
    assert found(path) == []


def test_a_client_forward_lawful_cannot_send_is_reported_at_its_method(
    write_case: WriteCase,
) -> None:
    path = write_case(
        """
        clients:
          lumiere:
            name: Lumière Énergie SA
            contact: {email: dpo@lumiere.example}
            forward: {method: opendsr, address: https://lumiere.example/opendsr}
            residency: [EEA]
          brightpath:
            name: Brightpath Mobile Inc.
            contact: {email: privacy@brightpath.example}
            forward: {method: email, address: privacy-requests@brightpath.example}
            residency: [EEA]
        """
    )
    assert found(path) == ["case.yaml:6:23 L014"]  # at `opendsr`, not at Brightpath


def test_a_purpose_meeting_two_dpia_criteria_without_a_dpia_is_reported(
    write_case: WriteCase,
) -> None:
    """Criminal data (shown by the map) and a declared criterion make two (WP248)."""
    path = write_case(
        """
        purposes:
          vetting:
            name: Vet candidates
            legal_basis: legal_obligation
            provision: {requirement: statutory, obliged: true, consequence: We cannot go on.}
            criminal_condition: authorised_by_law
            categories: [criminal.record]
            dpia:
              criteria: [vulnerable_subjects]
          sourcing:
            name: Find candidates
            legal_basis: legal_obligation
            provision: {requirement: statutory, obliged: true, consequence: We cannot go on.}
            dpia:
              criteria: [large_scale]
        """
    )
    assert found(path) == ["case.yaml:3:3 L016"]
    problem = check_datamap(load_datamap(path))[0]
    assert "2 of 9 criteria met (sensitive_data, vulnerable_subjects)" in problem.message


def test_a_purpose_that_names_its_dpia_passes(write_case: WriteCase) -> None:
    path = write_case(
        """
        purposes:
          vetting:
            name: Vet candidates
            legal_basis: legal_obligation
            provision: {requirement: statutory, obliged: true, consequence: We cannot go on.}
            automated_decisions: Candidates below a score are turned down by the system.
            dpia:
              criteria: [evaluation]
              reference: DPIA-2026-0003
        """
    )
    assert found(path) == []
