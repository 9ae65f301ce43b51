"""Identity values are normalised once, and malformed ones refused before any store is read."""

from __future__ import annotations

import pytest
from email_validator import validate_email

from lawful.datamap.models import DataMap
from lawful.engine.errors import IdentityError
from lawful.engine.identity import normalise_email, parse_identity, stored_email
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


HOSTILE_EMAILS = [
    "<script>@x.example",
    "a@-x.example",
    "a@x-.example",
    "a..b@x.example",
    ".a@x.example",
    "a@x..example",
    "a@localhost",
    "a@x.test",
    "a@x.invalid",
    "a b@x.example",
    "a@x.example>",
    "\ufffd\ufffd@x.example",
    "a@" + "x" * 64 + ".example",
    "a@x.123",
]


@pytest.mark.parametrize("raw", HOSTILE_EMAILS)
def test_addresses_no_one_can_write_to_are_refused_with_the_reason(raw: str) -> None:
    with pytest.raises(ValueError, match="is not an email address: ") as refused:
        normalise_email(raw)
    assert str(refused.value).split(": ", 1)[1]  # a reason a person can act on


@pytest.mark.parametrize(
    "raw",
    ["Ann.Martin+news@People.Example", "o_brien%x@mail.co.uk", "a-b@x-y.example.org",
     "zoé@exemple.fr", "ann@xn--exmple-cua.fr"],
)  # fmt: skip
def test_the_plain_path_and_the_library_agree_on_good_addresses(raw: str) -> None:
    expected = validate_email(raw.strip().lower(), check_deliverability=False).normalized.lower()
    assert normalise_email(f"  {raw} ") == expected


def test_an_address_a_store_already_holds_is_matched_even_where_no_one_could_type_it() -> None:
    assert stored_email(" Ann@Intranet.Local ") == "ann@intranet.local"  # a breach counts her
    with pytest.raises(ValueError, match="special-use"):
        normalise_email("ann@intranet.local")
    with pytest.raises(ValueError, match=r"name@domain\.tld"):
        stored_email("ann")
