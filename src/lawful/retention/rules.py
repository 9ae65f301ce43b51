"""Retention rules evaluated against datasets: which rule covers which dataset, from which
date field it counts, and the cutoff that makes a record due on a given day.

Pure functions of the data map and a date: nothing here reads a store.

A record is due under a rule when its start date plus the rule's period is on or before the
day of the sweep (GDPR Art. 5(1)(e), storage limitation). Adding a period is monotonic (a
later start never ends earlier), so "due" is the same as "start earlier than a cutoff day",
which a store can answer with an index (`Connector.scan(before=...)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from lawful.connectors.base import Before, ParentDate, Row, as_when, is_before
from lawful.connectors.match import FieldTest, Match
from lawful.datamap import facts
from lawful.datamap.conditions import Where, describe
from lawful.datamap.graph import ParentLink, parent_date, reference_edges
from lawful.datamap.models import DataMap, Dataset, RetentionAction, RetentionRule
from lawful.engine.holds import add_period


@dataclass(frozen=True)
class Target:
    """One retention rule applied to one dataset."""

    rule_id: str
    rule: RetentionRule
    dataset_id: str
    dataset: Dataset
    start_field: str | None  # None: the rule's start is no event nor field of the dataset
    cutoff: date  # records whose start is earlier are due
    fields: frozenset[str] | None  # a rule scoped by categories: only these fields
    # The start is a date of the row this one hangs off (`events: {e: orders.placed_at}`):
    # `start_field` is then that `dataset.field`, which rows hold only once looked up.
    parent: ParentDate | None = None
    # The records it governs (`where`, less what it hands over); None: every record.
    match: Match | None = None
    condition: str | None = None  # `where` (or the hand-over's `when`) in words
    handed_from: str | None = None  # the rule that handed these records over to this one

    def governs(self, row: Row) -> bool:
        """Whether the record is this rule's to keep or end (its conditions hold)."""
        return self.match is None or self.match.passes(row)

    @property
    def before(self) -> Before | None:
        """What a store selects the due rows by: the start field, or the parent's date."""
        if self.start_field is None:
            return None
        return (self.parent or self.start_field, self.cutoff)

    @property
    def table(self) -> str:
        return self.dataset.table or self.dataset_id

    @property
    def key(self) -> tuple[str, ...]:
        return self.dataset.key_fields()

    @property
    def action(self) -> RetentionAction:
        return self.rule.action

    def why(self) -> str:
        """The ground for the end action, in words: period, start, citation."""
        ground = f" ({self.rule.citation})" if self.rule.citation else ""
        return f"{facts.retention_period(self.rule)}{ground}"


def cutoff_day(as_of: date, period: str) -> date:
    """The first start day whose period has not run out on `as_of`: records that started
    earlier are due. Month ends clamp as in `add_period` (31 Jan + P1M = 28/29 Feb)."""
    guess = as_of - timedelta(days=_approximate_days(period))
    while add_period(guess, period) > as_of:
        guess -= timedelta(days=1)
    while add_period(guess, period) <= as_of:
        guess += timedelta(days=1)
    return guess


def _approximate_days(period: str) -> int:
    end = add_period(date(2001, 1, 1), period)
    return (end - date(2001, 1, 1)).days


def start_field(rule: RetentionRule, dataset: Dataset) -> str | None:
    """The date field a rule counts from in a dataset: its event of that name, or a field
    named like the start itself."""
    name = dataset.events.get(rule.start, rule.start)
    return name if name in dataset.fields or name in dataset.key_fields() else None


def scoped_fields(rule: RetentionRule, dataset: Dataset) -> frozenset[str] | None:
    """The fields a rule scoped by categories covers in a dataset (a category covers its
    sub-categories); None when the rule covers whole records."""
    categories = rule.applies_to.categories
    if not categories or rule.applies_to.datasets:
        return None
    return frozenset(
        name
        for name, field in dataset.fields.items()
        if any(field.category == c or field.category.startswith(c + ".") for c in categories)
    )


