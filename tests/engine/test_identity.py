"""Identity values are normalised once, and malformed ones refused before any store is read."""

from __future__ import annotations

import pytest

from lawful.datamap.models import DataMap
from lawful.engine.errors import IdentityError
from lawful.engine.identity import parse_identity
from lawful.engine.phone import PhoneNumberError, to_e164


@pytest.fixture
def datamap(sqlite_shop: object) -> DataMap:
    return sqlite_shop.datamap  # type: ignore[attr-defined,no-any-return]


def test_emails_are_trimmed_and_lower_cased(datamap: DataMap) -> None:
    identity = parse_identity(["email=  Alice@Example.ORG "], datamap=datamap)
    assert identity.values == (("email", "alice@example.org"),)


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+33 6 12-34.56.78", "FR", "+33612345678"),
        ("0033612345678", "DE", "+33612345678"),
        ("(415) 555-0123", "US", "+14155550123"),
        ("1 415 555 0123", "US", "+14155550123"),
        ("210 123 4567", "GR", "+302101234567"),
        ("tel:+302101234567", None, "+302101234567"),
    ],
)
def test_phone_numbers_go_to_e164(raw: str, country: str | None, e164: str) -> None:
    assert to_e164(raw, default_country=country) == e164


@pytest.mark.parametrize(
    "raw", ["06 12 34", "+33 6 12 34 56 78 90 12 34", "call me", "+0612345678"]
)
def test_impossible_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(PhoneNumberError):
        to_e164(raw, default_country="FR")


def test_a_national_number_without_a_known_country_asks_for_the_international_form() -> None:
    with pytest.raises(PhoneNumberError, match="international form"):
        to_e164("0612345678", default_country=None)


def test_phone_identities_use_the_organisations_country_for_national_numbers(
    datamap: DataMap,
) -> None:
    identity = parse_identity(["phone=06 12 34 56 78"], datamap=datamap)
    assert identity.of("phone") == ["+33612345678"]


def test_every_malformed_value_is_reported_at_once(datamap: DataMap) -> None:
    with pytest.raises(IdentityError) as caught:
        parse_identity(
            ["email=alice@@example", "phone=12", "shoe_size=42", "nonsense"], datamap=datamap
        )
    text = str(caught.value)
    assert "'alice@@example' is not an email address" in text
    assert "not a phone number" in text
    assert "no dataset declares the identity type `shoe_size`" in text
    assert "known identity types: email, phone" in text


def test_an_empty_identity_is_refused(datamap: DataMap) -> None:
    with pytest.raises(IdentityError, match="no identity given"):
        parse_identity([], datamap=datamap)


def test_the_canonical_form_is_the_same_whatever_the_order_or_spelling(datamap: DataMap) -> None:
    one = parse_identity(["phone=0612345678", "email=A@example.org"], datamap=datamap)
    two = parse_identity(["email=a@example.org ", "phone=+33 6 12 34 56 78"], datamap=datamap)
    assert one.canonical() == two.canonical()
