"""The clock of a rights request (DESIGN.md §3.3, §7): computed at receipt, pure and typed.

Days are counted in the time zone of the organisation (`tz`), on the calendar of the
establishment that answers (`calendar`). Every deadline carries the citation it comes from.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from lawful.datamap.models import Jurisdiction
from lawful.law.calendars import (
    CALIFORNIA,
    FRANCE,
    GREECE,
    WEEKENDS_ONLY,
    Calendar,
    add_business_days,
    next_business_day,
    non_business_reason,
)
from lawful.law.requests import REQUEST_TYPES, DeadlineKind, RequestType, right_under


class DeadlineError(ValueError):
    """A deadline cannot be computed or changed as asked; the message says why and what to do."""

    http_status = 422


class Unit(StrEnum):
    months = "months"
    days = "days"  # calendar days
    business_days = "business_days"


class DeadlineStatus(StrEnum):
    due = "due"
    due_soon = "due_soon"
    overdue = "overdue"
    extended = "extended"


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit
    citation: str


@dataclass(frozen=True)
class DeadlineRule:
    """The numbers of one deadline kind, each with its source."""

    respond: Period
    acknowledge: Period | None = None
    extension: Period | None = None  # the most the answer may be put off by
    extension_notice: str | None = None  # when and how the person must be told
    max_extensions: int | None = None  # None: as many as fit within `extension`


# A period in months ends on the same date of the last month, or that month's last day;
# a period ending on a Saturday, Sunday or public holiday ends on the next working day.
MONTHS_RULE = "Reg. (EEC, Euratom) 1182/71 Art. 3(2)(c), 3(4)"

RULES: Mapping[DeadlineKind, DeadlineRule] = {
    DeadlineKind.gdpr_one_month: DeadlineRule(
        respond=Period(1, Unit.months, "GDPR Art. 12(3): one month from receipt"),
        extension=Period(2, Unit.months, "GDPR Art. 12(3): two further months at most"),
        extension_notice="GDPR Art. 12(3): the person is told of any extension, with the "
        "reasons, within one month of receipt",
    ),
    DeadlineKind.ccpa_45_days: DeadlineRule(
        acknowledge=Period(10, Unit.business_days, "11 CCR §7021(a): confirm receipt"),
        respond=Period(45, Unit.days, "11 CCR §7021(b); Cal. Civ. Code §1798.130(a)(2)(A)"),
        extension=Period(45, Unit.days, "11 CCR §7021(b): 90 calendar days from receipt at most"),
        extension_notice="Cal. Civ. Code §1798.130(a)(2)(A): notice and reasons within the "
        "first 45 days",
        max_extensions=1,  # §1798.130(a)(2)(A): "may be extended once"
    ),
    DeadlineKind.ccpa_opt_out: DeadlineRule(
        respond=Period(15, Unit.business_days, "11 CCR §7026(f)(1): stop selling and sharing"),
    ),
    DeadlineKind.ccpa_limit: DeadlineRule(
        respond=Period(15, Unit.business_days, "11 CCR §7027(g)(1): stop the limited uses"),
    ),
    DeadlineKind.no_statutory_period: DeadlineRule(
        respond=Period(1, Unit.months, "no period set by law; Lawful's target of one month"),
    ),
}


@dataclass(frozen=True)
class Deadline:
    day: date  # the last day of the period, in the organisation's time zone
    ends_at: datetime  # the last instant of that day
    citation: str
    note: str = ""  # why the day moved, when it did

    def __str__(self) -> str:
        return f"{self.day.isoformat()} ({self.citation})"


@dataclass(frozen=True)
class Extension:
    amount: int
    unit: Unit
    reason: str
    told_at: datetime
    previous: Deadline


@dataclass(frozen=True)
class Deadlines:
    """Every date a request must meet. `respond_by` is the current one, extensions included."""

    request_type: RequestType
    jurisdiction: Jurisdiction  # the law whose clock decides (see `strictest_deadlines`)
    kind: DeadlineKind
    received_at: datetime
    received_on: date
    tz: tzinfo
    calendar: Calendar
    respond_by: Deadline
    acknowledge_by: Deadline | None = None
    extension_notice_by: Deadline | None = None
    max_extended_by: Deadline | None = None
    max_extensions: int | None = None
    extensions: tuple[Extension, ...] = ()
    also_under: tuple[Jurisdiction, ...] = ()  # other laws whose limits were folded in

    @property
    def extended(self) -> bool:
        return bool(self.extensions)


def default_calendar(jurisdiction: Jurisdiction) -> Calendar:
    """A guess from the law alone; pass the establishment's own calendar when known."""
    defaults = {Jurisdiction.fr: FRANCE, Jurisdiction.gr: GREECE, Jurisdiction.ccpa: CALIFORNIA}
    return defaults.get(jurisdiction, WEEKENDS_ONLY)


