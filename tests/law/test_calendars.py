"""Business-day calendars: movable feasts, national holidays, observed days, counting."""

from __future__ import annotations

from datetime import date

import pytest

from lawful.law.calendars import (
    CALENDARS,
    CALIFORNIA,
    FRANCE,
    FRANCE_ALSACE_MOSELLE,
    GREECE,
    US_FEDERAL,
    WEEKENDS_ONLY,
    Calendar,
    CalendarError,
    add_business_days,
    calendar_for,
    easter_gregorian,
    easter_orthodox,
    is_business_day,
    next_business_day,
    non_business_reason,
)


@pytest.mark.parametrize(
    "expected",
    [
        date(1818, 3, 22),  # the earliest possible date
        date(1943, 4, 25),  # the latest possible date
        date(2008, 3, 23),
        date(2019, 4, 21),
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2026, 4, 5),
        date(2027, 3, 28),
        date(2038, 4, 25),
    ],
)
def test_western_easter_matches_known_dates(expected: date) -> None:
    assert easter_gregorian(expected.year) == expected


@pytest.mark.parametrize(
    "expected",
    [
        date(2016, 5, 1),
        date(2021, 5, 2),
        date(2022, 4, 24),
        date(2023, 4, 16),
        date(2024, 5, 5),
        date(2025, 4, 20),
        date(2026, 4, 12),
        date(2027, 5, 2),
        date(2028, 4, 16),
        date(2029, 4, 8),
        date(2030, 4, 28),
    ],
)
def test_orthodox_easter_matches_known_dates(expected: date) -> None:
    assert easter_orthodox(expected.year) == expected


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 4, 21), "Easter Monday"),
        (date(2025, 5, 29), "Ascension Day"),
        (date(2025, 6, 9), "Whit Monday"),
        (date(2026, 4, 6), "Easter Monday"),
        (date(2026, 5, 14), "Ascension Day"),
        (date(2026, 5, 25), "Whit Monday"),
        (date(2026, 7, 14), "Bastille Day"),
    ],
)
def test_french_movable_and_fixed_holidays_are_not_business_days(day: date, name: str) -> None:
    assert FRANCE.holiday_name(day) == name
    assert not is_business_day(day, FRANCE)


def test_france_has_eleven_public_holidays_and_keeps_both_names_when_two_coincide() -> None:
    assert len(FRANCE.holidays(2025)) == 11
    assert FRANCE.holiday_name(date(2008, 5, 1)) == "Labour Day; Ascension Day"


def test_alsace_moselle_adds_good_friday_and_st_stephens_day() -> None:
    assert is_business_day(date(2025, 4, 18), FRANCE)
    assert not is_business_day(date(2025, 4, 18), FRANCE_ALSACE_MOSELLE)
    assert FRANCE_ALSACE_MOSELLE.holiday_name(date(2025, 12, 26)) == "St Stephen's Day"


@pytest.mark.parametrize(
    ("year", "clean_monday", "good_friday", "easter_monday", "whit_monday"),
    [
        (2025, date(2025, 3, 3), date(2025, 4, 18), date(2025, 4, 21), date(2025, 6, 9)),
        (2026, date(2026, 2, 23), date(2026, 4, 10), date(2026, 4, 13), date(2026, 6, 1)),
        (2027, date(2027, 3, 15), date(2027, 4, 30), date(2027, 5, 3), date(2027, 6, 21)),
    ],
)
def test_greek_movable_holidays_follow_orthodox_easter(
    year: int, clean_monday: date, good_friday: date, easter_monday: date, whit_monday: date
) -> None:
    holidays = GREECE.holidays(year)
    assert holidays[clean_monday] == "Clean Monday"
    assert holidays[good_friday] == "Good Friday"
    assert holidays[easter_monday] == "Easter Monday"
    assert holidays[whit_monday] == "Whit Monday"


def test_greek_may_day_moves_to_easter_tuesday_when_it_falls_in_holy_week() -> None:
    assert is_business_day(date(2024, 5, 1), GREECE)  # Holy Wednesday in 2024
    assert GREECE.holiday_name(date(2024, 5, 7)) == "Labour Day"
    assert GREECE.holiday_name(date(2025, 5, 1)) == "Labour Day"


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 2, 12), "Lincoln Day"),
        (date(2025, 3, 31), "Cesar Chavez Day"),
        (date(2025, 9, 9), "Admission Day"),
        (date(2025, 9, 26), "Native American Day"),
        (date(2025, 1, 29), "Lunar New Year"),
        (date(2025, 4, 24), "Genocide Remembrance Day"),
        (date(2025, 6, 19), "Juneteenth"),
        (date(2025, 11, 27), "Thanksgiving Day"),
    ],
)
def test_california_state_holidays_are_not_business_days(day: date, name: str) -> None:
    assert CALIFORNIA.holiday_name(day) == name
    assert not is_business_day(day, CALIFORNIA)


