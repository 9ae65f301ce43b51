"""What erasure must keep: records a legal obligation still requires, and records under a
legal hold.

GDPR Art. 17(3)(b): erasure does not apply where processing is necessary to comply with a
legal obligation. A rule with `legal_obligation: true` covers its datasets (or, when it names
categories, only the fields of those categories) until its period, counted from its start
event, has run out.

GDPR Art. 17(3)(e): nor where the data is needed for legal claims. A legal hold (placed in the
retention domain, `lawful hold add`) on the person, on a dataset or on a case keeps every
record it covers, whole, until it is released. The retention domain reads the holds
(`HoldsReader`); the engine only honours what it is given.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from lawful.connectors.base import Row
from lawful.datamap import facts
from lawful.datamap.models import DURATION_RE, DataMap, Dataset, RetentionRule
from lawful.engine.collect import Collected
from lawful.engine.identity import Identity
from lawful.store.crypto import Keyring


@dataclass(frozen=True)
class Hold:
    rule: str
    until: date | None  # None: the start date is missing, so the end cannot be computed
    fields: frozenset[str] | None  # None: the whole record
    why: str


def legal_obligation_rules(datamap: DataMap, dataset_id: str) -> dict[str, RetentionRule]:
    dataset = datamap.datasets[dataset_id]
    return {
        rid: rule
        for rid, rule in datamap.retention.items()
        if rule.legal_obligation and rule.applies_to.covers(dataset_id, dataset)
    }


def holds_on(
    *, rules: dict[str, RetentionRule], dataset: Dataset, row: Row, today: date
) -> list[Hold]:
    """The holds still running on one record today."""
    found = []
    for rid, rule in rules.items():
        start = _start_date(row.get(dataset.events.get(rule.start, rule.start)))
        until = add_period(start, rule.period) if start else None
        if until is not None and until <= today:
            continue
        found.append(Hold(rid, until, _held_fields(rule, dataset), _why(rule)))
    return found


def _held_fields(rule: RetentionRule, dataset: Dataset) -> frozenset[str] | None:
    categories = rule.applies_to.categories
    if not categories:
        return None
    return frozenset(
        name
        for name, field in dataset.fields.items()
        if any(field.category == c or field.category.startswith(c + ".") for c in categories)
    )


def _why(rule: RetentionRule) -> str:
    ground = f" ({rule.citation})" if rule.citation else ""
    what = rule.description or "kept to comply with a legal obligation"
    return f"{what}{ground}: {facts.retention_period(rule)} — GDPR Art. 17(3)(b)"


def _start_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def add_period(start: date, period: str) -> date:
    """`start` + an ISO 8601 period of years, months, weeks and days (month ends clamp)."""
    match = DURATION_RE.match(period)
    if match is None:
        raise ValueError(f"{period!r} is not an ISO 8601 period")
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    total = start.month - 1 + months + 12 * years
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() + 7 * weeks + days)


@dataclass(frozen=True)
class LegalHolds:
    """The collected records legal holds keep, by dataset and key, with why."""

    records: dict[str, dict[Any, str]] = field(default_factory=dict)

    def why(self, dataset: str, key: Any) -> str | None:
        return self.records.get(dataset, {}).get(key)


class HoldsReader(Protocol):
    """Reads which of the person's collected records a legal hold keeps. Legal holds are the
    retention domain's (`lawful.retention.holds.legal_holds_on`): every caller of an erasure
    passes it in, so the engine never reads a domain's tables."""

    def __call__(
        self, session: Session, *, keyring: Keyring, identity: Identity, collected: Collected
    ) -> LegalHolds: ...
