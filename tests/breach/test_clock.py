"""The 72-hour clock of GDPR Art. 33(1), on fixed times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lawful.breach.clock import breach_clock

AWARE = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _clock(now: datetime, notified: datetime | None = None, *, controller: bool = True):  # type: ignore[no-untyped-def]
    return breach_clock(became_aware_at=AWARE, now=now, notified_at=notified, controller=controller)


def test_the_deadline_is_72_hours_after_awareness() -> None:
    clock = _clock(AWARE + timedelta(hours=10))
    assert clock.deadline == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert clock.remaining == timedelta(hours=62)
    assert (
        clock.describe()
        == "62 h 00 min left to notify the authority (by 23 Nov 2026, 09:30 UTC, GDPR Art. 33(1))"
    )


@pytest.mark.parametrize(
    ("after", "overdue"),
    [
        (timedelta(hours=72), False),
        (timedelta(hours=72, seconds=1), True),
        (timedelta(hours=71, minutes=59), False),
    ],
)
def test_the_notification_is_overdue_only_once_72_hours_have_passed(
    after: timedelta, overdue: bool
) -> None:
    assert _clock(AWARE + after).overdue is overdue


def test_an_overdue_clock_asks_for_the_reasons_for_the_delay() -> None:
    clock = _clock(AWARE + timedelta(hours=75, minutes=5))
    assert clock.describe() == (
        "overdue by 3 h 05 min (deadline 23 Nov 2026, 09:30 UTC): notify now, with the reasons for "
        "the delay (GDPR Art. 33(1))"
    )


def test_a_notification_within_72_hours_is_on_time_and_one_after_is_late() -> None:
    on_time = _clock(AWARE + timedelta(days=5), AWARE + timedelta(hours=71, minutes=59))
    assert not on_time.late
    assert not on_time.overdue
    assert on_time.describe() == "authority notified within 72 hours (71 h 59 min after awareness)"
    late = _clock(AWARE + timedelta(days=5), AWARE + timedelta(hours=80))
    assert late.late
    assert "8 h 00 min after the deadline" in late.describe()


def test_a_change_of_summer_time_does_not_move_the_deadline() -> None:
    # Paris leaves summer time on 25 October 2026: three local days are 73 wall-clock hours.
    paris = ZoneInfo("Europe/Paris")
    aware = datetime(2026, 10, 24, 12, 0, tzinfo=paris)
    clock = breach_clock(became_aware_at=aware, now=aware, notified_at=None, controller=True)
    assert clock.deadline is not None
    assert clock.deadline - aware == timedelta(hours=72)
    assert clock.deadline.astimezone(paris) == datetime(2026, 10, 27, 11, 0, tzinfo=paris)


def test_a_processor_has_no_hour_count_but_must_tell_the_controller_without_undue_delay() -> None:
    clock = _clock(AWARE + timedelta(hours=5), controller=False)
    assert clock.deadline is None
    assert clock.remaining is None
    assert not clock.overdue
    assert clock.describe() == (
        "5 h 00 min since we became aware: tell the controller without undue delay (GDPR Art. 33(2))"
    )


def test_the_deadline_is_told_in_the_installations_zone_the_same_instant() -> None:
    clock = _clock(AWARE + timedelta(hours=10))
    assert "(by 23 Nov 2026, 10:30 CET, GDPR Art. 33(1))" in clock.describe("Europe/Paris")
    assert "(by 23 Nov 2026, 01:30 PST, GDPR Art. 33(1))" in clock.describe("America/Los_Angeles")
