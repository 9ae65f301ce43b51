"""Business-day calendars: weekends and public holidays, computed here with no data file.

A deadline that ends on a non-working day moves to the next working day (EU periods,
Regulation 1182/71 Art. 3(4)), and CCPA periods counted in business days skip weekends and
holidays. Each calendar names the law that makes its days holidays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
SATURDAY_SUNDAY = frozenset({SATURDAY, SUNDAY})

HolidayRule = Callable[[int], dict[date, str]]


class CalendarError(ValueError):
    """A calendar cannot tell whether a day is worked (a lunar date beyond its table)."""


@dataclass(frozen=True)
class Calendar:
    """Which days are worked where an organisation acts on a request."""

    code: str
    name: str
    citation: str
    rule: HolidayRule
    weekend: frozenset[int] = SATURDAY_SUNDAY
    extra_holidays: tuple[tuple[date, str], ...] = ()

    def __post_init__(self) -> None:
        if len(self.weekend) >= 7 or not self.weekend <= set(range(7)):
            raise CalendarError(f"calendar {self.code!r}: weekend days must be 0–6, not all seven")

    def holidays(self, year: int) -> dict[date, str]:
        """The public holidays observed in `year`, each with its name."""
        days = dict(_holidays(self.rule, year))
        days.update((day, name) for day, name in self.extra_holidays if day.year == year)
        return days

    def holiday_name(self, day: date) -> str | None:
        name = _holidays(self.rule, day.year).get(day)
        extra = [extra for when, extra in self.extra_holidays if when == day]
        return "; ".join([name, *extra] if name else extra) or None

    def with_holidays(self, extra: Iterable[tuple[date, str]]) -> Calendar:
        """This calendar plus one-off days, e.g. a day the Governor appoints (Gov. Code
        §6700(a)) or a Greek 1 May moved by ministerial decision."""
        return replace(self, extra_holidays=(*self.extra_holidays, *extra))


def is_business_day(day: date, calendar: Calendar) -> bool:
    return day.weekday() not in calendar.weekend and calendar.holiday_name(day) is None


def add_business_days(start: date, n: int, calendar: Calendar) -> date:
    """The n-th business day after `start` (which itself never counts)."""
    if n < 0:
        raise ValueError(f"cannot add a negative number of business days ({n})")
    day = start
    while n:
        day += timedelta(days=1)
        n -= is_business_day(day, calendar)
    return day


def next_business_day(day: date, calendar: Calendar) -> date:
    """`day` if it is worked, else the first worked day after it."""
    while not is_business_day(day, calendar):
        day += timedelta(days=1)
    return day


def non_business_reason(day: date, calendar: Calendar) -> str | None:
    """Why `day` is not worked ("Saturday", "Easter Monday"), or None when it is."""
    name = calendar.holiday_name(day)
    if name is not None:
        return name
    return day.strftime("%A") if day.weekday() in calendar.weekend else None


# --- movable feasts -------------------------------------------------------------------


def easter_gregorian(year: int) -> date:
    """Western Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    week = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * week) // 451
    month, day = divmod(h + week - 7 * m + 114, 31)
    return date(year, month, day + 1)


