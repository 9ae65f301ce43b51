"""Dates for the example company, as day numbers turned into ISO 8601 text by table look-up.

The data is fixed in time (`AS_OF`) so that the same seed gives the same rows on any day;
the history reaches back far enough that some rows are already past their retention period
(invoices are kept 10 years, so the books start in 2014).
"""

from __future__ import annotations

from datetime import date, timedelta

AS_OF = date(2026, 11, 1)
FIRST_BIRTH = date(1950, 1, 1)
BOOKS_OPEN = date(2014, 1, 1)

TODAY = AS_OF.toordinal()
OPENED = BOOKS_OPEN.toordinal()
_BASE = FIRST_BIRTH.toordinal()

# One string per day (up to expiry dates far ahead) and per second of the day: formatting
# becomes an index.
_DAYS: tuple[str, ...] = tuple(
    (FIRST_BIRTH + timedelta(days=offset)).isoformat() for offset in range(TODAY - _BASE + 15 * 366)
)
_TIMES: tuple[str, ...] = tuple(
    f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}" for second in range(86_400)
)

YEAR = 365
MONTH = 30


def day(ordinal: int) -> str:
    """`2026-11-01` for the proleptic Gregorian ordinal of that day."""
    return _DAYS[ordinal - _BASE]


def stamp(ordinal: int, second: int) -> str:
    """`2026-11-01 14:05:09`: the day and the second of that day (0–86399)."""
    return f"{_DAYS[ordinal - _BASE]} {_TIMES[second]}"


def clock_time(second: int) -> str:
    """`14:05` for a second of the day."""
    return _TIMES[second][:5]


def month_of(ordinal: int) -> str:
    """`2026-11`: the month a day falls in."""
    return _DAYS[ordinal - _BASE][:7]
