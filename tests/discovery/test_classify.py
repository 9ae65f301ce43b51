"""Column classification: values decide when they are strong evidence, names otherwise."""

from __future__ import annotations

import pytest

from lawful.discovery.classify import category_from_name, classify_column
from lawful.discovery.scan import column_analyzer
from lawful.recognizers.analyzer import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return column_analyzer()


def test_a_column_of_given_names_under_a_meaningless_name_is_names(analyzer: Analyzer) -> None:
    found = classify_column(
        "col7", "TEXT", ["Emily", "Camille", "Γιώργος", "Marie", "John"], analyzer=analyzer
    )
    assert (found.category, found.evidence, found.matched) == ("name", "values", 5)


def test_towns_named_after_families_stay_addresses(analyzer: Analyzer) -> None:
    # Word lists are weak evidence: a name that says "city" wins over them.
    found = classify_column(
        "city", "TEXT", ["Martin", "Bernard", "Dubois", "Petit"], analyzer=analyzer
    )
    assert (found.category, found.evidence) == ("contact.postal_address", "name")


def test_a_phone_column_whose_values_are_no_phone_numbers_is_not_personal(
    analyzer: Analyzer,
) -> None:
    found = classify_column("phone_model", "TEXT", ["Pixel 8", "iPhone 15"], analyzer=analyzer)
    assert found.category is None
    found = classify_column("mobile", "TEXT", ["yes", "no", "yes"], analyzer=analyzer)
    assert (found.category, found.evidence) == (None, "values")


def test_a_birth_column_needs_dates(analyzer: Analyzer) -> None:
    assert (
        classify_column("birth_date", "DATE", [], analyzer=analyzer).category
        == "demographic.birth_date"
    )
    assert classify_column(
        "dob", "TEXT", ["1980-03-01", "1975-12-31"], analyzer=analyzer
    ).category == ("demographic.birth_date")
    assert (
        classify_column("birth_place", "TEXT", ["Lyon", "Athens"], analyzer=analyzer).category
        is None
    )


def test_free_text_naming_people_is_a_message_column(analyzer: Analyzer) -> None:
    texts = [
        "Customer says Marie Dupont will call back from 06 12 34 56 78 tomorrow morning.",
        "Asked to send the invoice to emily.j@example.com before the end of the month.",
        "No answer, the line was busy; will try again after lunch as agreed earlier today.",
    ]
    found = classify_column("remarks", "TEXT", texts, analyzer=analyzer)
    assert (found.category, found.evidence, found.matched) == ("communication.message", "values", 2)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("email_template", None),
        ("customer_id", None),
        ("workEmail", "contact.email"),
        ("ip_address", "identifier.ip_address"),
        ("postal_code", "contact.postal_address"),
        ("ani", "identifier.caller_id"),
        ("vat_cents", None),
    ],
)
def test_column_names_suggest_categories_word_by_word(name: str, category: str | None) -> None:
    assert category_from_name(name) == category