def compute_deadlines(
    *,
    request_type: RequestType,
    jurisdiction: Jurisdiction,
    received_at: datetime,
    tz: tzinfo,
    calendar: Calendar | None = None,
) -> Deadlines:
    """The deadlines of a request received at `received_at` under one jurisdiction's law."""
    right = right_under(request_type, jurisdiction)
    if right is None:
        where = ", ".join(sorted(REQUEST_TYPES[request_type].jurisdictions))
        raise DeadlineError(
            f"A {request_type.value} request is not a right under `{jurisdiction.value}`; "
            f"it exists under: {where}. Pick one of those or another request type."
        )
    _require_aware(received_at, "the time the request was received")
    rule = RULES[right.deadline]
    received_on = received_at.astimezone(tz).date()
    clock = _Clock(received_on, tz, calendar or default_calendar(jurisdiction))
    extension = rule.extension
    return Deadlines(
        request_type=request_type,
        jurisdiction=jurisdiction,
        kind=right.deadline,
        received_at=received_at,
        received_on=received_on,
        tz=tz,
        calendar=clock.calendar,
        respond_by=clock.deadline(rule.respond),
        acknowledge_by=clock.deadline(rule.acknowledge) if rule.acknowledge else None,
        extension_notice_by=(
            clock.deadline(replace(rule.respond, citation=rule.extension_notice or ""))
            if extension
            else None
        ),
        max_extended_by=clock.deadline(_longer(rule.respond, extension)) if extension else None,
        max_extensions=rule.max_extensions if extension else None,
    )


def strictest_deadlines(
    *,
    request_type: RequestType,
    jurisdictions: Sequence[Jurisdiction],
    received_at: datetime,
    tz: tzinfo,
    calendars: Mapping[Jurisdiction, Calendar] | None = None,
) -> Deadlines:
    """When several laws cover one request, the person gets the earliest of each date.

    The law with the earliest answer date decides (its clock, its extension unit); any
    acknowledgement another law requires is kept; an extension must satisfy every law
    (the earliest notice date, the earliest outer limit, and none if one law allows none).
    """
    computed = [
        compute_deadlines(
            request_type=request_type,
            jurisdiction=j,
            received_at=received_at,
            tz=tz,
            calendar=(calendars or {}).get(j),
        )
        for j in jurisdictions
        if right_under(request_type, j) is not None
    ]
    if not computed:
        names = ", ".join(j.value for j in jurisdictions) or "none"
        raise DeadlineError(
            f"No law that applies here ({names}) gives a {request_type.value} right; "
            "deny the request as outside jurisdiction or choose another request type."
        )
    return _fold(computed)


def _fold(computed: Sequence[Deadlines]) -> Deadlines:
    base = min(computed, key=lambda d: d.respond_by.day)  # the first listed wins ties
    extendable = all(d.max_extended_by is not None for d in computed)
    limits = [d.max_extensions for d in computed if d.max_extensions is not None]
    return replace(
        base,
        acknowledge_by=_earliest(d.acknowledge_by for d in computed),
        extension_notice_by=_earliest(d.extension_notice_by for d in computed)
        if extendable
        else None,
        max_extended_by=_earliest(d.max_extended_by for d in computed) if extendable else None,
        max_extensions=(min(limits) if limits else None) if extendable else None,
        also_under=tuple(d.jurisdiction for d in computed if d is not base),
    )


def _earliest(deadlines: Iterable[Deadline | None]) -> Deadline | None:
    present = [d for d in deadlines if d is not None]
    return min(present, key=lambda d: d.day) if present else None


def extend(
    deadlines: Deadlines, *, months_or_days: int, reason: str, told_at: datetime
) -> Deadlines:
    """Put the answer off by `months_or_days` (months under the GDPR, calendar days under
    the CCPA), the person having been told, with `reason`, at `told_at`.

    Raises DeadlineError when the law allows no extension, the notice came too late, the
    reason is missing, or the new date would pass the outer limit."""
    extension, limit = _check_extension(
        deadlines, months_or_days=months_or_days, reason=reason, told_at=told_at
    )
    clock = _Clock(deadlines.received_on, deadlines.tz, deadlines.calendar)
    used = sum(e.amount for e in deadlines.extensions)
    citation = f"{extension.citation}; extended by {amount(used + months_or_days, extension.unit)}"
    new_end = clock.extended(deadlines.kind, used + months_or_days, citation)
    if new_end.day > limit.day:
        raise DeadlineError(_too_long(deadlines, months_or_days, new_end.day, clock, limit))
    record = Extension(
        months_or_days, extension.unit, reason.strip(), told_at, deadlines.respond_by
    )
    return replace(
        deadlines,
        respond_by=new_end,
        extensions=(*deadlines.extensions, record),
    )