def targets(datamap: DataMap, *, as_of: date) -> list[Target]:
    """Every (rule, dataset) pair the map declares, children before parents, so a sweep
    deletes rows holding a reference before the rows they reference. A rule's `where` narrows
    its records; the records it hands over (`hand_over`) are the receiving rule's, on the
    same dataset, counted from that rule's start there."""
    found = []
    for did in dataset_order(datamap):
        dataset = datamap.datasets[did]
        for rule_id, rule in datamap.retention.items():
            if not rule.applies_to.covers(did, dataset):
                continue
            handed = [h for h in rule.hand_over if set(h.when) <= set(dataset.fields)]
            match = Match(field_tests(rule.where), tuple(field_tests(h.when) for h in handed))
            condition = describe(rule.where) if rule.where else None
            found.append(_target(datamap, as_of, rule_id, did, match, condition))
            for over in handed:
                receiver = datamap.retention.get(over.to)
                if receiver is None or receiver.applies_to.covers(did, dataset):
                    continue  # an unknown rule (R021), or one governing the dataset already
                taken = Match(field_tests(over.when))
                found.append(
                    _target(datamap, as_of, over.to, did, taken, describe(over.when), rule_id)
                )
    return found


def _target(
    datamap: DataMap,
    as_of: date,
    rule_id: str,
    did: str,
    match: Match,
    condition: str | None,
    handed_from: str | None = None,
) -> Target:
    rule, dataset = datamap.retention[rule_id], datamap.datasets[did]
    field = start_field(rule, dataset)
    parent = None if field is not None else parent_start(datamap, did, rule)
    if parent is not None:
        field = parent.field
    return Target(
        rule_id,
        rule,
        did,
        dataset,
        field,
        cutoff_day(as_of, rule.period),
        scoped_fields(rule, dataset),
        parent.date if parent else None,
        match or None,
        condition,
        handed_from,
    )


def field_tests(where: Where) -> tuple[FieldTest, ...]:
    """A rule's conditions as the tests a store applies (connectors/match.py)."""
    return tuple(
        FieldTest(name, c.values(), negate=c.negated, nulls=c.allows_empty())
        for name, c in where.items()
    )


@dataclass(frozen=True)
class ParentStart:
    field: str  # `dataset.field`, as the map writes it
    date: ParentDate


def parent_start(datamap: DataMap, did: str, rule: RetentionRule) -> ParentStart | None:
    """The start of a rule counted from the date of the row a record hangs off, when the
    dataset's event names one (`events: {placed: orders.placed_at}`) and it resolves
    through the dataset's reference to that dataset (checked by `lawful check`: R010)."""
    named = datamap.datasets[did].events.get(rule.start)
    link = parent_date(datamap, did, named) if named else None
    if not isinstance(link, ParentLink):
        return None
    parent = datamap.datasets[link.parent]
    table = parent.table or link.parent
    return ParentStart(named or "", ParentDate(table, link.field, link.columns, link.key))


def dataset_order(datamap: DataMap) -> list[str]:
    """Datasets with the ones holding references first (a child before its parent)."""
    children: dict[str, set[str]] = {did: set() for did in datamap.datasets}
    for edge in reference_edges(datamap):
        parent = edge.target if edge.owner == edge.source else edge.source
        if parent != edge.owner:
            children[parent].add(edge.owner)
    order: list[str] = []
    remaining = list(datamap.datasets)
    while remaining:
        free = [d for d in remaining if not (children[d] & set(remaining))] or remaining[:1]
        for did in free:
            order.append(did)
            remaining.remove(did)
    return order


def is_due(target: Target, row: Row) -> bool:
    """Whether the record's period under this rule has run out (its start is set and early
    enough)."""
    if target.start_field is None:
        return False
    return is_before(row.get(target.start_field), target.cutoff)


def still_running(target: Target, row: Row) -> bool:
    """Whether this rule still requires the record: its start is not set yet (the period has
    not begun), or its period has not run out."""
    if target.start_field is None:
        return False
    value = row.get(target.start_field)
    return as_when(value) is None or not is_before(value, target.cutoff)


def blocking_rules(target: Target, others: list[Target], row: Row) -> list[Target]:
    """Other rules on the same dataset that still require (part of) this record: the longest
    retention wins, so a shorter rule never removes what another purpose still needs."""
    return [
        other
        for other in others
        if other.rule_id != target.rule_id
        and _overlap(target.fields, other.fields)
        and other.governs(row)
        and still_running(other, row)
    ]


def _overlap(one: frozenset[str] | None, other: frozenset[str] | None) -> bool:
    if one is None or other is None:
        return True
    return bool(one & other)


def _day(when: date) -> date:
    return when.date() if isinstance(when, datetime) else when


def age_on(birth: Any, day: date) -> int | None:
    """Whole years of age on `day` for a stored birth date; None when it is not a date."""
    when = as_when(birth)
    if when is None:
        return None
    born = _day(when)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
