"""Rights-request metrics: the CCPA §7102 figures for a calendar year, and the admin
dashboard's volume, on-time rate and days to answer — computed from plain request records,
exported as CSV and JSON.

11 CCR §7102(a)(1): a business handling the personal information of 10,000,000 or more
consumers compiles, for the previous calendar year, the number of requests to know, to
delete, to correct, to opt out of sale or sharing, and to limit the use of sensitive
personal information that it received, complied with in whole or in part, and denied, and
the median or mean number of days within which it substantively responded; §7102(a)(2)
has it disclose them by 1 July (both median and mean are given here).

Counting rules (stated in the export): a request counts in the year it was received; its
days run from the calendar day of receipt to the calendar day of the answer, in UTC.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from lawful.law.requests import RequestType

REGULATION = "11 CCR §7102(a)(1)"


class CcpaType(StrEnum):
    know = "know"
    delete = "delete"
    correct = "correct"
    opt_out = "opt_out"  # of sale or sharing
    limit = "limit"  # the use of sensitive personal information


# Portability is part of the right to know (Cal. Civ. Code §1798.130(a)(3)(B)(iii)).
CCPA_TYPES: dict[str, CcpaType] = {
    RequestType.access.value: CcpaType.know,
    RequestType.portability.value: CcpaType.know,
    RequestType.erasure.value: CcpaType.delete,
    RequestType.rectification.value: CcpaType.correct,
    RequestType.opt_out_sale_sharing.value: CcpaType.opt_out,
    RequestType.limit_sensitive.value: CcpaType.limit,
}
TITLES = {
    CcpaType.know: "Requests to know",
    CcpaType.delete: "Requests to delete",
    CcpaType.correct: "Requests to correct",
    CcpaType.opt_out: "Requests to opt out of sale/sharing",
    CcpaType.limit: "Requests to limit",
}


class Outcome(StrEnum):
    complied = "complied"  # in whole
    complied_in_part = "complied_in_part"
    denied = "denied"
    withdrawn = "withdrawn"  # cancelled by the person before an answer
    pending = "pending"  # not answered yet


@dataclass(frozen=True)
class RequestRecord:
    """One rights request as the metrics see it: no identity, only what is counted."""

    request_type: str  # a `lawful.law.requests.RequestType` value
    received_at: datetime
    closed_at: datetime | None
    outcome: Outcome
    jurisdiction: str | None = None  # the law whose clock applied (`ccpa`, `gdpr`, …)
    respond_by: date | None = None
    denial_reason: str | None = None
    jurisdictions: tuple[str, ...] = ()  # every law covering the person

    @property
    def californian(self) -> bool:
        """A California consumer's request (Cal. Civ. Code §1798.140(i)), whichever law's
        clock ran it (a company established in the EU answers everyone under the GDPR)."""
        return self.jurisdiction == "ccpa" or "ccpa" in self.jurisdictions


@dataclass(frozen=True)
class TypeMetrics:
    type: CcpaType
    title: str
    received: int
    complied_in_whole: int
    complied_in_part: int
    denied: int
    withdrawn: int
    pending: int
    median_days: float | None
    mean_days: float | None
    answered: int  # requests the days are computed over
    denied_by_reason: dict[str, int] = field(default_factory=dict)  # §7102(a)(3), optional

    @property
    def complied(self) -> int:
        """Complied with in whole or in part: the figure §7102(a)(1) asks for."""
        return self.complied_in_whole + self.complied_in_part


@dataclass(frozen=True)
class CcpaMetrics:
    year: int
    types: list[TypeMetrics]
    rules: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "regulation": REGULATION,
            "year": self.year,
            "rules": self.rules,
            "types": [asdict(t) | {"complied_in_whole_or_in_part": t.complied} for t in self.types],
        }


RULES = [
    "Requests are counted in the calendar year they were received.",
    "Days run from the calendar day of receipt to the calendar day of the substantive answer (UTC).",
    "Complied with in part: some data was kept or left with a client, as the answer said.",
    "Denied includes requests whose proof of identity never came (not verifiable).",
    "Requests to know include requests for a portable copy (Cal. Civ. Code §1798.130(a)(3)(B)(iii)).",
    "Only California consumers' requests count, whichever law's deadline their answer followed.",
]


def ccpa_metrics(records: Iterable[RequestRecord], *, year: int) -> CcpaMetrics:
    """The §7102(a)(1) figures for the CCPA requests received in `year`."""
    wanted = [
        r
        for r in records
        if r.received_at.astimezone(UTC).year == year
        and r.request_type in CCPA_TYPES
        and r.californian
    ]
    by_type: dict[CcpaType, list[RequestRecord]] = {t: [] for t in CcpaType}
    for record in wanted:
        by_type[CCPA_TYPES[record.request_type]].append(record)
    return CcpaMetrics(year, [_type_metrics(t, rs) for t, rs in by_type.items()], RULES)


def _type_metrics(kind: CcpaType, records: Sequence[RequestRecord]) -> TypeMetrics:
    outcomes = Counter(r.outcome for r in records)
    days = [days_to_answer(r) for r in records if _answered(r)]
    reasons = Counter(r.denial_reason or "other" for r in records if r.outcome is Outcome.denied)
    return TypeMetrics(
        kind,
        TITLES[kind],
        len(records),
        outcomes[Outcome.complied],
        outcomes[Outcome.complied_in_part],
        outcomes[Outcome.denied],
        outcomes[Outcome.withdrawn],
        outcomes[Outcome.pending],
        round(statistics.median(days), 1) if days else None,
        round(statistics.fmean(days), 1) if days else None,
        len(days),
        dict(sorted(reasons.items())),
    )


def _answered(record: RequestRecord) -> bool:
    answers = {Outcome.complied, Outcome.complied_in_part, Outcome.denied}
    return record.closed_at is not None and record.outcome in answers


def days_to_answer(record: RequestRecord) -> int:
    """Calendar days from receipt to answer (UTC days)."""
    assert record.closed_at is not None, "only answered requests have days to answer"
    return (
        record.closed_at.astimezone(UTC).date() - record.received_at.astimezone(UTC).date()
    ).days


COLUMNS = (
    "request type",
    "received",
    "complied with in whole or in part",
    "complied with in whole",
    "complied with in part",
    "denied",
    "withdrawn",
    "pending",
    "median days to respond",
    "mean days to respond",
)


def metrics_csv(metrics: CcpaMetrics) -> str:
    """One line per request type, as a business would publish them (§7102(a)(2))."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for t in metrics.types:
        writer.writerow([t.title, t.received, t.complied, t.complied_in_whole, t.complied_in_part,
                         t.denied, t.withdrawn, t.pending, _number(t.median_days), _number(t.mean_days)])  # fmt: skip
    return buffer.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# --- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthStats:
    month: str  # YYYY-MM
    received: int
    answered: int
    on_time: int  # answered by the deadline the law set at receipt

    @property
    def on_time_rate(self) -> float | None:
        return None if not self.answered else self.on_time / self.answered