def _check_extension(
    deadlines: Deadlines, *, months_or_days: int, reason: str, told_at: datetime
) -> tuple[Period, Deadline]:
    """The extension rule and the outer limit, once the request passes every check."""
    rule = RULES[deadlines.kind]
    notice_by, limit = deadlines.extension_notice_by, deadlines.max_extended_by
    if rule.extension is None or notice_by is None or limit is None:
        raise DeadlineError(
            f"A {deadlines.request_type.value} request under `{deadlines.jurisdiction.value}` "
            f"cannot be extended: answer by {deadlines.respond_by}."
        )
    if months_or_days < 1:
        raise DeadlineError(f"An extension must be at least {amount(1, rule.extension.unit)}.")
    if not reason.strip():
        raise DeadlineError(
            f"Give the person the reasons for the extension ({notice_by.citation})."
        )
    _require_aware(told_at, "the time the person was told")
    if told_at < deadlines.received_at:
        raise DeadlineError("The extension cannot be told before the request was received.")
    done = len(deadlines.extensions)
    if deadlines.max_extensions is not None and done >= deadlines.max_extensions:
        raise DeadlineError(
            f"This request was already extended {done} time(s), the most the law allows "
            f"({rule.extension_notice}). Answer by {deadlines.respond_by.day}."
        )
    if told_at > notice_by.ends_at:
        told_on = told_at.astimezone(deadlines.tz).date()
        raise DeadlineError(
            f"Too late to extend: the person had to be told by {notice_by.day} "
            f"({notice_by.citation}), and was told on {told_on}. "
            f"The answer is due by {deadlines.respond_by.day}."
        )
    return rule.extension, limit


def _too_long(
    deadlines: Deadlines, extra: int, new_day: date, clock: _Clock, limit: Deadline
) -> str:
    unit = RULES[deadlines.kind].respond.unit
    used = sum(e.amount for e in deadlines.extensions)
    fits = [n for n in range(1, extra) if clock.extended(deadlines.kind, used + n).day <= limit.day]
    advice = (
        f"Extend by at most {amount(max(fits), unit)}." if fits else "No further extension fits."
    )
    return (
        f"An extension of {amount(extra, unit)} would end on {new_day}, after the latest date "
        f"allowed, {limit.day} ({limit.citation}). {advice}"
    )


def status(
    deadlines: Deadlines,
    now: datetime,
    *,
    acknowledged: bool = True,
    soon: timedelta = timedelta(days=7),
) -> DeadlineStatus:
    """Where a request stands against its clock. `overdue` and `due_soon` win over
    `extended`; an unacknowledged CCPA request counts its acknowledgement date too."""
    _require_aware(now, "the current time")
    open_dates = [deadlines.respond_by]
    if not acknowledged and deadlines.acknowledge_by is not None:
        open_dates.append(deadlines.acknowledge_by)
    if any(now > d.ends_at for d in open_dates):
        return DeadlineStatus.overdue
    if any(now > d.ends_at - soon for d in open_dates):
        return DeadlineStatus.due_soon
    return DeadlineStatus.extended if deadlines.extended else DeadlineStatus.due


@dataclass(frozen=True)
class _Clock:
    """Turns a period counted from the day of receipt into a dated deadline."""

    received_on: date
    tz: tzinfo
    calendar: Calendar

    def deadline(self, period: Period) -> Deadline:
        day, note = self._last_day(period)
        citation = period.citation
        if period.unit is Unit.months and citation:
            citation = f"{citation}; {MONTHS_RULE}"
        return Deadline(day, datetime.combine(day, time.max, tzinfo=self.tz), citation, note)

    def extended(self, kind: DeadlineKind, by: int, citation: str = "") -> Deadline:
        """The answer date of `kind` once put off by `by` months or days in all."""
        respond = RULES[kind].respond
        return self.deadline(Period(respond.amount + by, respond.unit, citation))

    def _last_day(self, period: Period) -> tuple[date, str]:
        if period.unit is Unit.days:
            return self.received_on + timedelta(days=period.amount), ""
        if period.unit is Unit.business_days:
            return add_business_days(self.received_on, period.amount, self.calendar), ""
        nominal = add_months(self.received_on, period.amount)
        day = next_business_day(nominal, self.calendar)
        if day == nominal:
            return day, ""
        why = non_business_reason(nominal, self.calendar)
        return day, f"{nominal} is not a working day ({why}); moved to {day}"


def amount(n: int, unit: Unit) -> str:
    """ "1 month", "45 days", "1 business day"."""
    words = unit.value.replace("_", " ")
    return f"{n} {words.removesuffix('s') if n == 1 else words}"


def add_months(day: date, months: int) -> date:
    """Same date `months` later, or the last day of that month when it is shorter
    (Reg. 1182/71 Art. 3(2)(c): 31 January + 1 month = 28 or 29 February)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = gregorian.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _longer(period: Period, extension: Period) -> Period:
    return Period(period.amount + extension.amount, period.unit, extension.citation)


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DeadlineError(
            f"{what.capitalize()} has no time zone; pass an aware datetime "
            "(e.g. datetime.now(timezone.utc)) so the day of receipt is unambiguous."
        )
