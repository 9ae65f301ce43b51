"""The 72-hour clock of GDPR Art. 33(1): a controller notifies the supervisory authority
without undue delay and, where feasible, within 72 hours of becoming aware of the breach; a
later notification gives the reasons for the delay. A processor has no hour count: it tells
the controller without undue delay (Art. 33(2)).

Times are UTC instants, so a change of summer time never moves a deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from lawful.formats import moment

NOTIFY_WITHIN = timedelta(hours=72)  # GDPR Art. 33(1)


@dataclass(frozen=True)
class Clock:
    became_aware_at: datetime
    now: datetime
    notified_at: datetime | None
    deadline: datetime | None  # None: a processor's "without undue delay" (Art. 33(2))

    @property
    def elapsed(self) -> timedelta:
        return (self.notified_at or self.now) - self.became_aware_at

    @property
    def remaining(self) -> timedelta | None:
        """Time left before the deadline (negative once past it); None without one."""
        return None if self.deadline is None else self.deadline - self.now

    @property
    def overdue(self) -> bool:
        """Past 72 hours and not yet notified."""
        return self.deadline is not None and self.notified_at is None and self.now > self.deadline

    @property
    def late(self) -> bool:
        """Notified, but after the 72 hours: the notification must say why (Art. 33(1))."""
        return (
            self.deadline is not None
            and self.notified_at is not None
            and self.notified_at > self.deadline
        )

    def describe(self, zone: tzinfo | str = "UTC") -> str:
        """The clock in a sentence; the deadline shown in `zone` (the installation's)."""
        if self.deadline is None:
            if self.notified_at is not None:
                return f"controller told {_span(self.elapsed)} after we became aware"
            return (
                f"{_span(self.elapsed)} since we became aware: tell the controller without "
                "undue delay (GDPR Art. 33(2))"
            )
        by = moment(self.deadline, zone)
        if self.notified_at is not None:
            late = self.notified_at - self.deadline
            if late > timedelta(0):
                return f"authority notified {_span(late)} after the deadline of {by}: give the reasons for the delay (GDPR Art. 33(1))"
            return f"authority notified within 72 hours ({_span(self.elapsed)} after awareness)"
        remaining = self.deadline - self.now
        if remaining < timedelta(0):
            return f"overdue by {_span(-remaining)} (deadline {by}): notify now, with the reasons for the delay (GDPR Art. 33(1))"
        return f"{_span(remaining)} left to notify the authority (by {by}, GDPR Art. 33(1))"


def breach_clock(
    *, became_aware_at: datetime, now: datetime, notified_at: datetime | None, controller: bool
) -> Clock:
    """The clock of one incident, as of `now`. Every time is taken to UTC first: Python adds
    hours to a zoned time on the wall clock, which a change of summer time would skew."""
    aware = became_aware_at.astimezone(UTC)
    deadline = aware + NOTIFY_WITHIN if controller else None
    notified = notified_at.astimezone(UTC) if notified_at else None
    return Clock(aware, now.astimezone(UTC), notified, deadline)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