def test_california_good_friday_holiday_lasts_three_hours_so_the_day_is_worked() -> None:
    assert is_business_day(date(2025, 4, 18), CALIFORNIA)


def test_california_holidays_added_in_2023_do_not_apply_to_earlier_years() -> None:
    assert is_business_day(date(2022, 2, 1), CALIFORNIA)  # Lunar New Year 2022
    assert not is_business_day(date(2024, 4, 24), CALIFORNIA)


def test_california_moves_a_sunday_holiday_to_monday_and_a_saturday_veterans_day_to_friday() -> (
    None
):
    assert CALIFORNIA.holiday_name(date(2024, 4, 1)) == "Cesar Chavez Day (observed)"
    assert CALIFORNIA.holiday_name(date(2023, 11, 10)) == "Veterans Day (observed)"
    # Gov. Code §6701 moves only the dates it lists: a Sunday Juneteenth stays put.
    assert is_business_day(date(2033, 6, 20), CALIFORNIA)


def test_lunar_new_year_beyond_the_table_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarError, match="LUNAR_NEW_YEAR"):
        is_business_day(date(2051, 3, 1), CALIFORNIA)


def test_federal_holidays_on_a_weekend_are_observed_on_the_nearest_weekday() -> None:
    assert US_FEDERAL.holiday_name(date(2026, 7, 3)) == "Independence Day (observed)"
    assert US_FEDERAL.holiday_name(date(2021, 12, 31)) == "New Year's Day (observed)"
    assert US_FEDERAL.holiday_name(date(2023, 1, 2)) == "New Year's Day (observed)"
    assert is_business_day(date(2025, 3, 31), US_FEDERAL)  # Cesar Chavez Day is California's


def test_add_business_days_skips_weekends_and_holidays() -> None:
    # Friday 31 January 2025 + 10 business days in California skips Lincoln Day (12 Feb)
    # and Presidents' Day (17 Feb).
    assert add_business_days(date(2025, 1, 31), 10, CALIFORNIA) == date(2025, 2, 18)
    assert add_business_days(date(2025, 1, 31), 10, WEEKENDS_ONLY) == date(2025, 2, 14)


def test_add_business_days_never_counts_the_start_day() -> None:
    saturday, friday = date(2025, 3, 8), date(2025, 3, 7)
    assert add_business_days(saturday, 1, WEEKENDS_ONLY) == date(2025, 3, 10)
    assert add_business_days(friday, 1, WEEKENDS_ONLY) == date(2025, 3, 10)
    assert add_business_days(friday, 0, WEEKENDS_ONLY) == friday


def test_add_business_days_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(date(2025, 3, 7), -1, WEEKENDS_ONLY)


def test_next_business_day_says_why_a_day_is_not_worked() -> None:
    assert next_business_day(date(2025, 4, 19), FRANCE) == date(2025, 4, 22)
    assert non_business_reason(date(2025, 4, 19), FRANCE) == "Saturday"
    assert non_business_reason(date(2025, 4, 21), FRANCE) == "Easter Monday"
    assert non_business_reason(date(2025, 4, 22), FRANCE) is None


def test_a_day_the_governor_appoints_can_be_added_to_a_calendar() -> None:
    appointed = CALIFORNIA.with_holidays([(date(2025, 3, 5), "Day of mourning")])
    assert not is_business_day(date(2025, 3, 5), appointed)
    assert is_business_day(date(2025, 3, 5), CALIFORNIA)
    assert appointed.holidays(2025)[date(2025, 3, 5)] == "Day of mourning"


def test_a_calendar_with_no_working_day_is_refused() -> None:
    with pytest.raises(CalendarError, match="weekend"):
        Calendar("never", "Never", "-", lambda year: {}, weekend=frozenset(range(7)))


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        ("FR", None, FRANCE),
        ("fr", None, FRANCE),
        ("GR", None, GREECE),
        ("US", "CA", CALIFORNIA),
        ("US", "US-CA", CALIFORNIA),
        ("US", "NY", US_FEDERAL),
        ("DE", None, WEEKENDS_ONLY),
    ],
)
def test_calendar_for_picks_the_establishments_calendar(
    country: str, region: str | None, expected: Calendar
) -> None:
    assert calendar_for(country, region) is expected


def test_every_calendar_is_registered_under_its_code() -> None:
    assert all(code == cal.code for code, cal in CALENDARS.items())
    assert set(CALENDARS) == {"fr", "fr_alsace_moselle", "gr", "us", "us_ca", "weekends"}