@dataclass(frozen=True)
class Dashboard:
    months: list[MonthStats]
    median_days: dict[str, float]  # request type → median days to answer (all laws)
    open_requests: int
    overdue: int


def dashboard(records: Sequence[RequestRecord], *, today: date, months: int = 12) -> Dashboard:
    """Requests received per month, the share answered on time, median days by type."""
    keys = _last_months(today, months)
    received = Counter(r.received_at.astimezone(UTC).strftime("%Y-%m") for r in records)
    answered: Counter[str] = Counter()
    on_time: Counter[str] = Counter()
    days: dict[str, list[int]] = {}
    for record in records:
        if not _answered(record) or record.closed_at is None:
            continue
        month = record.closed_at.astimezone(UTC).strftime("%Y-%m")
        answered[month] += 1
        if (
            record.respond_by is None
            or record.closed_at.astimezone(UTC).date() <= record.respond_by
        ):
            on_time[month] += 1
        days.setdefault(record.request_type, []).append(days_to_answer(record))
    open_now = [r for r in records if r.outcome is Outcome.pending]
    overdue = sum(1 for r in open_now if r.respond_by is not None and r.respond_by < today)
    return Dashboard(
        [MonthStats(m, received[m], answered[m], on_time[m]) for m in keys],
        {kind: float(statistics.median(found)) for kind, found in sorted(days.items())},
        len(open_now),
        overdue,
    )


def _last_months(today: date, count: int) -> list[str]:
    found = []
    year, month = today.year, today.month
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(found))
