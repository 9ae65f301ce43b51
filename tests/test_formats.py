"""`lawful.formats`: what people read, one way (CLDR through Babel), in the installation's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import DictLoader

from lawful.config import Settings, SettingsError
from lawful.formats import country, currency_of, day, display_zone, moment, money, number
from lawful.jinja import environment

WINTER = datetime(2026, 12, 7, 17, 34, tzinfo=UTC)
SUMMER = datetime(2026, 7, 7, 17, 34, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "at", "shown"),
    [
        ("UTC", WINTER, "7 Dec 2026, 17:34 UTC"),
        ("Europe/Paris", WINTER, "7 Dec 2026, 18:34 CET"),
        ("Europe/Paris", SUMMER, "7 Jul 2026, 19:34 CEST"),
        ("America/Los_Angeles", WINTER, "7 Dec 2026, 09:34 PST"),
        ("Asia/Tokyo", WINTER, "8 Dec 2026, 02:34 JST"),
    ],
)
def test_a_moment_is_shown_in_the_zone_with_its_abbreviation(
    zone: str, at: datetime, shown: str
) -> None:
    assert moment(at, zone) == shown


def test_a_moment_without_a_zone_is_taken_as_utc_and_nothing_reads_as_a_dash() -> None:
    assert moment(datetime(2026, 12, 7, 17, 34), "Europe/Athens") == "7 Dec 2026, 19:34 EET"
    assert moment(None) == "—"
    assert day(None) == "—"
    assert money(None) == "—"


def test_days_numbers_money_and_countries_read_as_people_write_them() -> None:
    assert day(date(2027, 1, 7)) == "7 Jan 2027"
    assert day("2027-01-07") == "7 Jan 2027"
    assert day("2027-01-07T10:00:00+00:00") == "7 Jan 2027"
    assert day("soon") == "soon"  # not a date: shown as given, never an error
    assert number(1234567) == "1,234,567"
    assert money(123450, "EUR") == "€1,234.50"
    assert money(5, "usd") == "US$0.05"
    assert money(-99900, "GBP") == "-£999.00"
    assert country("FR") == "France"
    assert country("gr") == "Greece"
    assert country("US-CA") == "United States (CA)"
    assert country("UK") == "United Kingdom"
    assert country("XX") == "XX"  # not a country CLDR knows: shown as given
    assert currency_of("FR") == "EUR"
    assert currency_of("US") == "USD"
    assert currency_of(None) == "EUR"


def test_a_time_zone_that_is_not_an_iana_name_is_refused_with_how_to_fix_it() -> None:
    assert str(display_zone(Settings(time_zone="Europe/Athens"))) == "Europe/Athens"
    assert str(display_zone(Settings(time_zone=""))) == "UTC"  # left empty: the default
    for wrong in ("Mars/Olympus", "CET+1", "../../etc/passwd"):
        with pytest.raises(SettingsError, match=r"LAWFUL_TIME_ZONE .* is not an IANA time zone"):
            display_zone(Settings(time_zone=wrong))


def test_every_environment_has_the_filters_and_when_follows_the_time_zone_it_is_given() -> None:
    env = environment(DictLoader({"t.html.j2": "{{ at | when }} · {{ 123450 | money('EUR') }}"}))
    page = env.get_template("t.html.j2")
    assert page.render(at=WINTER) == "7 Dec 2026, 17:34 UTC · €1,234.50"
    assert page.render(at=WINTER, time_zone="Europe/Paris").startswith("7 Dec 2026, 18:34 CET")
