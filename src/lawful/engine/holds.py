"""What erasure must keep: records a legal obligation still requires, and records under a
legal hold.

GDPR Art. 17(3)(b): erasure does not apply where processing is necessary to comply with a
legal obligation. A rule with `legal_obligation: true` covers its datasets (or, when it names
categories, only the fields of those categories) until its period, counted from its start
event, has run out.

GDPR Art. 17(3)(e): nor where the data is needed for legal claims. A legal hold (placed in the
retention domain, `lawful hold add`) on the person, on a dataset or on a case keeps every
record it covers, whole, until it is released.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.connectors.base import Row
from lawful.datamap import facts
from lawful.datamap.models import DURATION_RE, DataMap, Dataset, RetentionRule
from lawful.engine import repository
from lawful.engine.collect import Collected
from lawful.engine.identity import Identity
from lawful.engine.markers import record_index
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


def legal_holds_on(
    session: Session, *, keyring: Keyring, identity: Identity, collected: Collected
) -> LegalHolds:
    """Which of the person's records a legal hold keeps: all of them when one of their
    identity values is held, those of held datasets, and those found for a held person."""
    holds = repository.active_legal_holds(session)
    if not holds:
        return LegalHolds()
    values = {keyring.index(Identity((pair,)).canonical()) for pair in identity.values}
    on_person = next((h for h in holds for p in h.people if values & set(p.value_indexes)), None)
    by_dataset = {d: h for h in holds for d in h.datasets}
    indexed = {
        record_index(keyring, dataset=d, key=k): (d, k)
        for d, records in collected.records.items()
        for k in records
    }
    by_record = repository.holds_with_records(session, record_indexes=indexed)
    kept: dict[str, dict[Any, str]] = {}
    for index, (dataset, key) in indexed.items():
        hold = on_person or by_dataset.get(dataset) or by_record.get(index)
        if hold is not None:
            kept.setdefault(dataset, {})[key] = _hold_why(hold.reference or hold.id, hold.reason)
    return LegalHolds(kept)


def _hold_why(name: str, reason: str) -> str:
    return (
        f"legal hold {name} ({reason}): kept for legal claims until released — GDPR Art. 17(3)(e)"
    )
