"""Table context: what a table is about colours its columns (lawful.discovery.context)."""

from __future__ import annotations

import pytest

from lawful.discovery.classify import FREE_TEXT, ColumnClass, classify_column
from lawful.discovery.context import in_context, table_category
from lawful.discovery.scan import column_analyzer
from lawful.recognizers.analyzer import Analyzer

PHONE = ColumnClass("contact.phone", 1.0, "both", 10, 10)
NOTHING = ColumnClass(None, 0.0, "values", 10, 0)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return column_analyzer()


def test_a_phone_in_a_table_of_emergency_contacts_is_the_emergency_contacts() -> None:
    settled = in_context("emergency_contacts", {"phone": PHONE, "relationship": NOTHING}, keys=())
    assert settled["phone"].category == "related_person.emergency_contact"
    assert settled["phone"].evidence == "both", "the values still say what was found"
    assert settled["relationship"].category == "related_person.emergency_contact"
    assert settled["relationship"].evidence == "name"


def test_what_a_recognizer_checks_keeps_its_category_in_a_record_table() -> None:
    iban = ColumnClass("financial.bank_account", 1.0, "values", 10, 10)
    email = ColumnClass("contact.email", 1.0, "values", 10, 10)
    settled = in_context("payslips", {"iban": iban, "misc": email, "period": NOTHING}, keys=())
    assert settled["iban"].category == "financial.bank_account"
    assert settled["misc"].category == "contact.email"
    assert settled["period"].category == "employment.compensation"


def test_a_subject_table_files_only_the_columns_nothing_else_is_known_of() -> None:
    name = ColumnClass("name", 0.9, "both", 10, 9)
    settled = in_context("employees", {"last_name": name, "site": NOTHING}, keys=())
    assert settled["last_name"].category == "name"
    assert settled["site"].category == "employment.contract"


def test_keys_and_columns_named_as_keys_are_left_alone() -> None:
    settled = in_context("calls", {"call_id": NOTHING, "agent_id": NOTHING}, keys={"call_id"})
    assert settled["call_id"].category is None
    assert settled["agent_id"].category is None


def test_a_country_beside_a_street_is_the_address_and_alone_a_location(
    analyzer: Analyzer,
) -> None:
    country = classify_column("country", "TEXT", [], analyzer=analyzer)
    street = classify_column("street_address", "TEXT", [], analyzer=analyzer)
    beside = in_context("customers", {"street_address": street, "country": country}, keys=())
    alone = in_context("visitors", {"country": country}, keys=())
    assert beside["country"].category == "contact.postal_address"
    assert alone["country"].category == "location.approximate"


def test_a_transcript_filed_under_call_recordings_is_still_free_text(analyzer: Analyzer) -> None:
    texts = [
        "Caller said Marie Dupont would ring back on 06 12 34 56 78 after the meeting today.",
        "Customer asked us to write to emily.j@example.com about the late delivery of the order.",
        "The line dropped twice, customer will call again tomorrow morning before nine o'clock.",
    ]
    found = classify_column("transcript_excerpt", "TEXT", texts, analyzer=analyzer)
    assert (found.category, found.free_text) == (FREE_TEXT, True)
    settled = in_context("call_recordings", {"transcript_excerpt": found}, keys=())
    assert settled["transcript_excerpt"].category == "communication.call_recording"
    assert settled["transcript_excerpt"].free_text


def test_card_data_no_recognizer_can_check_is_known_by_its_name(analyzer: Analyzer) -> None:
    found = classify_column("card_last4", "TEXT", ["4242", "1881", "0005"], analyzer=analyzer)
    assert (found.category, found.evidence) == ("financial.payment_card", "name")
    full = classify_column("card_number", "TEXT", ["hello", "world"], analyzer=analyzer)
    assert full.category is None, "a full card number is checked by its values"


@pytest.mark.parametrize(
    ("table", "category"),
    [
        ("ticket_messages", "communication.message"),
        ("time_entries", "employment.timekeeping"),
        ("EmergencyContacts", "related_person.emergency_contact"),
        ("invoices", "commercial.billing"),
        ("products", None),
    ],
)
def test_a_tables_name_is_read_from_its_head_noun(table: str, category: str | None) -> None:
    found = table_category(table)
    assert (found[0] if found else None) == category