def easter_orthodox(year: int) -> date:
    """Orthodox Easter Sunday as a Gregorian date: Meeus's Julian algorithm, then the
    Julian calendar's lag (13 days from 1900 to 2099)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian_lag = year // 100 - year // 400 - 2
    return date(year, month, day + 1) + timedelta(days=julian_lag)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _named(pairs: Iterable[tuple[date, str]]) -> dict[date, str]:
    """Holidays by day; two feasts on one day (Ascension on 1 May) keep both names."""
    days: dict[date, str] = {}
    for day, name in pairs:
        days[day] = f"{days[day]}; {name}" if day in days else name
    return days


@lru_cache(maxsize=512)
def _holidays(rule: HolidayRule, year: int) -> dict[date, str]:
    return rule(year)


# --- France ---------------------------------------------------------------------------


def _france(year: int) -> dict[date, str]:
    # Code du travail art. L3133-1: the eleven public holidays ("fêtes légales").
    easter = easter_gregorian(year)
    return _named(
        [
            (date(year, 1, 1), "New Year's Day"),
            (easter + timedelta(days=1), "Easter Monday"),
            (date(year, 5, 1), "Labour Day"),
            (date(year, 5, 8), "Victory in Europe Day"),
            (easter + timedelta(days=39), "Ascension Day"),
            (easter + timedelta(days=50), "Whit Monday"),
            (date(year, 7, 14), "Bastille Day"),
            (date(year, 8, 15), "Assumption Day"),
            (date(year, 11, 1), "All Saints' Day"),
            (date(year, 11, 11), "Armistice Day"),
            (date(year, 12, 25), "Christmas Day"),
        ]
    )


def _france_alsace_moselle(year: int) -> dict[date, str]:
    # Code du travail art. L3134-13: Good Friday and 26 December in Moselle, Bas-Rhin and
    # Haut-Rhin, on top of the national list.
    extra = [
        (easter_gregorian(year) - timedelta(days=2), "Good Friday"),
        (date(year, 12, 26), "St Stephen's Day"),
    ]
    return _named([*_france(year).items(), *extra])


# --- Greece ---------------------------------------------------------------------------


def _greek_may_day(year: int, easter: date) -> date:
    # 1 May is moved to Easter Tuesday when it falls between Holy Monday and Easter Monday:
    # a ministerial decision each time, always this way so far (2013, 2016, 2021, 2024).
    may_day = date(year, 5, 1)
    holy_week = easter - timedelta(days=6) <= may_day <= easter + timedelta(days=1)
    return easter + timedelta(days=2) if holy_week else may_day


def _greece(year: int) -> dict[date, str]:
    # Public holidays in Greece: 1 and 6 January (L. 4808/2021 art. 60), 25 March, Easter
    # Monday, 1 May (L. 4468/2017 art. 14), 15 August, 25–26 December (L. 4554/2018 art. 42)
    # are compulsory rest days; Clean Monday, Good Friday, Whit Monday and 28 October are
    # public holidays of the State. Movable feasts follow Orthodox Easter.
    easter = easter_orthodox(year)
    return _named(
        [
            (date(year, 1, 1), "New Year's Day"),
            (date(year, 1, 6), "Epiphany"),
            (easter - timedelta(days=48), "Clean Monday"),
            (date(year, 3, 25), "Independence Day"),
            (easter - timedelta(days=2), "Good Friday"),
            (easter + timedelta(days=1), "Easter Monday"),
            (_greek_may_day(year, easter), "Labour Day"),
            (easter + timedelta(days=50), "Whit Monday"),
            (date(year, 8, 15), "Dormition of the Mother of God"),
            (date(year, 10, 28), "Ochi Day"),
            (date(year, 12, 25), "Christmas Day"),
            (date(year, 12, 26), "Synaxis of the Mother of God"),
        ]
    )


# --- United States --------------------------------------------------------------------


def _federal_on(year: int) -> list[tuple[date, str]]:
    # 5 U.S.C. §6103(a); Juneteenth since 2021 (Pub. L. 117-17).
    days = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, MONDAY, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, MONDAY, 3), "Washington's Birthday"),
        (_last_weekday(year, 5, MONDAY), "Memorial Day"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, MONDAY, 1), "Labor Day"),
        (_nth_weekday(year, 10, MONDAY, 2), "Columbus Day"),
        (date(year, 11, 11), "Veterans Day"),
        (_nth_weekday(year, 11, THURSDAY, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year >= 2021:
        days.append((date(year, 6, 19), "Juneteenth National Independence Day"))
    return days


def _observed_federal(day: date, name: str) -> tuple[date, str]:
    # A Saturday holiday is observed the Friday before (5 U.S.C. §6103(b)(1)); a Sunday
    # holiday the Monday after (Executive Order 11582, §3(a)).
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1), f"{name} (observed)"
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1), f"{name} (observed)"
    return day, name


def _us_federal(year: int) -> dict[date, str]:
    # Next year's 1 January may be observed on 31 December of this one.
    observed = [
        _observed_federal(day, name) for y in (year, year + 1) for day, name in _federal_on(y)
    ]
    return _named((day, name) for day, name in observed if day.year == year)


# Cal. Gov. Code §6700(a)(4): "Lunar New Year", the second new moon after the winter
# solstice (the third when an intercalary month intervenes, as in 2033–34). The dates are
# those of the Chinese calendar; a year missing here is an error, never a silent guess.
LUNAR_NEW_YEAR: dict[int, date] = {
    year: date(year, month, day)
    for year, month, day in [
        (2023, 1, 22), (2024, 2, 10), (2025, 1, 29), (2026, 2, 17), (2027, 2, 6),
        (2028, 1, 26), (2029, 2, 13), (2030, 2, 3), (2031, 1, 23), (2032, 2, 11),
        (2033, 1, 31), (2034, 2, 19), (2035, 2, 8), (2036, 1, 28), (2037, 2, 15),
        (2038, 2, 4), (2039, 1, 24), (2040, 2, 12), (2041, 2, 1), (2042, 1, 22),
        (2043, 2, 10), (2044, 1, 30), (2045, 2, 17), (2046, 2, 6), (2047, 1, 26),
        (2048, 2, 14), (2049, 2, 2), (2050, 1, 23),
    ]
}  # fmt: skip
CALIFORNIA_2023_ADDITIONS = 2023  # Lunar New Year, Genocide Remembrance Day, Juneteenth


def _lunar_new_year(year: int) -> date:
    if year not in LUNAR_NEW_YEAR:
        raise CalendarError(
            f"California's Lunar New Year (Gov. Code §6700(a)) is not known for {year}: "
            "add that year's date to LUNAR_NEW_YEAR in lawful/law/calendars.py"
        )
    return LUNAR_NEW_YEAR[year]


def _california_on(year: int) -> list[tuple[date, str]]:
    # Cal. Gov. Code §6700(a). Sundays are holidays there too (§6700(a)(1)): the weekend.
    # Good Friday is a holiday only from noon to 3 p.m., so the day is still worked.
    days = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, MONDAY, 3), "Dr. Martin Luther King, Jr. Day"),
        (date(year, 2, 12), "Lincoln Day"),
        (_nth_weekday(year, 2, MONDAY, 3), "Presidents' Day"),
        (date(year, 3, 31), "Cesar Chavez Day"),
        (_last_weekday(year, 5, MONDAY), "Memorial Day"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, MONDAY, 1), "Labor Day"),
        (date(year, 9, 9), "Admission Day"),
        (_nth_weekday(year, 9, FRIDAY, 4), "Native American Day"),
        (_nth_weekday(year, 10, MONDAY, 2), "Columbus Day"),
        (date(year, 11, 11), "Veterans Day"),
        # §6700(a): a day the President appoints for thanksgiving.
        (_nth_weekday(year, 11, THURSDAY, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year >= CALIFORNIA_2023_ADDITIONS:  # added by the 2022 session, in force 1 Jan 2023
        days += [
            (_lunar_new_year(year), "Lunar New Year"),
            (date(year, 4, 24), "Genocide Remembrance Day"),
            (date(year, 6, 19), "Juneteenth"),
        ]
    return days


# Cal. Gov. Code §6701: these dates falling on a Sunday make the Monday a holiday, and
# 11 November falling on a Saturday makes the Friday one.
_CALIFORNIA_SUNDAY_SHIFT = {(1, 1), (2, 12), (3, 31), (7, 4), (9, 9), (11, 11), (12, 25)}


def _california(year: int) -> dict[date, str]:
    days = list(_california_on(year))
    for day, name in _california_on(year):
        if (day.month, day.day) in _CALIFORNIA_SUNDAY_SHIFT and day.weekday() == SUNDAY:
            days.append((day + timedelta(days=1), f"{name} (observed)"))
        if (day.month, day.day) == (11, 11) and day.weekday() == SATURDAY:
            days.append((day - timedelta(days=1), f"{name} (observed)"))
    return _named(days)


def _none(year: int) -> dict[date, str]:
    return {}


FRANCE = Calendar("fr", "France", "Code du travail art. L3133-1", _france)
FRANCE_ALSACE_MOSELLE = Calendar(
    "fr_alsace_moselle",
    "France (Alsace-Moselle)",
    "Code du travail art. L3133-1, L3134-13",
    _france_alsace_moselle,
)
GREECE = Calendar(
    "gr", "Greece", "Greek public holidays; movable feasts from Orthodox Easter", _greece
)
US_FEDERAL = Calendar("us", "United States (federal)", "5 U.S.C. §6103", _us_federal)
# Cal. Civ. Code §7 and §9: the CCPA sits in the Civil Code, whose holidays are Sundays and
# the Government Code's holidays; every other day is a business day. Lawful also rests on
# Saturdays, as businesses do (see docs/deadlines.md).
CALIFORNIA = Calendar(
    "us_ca", "California", "Cal. Gov. Code §6700–6701; Cal. Civ. Code §7, §9", _california
)
WEEKENDS_ONLY = Calendar(
    "weekends", "Saturdays and Sundays only", "Regulation (EEC, Euratom) 1182/71 Art. 3(4)", _none
)

CALENDARS: dict[str, Calendar] = {
    cal.code: cal
    for cal in (FRANCE, FRANCE_ALSACE_MOSELLE, GREECE, US_FEDERAL, CALIFORNIA, WEEKENDS_ONLY)
}


def calendar_for(country: str, region: str | None = None) -> Calendar:
    """The calendar of an establishment in `country` (ISO 3166-1) and, for the United
    States, `region` (a state code such as "CA" or "US-CA"). Countries without a calendar
    here count weekends only, which can only make a deadline earlier, never later."""
    country = country.upper()
    state = (region or "").upper().removeprefix(f"{country}-")
    if country == "US":
        return CALIFORNIA if state == "CA" else US_FEDERAL
    return {"FR": FRANCE, "GR": GREECE}.get(country, WEEKENDS_ONLY)
