"""Deadlines on a fixed clock: GDPR months (Reg. 1182/71), CCPA days and business days,
extensions, time zones and status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lawful.datamap.models import Jurisdiction
from lawful.law.calendars import CALIFORNIA, FRANCE, GREECE, US_FEDERAL, WEEKENDS_ONLY, Calendar
from lawful.law.deadlines import (
    DeadlineError,
    Deadlines,
    DeadlineStatus,
    add_months,
    compute_deadlines,
    extend,
    status,
    strictest_deadlines,
)
from lawful.law.requests import DeadlineKind, RequestType

PARIS = ZoneInfo("Europe/Paris")
ATHENS = ZoneInfo("Europe/Athens")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def gdpr(received: datetime, calendar: Calendar = FRANCE, tz: ZoneInfo = PARIS) -> Deadlines:
    return compute_deadlines(
        request_type=RequestType.access,
        jurisdiction=Jurisdiction.gdpr,
        received_at=received,
        tz=tz,
        calendar=calendar,
    )


def ccpa(
    received: datetime,
    request_type: RequestType = RequestType.access,
    calendar: Calendar = CALIFORNIA,
) -> Deadlines:
    return compute_deadlines(
        request_type=request_type,
        jurisdiction=Jurisdiction.ccpa,
        received_at=received,
        tz=LOS_ANGELES,
        calendar=calendar,
    )


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def la(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOS_ANGELES)


# --- GDPR: one month, Reg. 1182/71 Art. 3 ---------------------------------------------


def test_gdpr_request_received_31_january_is_due_28_february() -> None:
    deadlines = gdpr(paris(2025, 1, 31, 10))
    assert deadlines.respond_by.day == date(2025, 2, 28)
    assert "GDPR Art. 12(3)" in deadlines.respond_by.citation
    assert "1182/71" in deadlines.respond_by.citation
    assert deadlines.acknowledge_by is None


def test_gdpr_request_received_31_january_of_a_leap_year_is_due_29_february() -> None:
    assert gdpr(paris(2024, 1, 31, 10)).respond_by.day == date(2024, 2, 29)


def test_gdpr_deadline_falling_on_a_saturday_moves_to_monday_and_says_why() -> None:
    respond_by = gdpr(paris(2025, 2, 15, 10)).respond_by
    assert respond_by.day == date(2025, 3, 17)
    assert respond_by.note == "2025-03-15 is not a working day (Saturday); moved to 2025-03-17"


def test_gdpr_deadline_falling_on_french_easter_monday_moves_to_tuesday() -> None:
    received = paris(2025, 3, 21, 10)
    assert gdpr(received).respond_by.day == date(2025, 4, 22)
    assert "Easter Monday" in gdpr(received).respond_by.note
    assert gdpr(received, calendar=WEEKENDS_ONLY).respond_by.day == date(2025, 4, 21)


def test_the_establishments_calendar_decides_which_holidays_count() -> None:
    # 1 June 2026 is Whit Monday in Greece (Orthodox), an ordinary Monday in France.
    received = paris(2026, 5, 1, 10)
    assert gdpr(received, calendar=GREECE).respond_by.day == date(2026, 6, 2)
    assert gdpr(received, calendar=FRANCE).respond_by.day == date(2026, 6, 1)


def test_a_request_received_at_2330_utc_on_a_friday_is_received_on_saturday_in_athens() -> None:
    received = datetime(2025, 1, 24, 23, 30, tzinfo=UTC)  # a Friday
    in_athens = gdpr(received, calendar=GREECE, tz=ATHENS)
    assert in_athens.received_on == date(2025, 1, 25)
    assert in_athens.respond_by.day == date(2025, 2, 25)
    in_utc = compute_deadlines(
        request_type=RequestType.access,
        jurisdiction=Jurisdiction.gdpr,
        received_at=received,
        tz=UTC,
        calendar=GREECE,
    )
    assert in_utc.respond_by.day == date(2025, 2, 24)


def test_a_deadline_ends_at_the_last_instant_of_its_day_in_the_organisations_time_zone() -> None:
    ends_at = gdpr(paris(2025, 1, 31, 10)).respond_by.ends_at
    assert paris(2025, 2, 28, 23, 59) < ends_at < paris(2025, 3, 1)
    assert ends_at.utcoffset() == timedelta(hours=1)


def test_add_months_keeps_the_date_or_falls_back_to_the_last_day_of_the_month() -> None:
    assert add_months(date(2025, 3, 31), 1) == date(2025, 4, 30)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_gdpr_extension_must_be_told_within_the_first_month() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))
    assert deadlines.extension_notice_by is not None
    assert deadlines.extension_notice_by.day == date(2025, 2, 10)
    assert deadlines.max_extended_by is not None
    assert deadlines.max_extended_by.day == date(2025, 4, 10)


def test_gdpr_extension_by_two_months_ends_three_months_after_receipt() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))
    extended = extend(
        deadlines, months_or_days=2, reason="Many systems", told_at=paris(2025, 2, 10, 22)
    )
    assert extended.respond_by.day == date(2025, 4, 10)
    assert extended.extended
    assert extended.extensions[0].previous.day == date(2025, 2, 10)
    assert extended.extensions[0].reason == "Many systems"
    assert "extended by 2 months" in extended.respond_by.citation


def test_gdpr_extension_told_after_the_first_month_is_refused() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))
    with pytest.raises(DeadlineError, match=r"Too late to extend.*by 2025-02-10.*on 2025-02-11"):
        extend(deadlines, months_or_days=1, reason="Complex", told_at=paris(2025, 2, 11, 0, 5))


def test_gdpr_extension_beyond_two_further_months_is_refused_with_the_most_that_fits() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))
    with pytest.raises(
        DeadlineError, match=r"after the latest date allowed, 2025-04-10.*at most 2 months"
    ):
        extend(deadlines, months_or_days=3, reason="Complex", told_at=paris(2025, 1, 20))


def test_gdpr_extensions_may_add_up_to_two_further_months() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))
    once = extend(deadlines, months_or_days=1, reason="Complex", told_at=paris(2025, 1, 20))
    twice = extend(once, months_or_days=1, reason="Still complex", told_at=paris(2025, 2, 3))
    assert (once.respond_by.day, twice.respond_by.day) == (date(2025, 3, 10), date(2025, 4, 10))
    with pytest.raises(DeadlineError, match="No further extension fits"):
        extend(twice, months_or_days=1, reason="More", told_at=paris(2025, 2, 4))


def test_an_extension_without_reasons_is_refused() -> None:
    with pytest.raises(DeadlineError, match="reasons"):
        extend(gdpr(paris(2025, 1, 10)), months_or_days=1, reason="  ", told_at=paris(2025, 1, 11))


def test_an_extension_told_before_receipt_or_of_zero_length_is_refused() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))
    with pytest.raises(DeadlineError, match="before the request was received"):
        extend(deadlines, months_or_days=1, reason="Complex", told_at=paris(2025, 1, 9))
    with pytest.raises(DeadlineError, match="at least 1 month"):
        extend(deadlines, months_or_days=0, reason="Complex", told_at=paris(2025, 1, 11))


# --- CCPA: 10 business days, 45 + 45 days, 15 business days ----------------------------


def test_ccpa_acknowledgement_skips_a_weekend_and_california_holidays() -> None:
    # From Friday 31 January 2025: two weekends, Lincoln Day and Presidents' Day skipped.
    deadlines = ccpa(la(2025, 1, 31, 9))
    assert deadlines.acknowledge_by is not None
    assert deadlines.acknowledge_by.day == date(2025, 2, 18)
    assert deadlines.acknowledge_by.citation.startswith("11 CCR §7021(a)")
    # The federal calendar has no Lincoln Day: the count ends before the weekend.
    federal = ccpa(la(2025, 1, 31, 9), calendar=US_FEDERAL).acknowledge_by
    assert federal is not None
    assert federal.day == date(2025, 2, 14)


def test_ccpa_answer_is_due_45_calendar_days_after_receipt_and_90_at_most() -> None:
    deadlines = ccpa(la(2025, 1, 31, 9))
    assert deadlines.respond_by.day == date(2025, 3, 17)
    assert deadlines.max_extended_by is not None
    assert deadlines.max_extended_by.day == date(2025, 5, 1)
    assert deadlines.kind is DeadlineKind.ccpa_45_days


def test_ccpa_extension_of_45_days_told_within_the_first_45_moves_the_answer_to_day_90() -> None:
    deadlines = ccpa(la(2025, 1, 31, 9))
    extended = extend(
        deadlines, months_or_days=45, reason="Records in archives", told_at=la(2025, 3, 17, 20)
    )
    assert extended.respond_by.day == date(2025, 5, 1)
    assert "extended by 45 days" in extended.respond_by.citation


def test_ccpa_extension_told_after_day_45_is_refused() -> None:
    deadlines = ccpa(la(2025, 1, 31, 9))
    with pytest.raises(DeadlineError, match="Too late to extend"):
        extend(deadlines, months_or_days=30, reason="Late", told_at=la(2025, 3, 18, 8))


def test_ccpa_allows_only_one_extension() -> None:
    deadlines = ccpa(la(2025, 1, 31, 9))
    once = extend(deadlines, months_or_days=20, reason="Archives", told_at=la(2025, 2, 10))
    assert once.respond_by.day == date(2025, 4, 6)
    with pytest.raises(DeadlineError, match="already extended 1 time"):
        extend(once, months_or_days=20, reason="More archives", told_at=la(2025, 2, 11))


def test_ccpa_extension_past_90_days_is_refused_with_the_most_that_fits() -> None:
    deadlines = ccpa(la(2025, 1, 31, 9))
    with pytest.raises(DeadlineError, match=r"46 days would end on 2025-05-02.*at most 45 days"):
        extend(deadlines, months_or_days=46, reason="Archives", told_at=la(2025, 2, 10))


def test_opt_out_of_sale_is_due_in_15_business_days_without_acknowledgement() -> None:
    # From Monday 24 March 2025; Cesar Chavez Day (31 March) is skipped.
    deadlines = ccpa(la(2025, 3, 24, 9), RequestType.opt_out_sale_sharing)
    assert deadlines.respond_by.day == date(2025, 4, 15)
    assert deadlines.respond_by.citation.startswith("11 CCR §7026(f)")
    assert deadlines.acknowledge_by is None


def test_limit_of_sensitive_information_is_due_in_15_business_days() -> None:
    # From Monday 14 April 2025; Good Friday is worked, Genocide Remembrance Day is not.
    deadlines = ccpa(la(2025, 4, 14, 9), RequestType.limit_sensitive)
    assert deadlines.respond_by.day == date(2025, 5, 6)
    assert deadlines.respond_by.citation.startswith("11 CCR §7027(g)")


def test_an_opt_out_cannot_be_extended() -> None:
    deadlines = ccpa(la(2025, 3, 24, 9), RequestType.opt_out_sale_sharing)
    assert deadlines.max_extended_by is None
    with pytest.raises(DeadlineError, match="cannot be extended: answer by 2025-04-15"):
        extend(deadlines, months_or_days=5, reason="Busy", told_at=la(2025, 3, 25))


def test_a_complaint_gets_lawfuls_one_month_target_without_extension() -> None:
    deadlines = ccpa(la(2025, 1, 31, 9), RequestType.complaint)
    assert deadlines.respond_by.day == date(2025, 2, 28)
    assert "no period set by law" in deadlines.respond_by.citation
    assert deadlines.max_extended_by is None


# --- refusals -------------------------------------------------------------------------


def test_a_received_time_without_time_zone_is_refused_with_a_clear_message() -> None:
    with pytest.raises(DeadlineError, match="no time zone"):
        gdpr(datetime(2025, 1, 31, 10))


def test_a_request_type_that_the_law_does_not_give_is_refused() -> None:
    with pytest.raises(DeadlineError, match=r"not a right under `gdpr`.*ccpa"):
        compute_deadlines(
            request_type=RequestType.opt_out_sale_sharing,
            jurisdiction=Jurisdiction.gdpr,
            received_at=paris(2025, 1, 31),
            tz=PARIS,
        )


def test_without_a_calendar_the_law_picks_a_default_one() -> None:
    deadlines = compute_deadlines(
        request_type=RequestType.access,
        jurisdiction=Jurisdiction.fr,
        received_at=paris(2025, 3, 21, 10),
        tz=PARIS,
    )
    assert deadlines.calendar is FRANCE
    assert deadlines.respond_by.day == date(2025, 4, 22)


# --- several laws at once -------------------------------------------------------------


def both(received: datetime) -> Deadlines:
    return strictest_deadlines(
        request_type=RequestType.access,
        jurisdictions=[Jurisdiction.gdpr, Jurisdiction.ccpa],
        received_at=received,
        tz=PARIS,
        calendars={Jurisdiction.gdpr: FRANCE, Jurisdiction.ccpa: CALIFORNIA},
    )


def test_the_gdpr_month_decides_but_the_ccpa_acknowledgement_is_kept() -> None:
    deadlines = both(paris(2025, 3, 1, 12))
    assert deadlines.jurisdiction is Jurisdiction.gdpr
    assert deadlines.respond_by.day == date(2025, 4, 1)
    assert deadlines.acknowledge_by is not None
    assert deadlines.acknowledge_by.day == date(2025, 3, 14)
    assert deadlines.also_under == (Jurisdiction.ccpa,)
    assert deadlines.max_extensions == 1


def test_an_extension_under_two_laws_must_fit_the_ccpa_90_day_limit() -> None:
    deadlines = both(paris(2025, 3, 1, 12))
    assert deadlines.max_extended_by is not None
    assert deadlines.max_extended_by.day == date(2025, 5, 30)  # not 2 June (GDPR alone)
    with pytest.raises(DeadlineError, match="at most 1 month"):
        extend(deadlines, months_or_days=2, reason="Complex", told_at=paris(2025, 3, 10))
    # One month from 1 April is 1 May, Labour Day in France: the answer moves to 2 May.
    once = extend(deadlines, months_or_days=1, reason="Complex", told_at=paris(2025, 3, 10))
    assert once.respond_by.day == date(2025, 5, 2)


def test_no_applicable_law_with_the_right_is_refused() -> None:
    with pytest.raises(DeadlineError, match="outside jurisdiction"):
        strictest_deadlines(
            request_type=RequestType.restriction,
            jurisdictions=[Jurisdiction.ccpa],
            received_at=la(2025, 1, 31),
            tz=LOS_ANGELES,
        )


# --- status ---------------------------------------------------------------------------


def test_status_is_due_then_due_soon_then_overdue() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))  # due 10 February 2025
    assert status(deadlines, paris(2025, 1, 20)) is DeadlineStatus.due
    assert status(deadlines, paris(2025, 2, 5)) is DeadlineStatus.due_soon
    assert status(deadlines, paris(2025, 2, 10, 23, 59)) is DeadlineStatus.due_soon
    assert status(deadlines, paris(2025, 2, 11, 0, 0)) is DeadlineStatus.overdue


def test_status_shows_extended_until_the_new_date_comes_close() -> None:
    deadlines = gdpr(paris(2025, 1, 10, 10))
    extended = extend(deadlines, months_or_days=1, reason="Complex", told_at=paris(2025, 1, 20))
    assert status(extended, paris(2025, 2, 20)) is DeadlineStatus.extended
    assert status(extended, paris(2025, 3, 5)) is DeadlineStatus.due_soon
    assert status(extended, paris(2025, 3, 11)) is DeadlineStatus.overdue


def test_status_counts_a_missed_ccpa_acknowledgement() -> None:
    deadlines = ccpa(la(2025, 1, 31, 9))  # acknowledge by 18 February
    assert status(deadlines, la(2025, 2, 19), acknowledged=False) is DeadlineStatus.overdue
    assert status(deadlines, la(2025, 2, 19), acknowledged=True) is DeadlineStatus.due


def test_status_refuses_a_naive_now() -> None:
    with pytest.raises(DeadlineError, match="current time has no time zone"):
        status(gdpr(paris(2025, 1, 10)), datetime(2025, 1, 20))
