"""Retention over the datastores: which records are due under each rule (and which people
are younger than their minimum age), which of them must be left alone and why, and the exact
change every other record gets. Reads only; the sweep records and applies the changes.

Due records are paged through with keyset pagination, filtered by the store itself
(`Connector.scan(before=...)`), so a sweep reads only what it may act on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, TypedDict

from sqlalchemy.orm import Session

from lawful.connectors.base import Before, ConnectorError, ParentDate, Row, key_value
from lawful.connectors.match import Match
from lawful.datamap.models import DataMap, Dataset
from lawful.engine.datastores import Datastores
from lawful.engine.markers import ISOLATED, record_index
from lawful.engine.strategies import erased_value, field_strategy
from lawful.retention import repository
from lawful.retention.protect import Protection
from lawful.retention.rules import Target, age_on, blocking_rules, dataset_order, targets
from lawful.store.crypto import Keyring

SCAN_PAGE = 5000  # rows per keyset page
BIRTH_DATE = "demographic.birth_date"


@dataclass
class Outcome:
    """What one rule does to one dataset in one sweep: counts only, no personal data."""

    rule: str
    dataset: str
    system: str
    action: str  # delete, anonymize, isolate, flag
    why: str
    start_field: str | None = None
    period: str | None = None
    cutoff: str | None = None  # ISO date: records that started earlier are due
    citation: str | None = None
    due: int = 0
    held: int = 0  # legal hold (GDPR Art. 17(3)(e))
    restricted: int = 0  # restriction of processing (GDPR Art. 18)
    requested: int = 0  # the person has an open rights request
    kept_by_rules: dict[str, int] = field(default_factory=dict)  # a longer rule still runs
    already: int = 0  # anonymised or isolated by an earlier sweep, or by an earlier rule
    acted: int = 0  # deleted, anonymised, isolated or flagged now
    # Counted from a parent row's date, but the parent row is gone: no date, kept.
    no_parent: int = 0
    problem: str | None = None  # the rule could not be applied here (the run fails)
    manual: str | None = None  # Lawful cannot reach the dataset: staff apply the rule by hand
    condition: str | None = None  # the records it governs (`where`, or a hand-over's `when`)
    handed_from: str | None = None  # the rule that handed these records over

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Work:
    """The changes found for one outcome: keys and new values, never shown or logged."""

    updates: list[Row] = field(default_factory=list)
    deletes: list[Row] = field(default_factory=list)
    isolate: list[str] = field(default_factory=list)  # record indexes to mark isolated
    marks: list[str] = field(default_factory=list)  # record indexes being anonymised
    flagged: list[Any] = field(default_factory=list)  # keys flagged for review


@dataclass
class Sweeper:
    """What every evaluation shares during one sweep."""

    session: Session
    datamap: DataMap
    datastores: Datastores
    keyring: Keyring
    protection: Protection
    as_of: date
    acted: dict[str, set[Any]] = field(default_factory=dict)  # dataset → keys acted on
    _restricted: dict[str, bool] = field(default_factory=dict)
    _marked: dict[str, bool] = field(default_factory=dict)

    def has_restrictions(self, dataset: str) -> bool:
        if dataset not in self._restricted:
            found = repository.has_any_restriction(self.session, dataset=dataset)
            self._restricted[dataset] = found
        return self._restricted[dataset]

    def has_marks(self, dataset: str) -> bool:
        if dataset not in self._marked:
            self._marked[dataset] = repository.has_any_mark(self.session, dataset=dataset)
        return self._marked[dataset]


@dataclass(frozen=True)
class _Selection:
    """Records to act on in one dataset, however they were chosen."""

    rule: str
    dataset_id: str
    dataset: Dataset
    action: str
    fields: frozenset[str] | None
    target: Target | None = None  # a retention rule (others on the dataset may block it)
    others: tuple[Target, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return self.dataset.key_fields()


def evaluate_all(ctx: Sweeper) -> list[tuple[Outcome, Work]]:
    """Every rule on every dataset (children first), then people below their minimum age."""
    found = targets(ctx.datamap, as_of=ctx.as_of)
    results = [
        evaluate_rule(ctx, target, [t for t in found if t.dataset_id == target.dataset_id])
        for target in found
    ]
    for did in dataset_order(ctx.datamap):
        if _birth_field(ctx.datamap, did) is not None:
            results.append(evaluate_underage(ctx, did))
    return results


def evaluate_rule(ctx: Sweeper, target: Target, others: list[Target]) -> tuple[Outcome, Work]:
    """The records due under one rule in one dataset, sorted into kept and acted on."""
    outcome = Outcome(
        target.rule_id,
        target.dataset_id,
        target.dataset.system,
        target.action.value,
        target.why(),
        target.start_field,
        target.rule.period,
        target.cutoff.isoformat(),
        target.rule.citation,
        condition=target.condition,
        handed_from=target.handed_from,
    )
    work = Work()
    if target.start_field is None:
        outcome.problem = (
            f"the rule counts from `{target.rule.start}`, which dataset `{target.dataset_id}` "
            "has neither among its `events` nor as a field"
        )
        return outcome, work
    selection = _Selection(
        target.rule_id,
        target.dataset_id,
        target.dataset,
        target.action.value,
        target.fields,
        target,
        tuple(others),
    )
    # Dates of parent rows are not columns here: the store compares them (`ParentDate`),
    # and other rules' are looked up per page (`_parent_dates`).
    columns = [t.start_field for t in (target, *others) if t.start_field and t.parent is None]
    columns += [
        c for t in others if t.parent and t.rule_id != target.rule_id for c in t.parent.columns
    ]
    # Another rule blocks only the records it governs: its conditions' fields are read.
    columns += [
        c for t in others if t.match and t.rule_id != target.rule_id for c in t.match.fields
    ]
    _evaluate(ctx, selection, outcome, work, columns=columns, before=target.before)
    if target.parent is not None and outcome.problem is None and outcome.manual is None:
        _count_without_parent(ctx, target, outcome)
    return outcome, work


def _count_without_parent(ctx: Sweeper, target: Target, outcome: Outcome) -> None:
    """Rows whose parent row no longer exists (or whose reference is empty) have no date to
    count from: they are kept, and counted so staff see them (one COUNT, never read out)."""
    assert target.parent is not None
    missing: Before = (replace(target.parent, missing=True), target.cutoff)
    only = filtered(target.match)
    try:
        outcome.no_parent = ctx.datastores.read(
            target.dataset.system, lambda c: c.count(target.table, before=missing, **only)
        )
    except ConnectorError as error:
        outcome.problem = f"{error.args[0]} (nothing was changed in this dataset)"


def evaluate_underage(ctx: Sweeper, did: str) -> tuple[Outcome, Work]:
    """People younger than their subject's minimum age on the sweep's day (from their date
    of birth), handled as the subject's `below_minimum_age` says."""
    dataset = ctx.datamap.datasets[did]
    subject = ctx.datamap.subjects[dataset.subject]
    birth = _birth_field(ctx.datamap, did)
    assert birth is not None, "called only for datasets with a date of birth"
    assert subject.minimum_age is not None, "called only for subjects with a minimum age"
    action = subject.below_minimum_age
    outcome = Outcome(
        f"minimum_age:{dataset.subject}",
        did,
        dataset.system,
        action,
        f"younger than {subject.minimum_age}, the minimum age of {subject.name.lower()} "
        f"(the map's `subjects`), on {ctx.as_of.isoformat()}",
        start_field=birth,
    )
    work = Work()
    selection = _Selection(outcome.rule, did, dataset, action, None)
    minimum = subject.minimum_age

    def young(row: Row) -> bool:
        age = age_on(row.get(birth), ctx.as_of)
        return age is not None and age < minimum

    _evaluate(ctx, selection, outcome, work, columns=[birth], before=None, keep=young)
    return outcome, work


def _birth_field(datamap: DataMap, did: str) -> str | None:
    dataset = datamap.datasets[did]
    subject = datamap.subjects.get(dataset.subject)
    if subject is None or subject.minimum_age is None:
        return None
    return next((n for n, f in dataset.fields.items() if f.category == BIRTH_DATE), None)


def _evaluate(
    ctx: Sweeper,
    selection: _Selection,
    outcome: Outcome,
    work: Work,
    *,
    columns: list[str],
    before: Before | None,
    keep: Callable[[Row], bool] | None = None,
) -> None:
    system = ctx.datamap.systems.get(selection.dataset.system)
    if system is None or system.connection is None:
        outcome.manual = "its system has no `connection`: apply this rule by hand"
        return
    held_by = ctx.protection.held_datasets.get(selection.dataset_id)
    try:
        if held_by is not None and before is not None:
            outcome.due = outcome.held = _count(ctx, selection, before)
            return
        for page in _pages(ctx, selection, [*columns, *_value_fields(selection)], before):
            _parent_dates(ctx, selection, page)
            rows = [row for row in page if keep is None or keep(row)]
            outcome.due += len(rows)
            if held_by is not None:
                outcome.held += len(rows)
                continue
            _sort_out(ctx, selection, rows, outcome, work)
    except ConnectorError as error:
        outcome.problem = f"{error.args[0]} (nothing was changed in this dataset)"
        work.updates.clear()
        work.deletes.clear()
        work.isolate.clear()
        work.marks.clear()


def _count(ctx: Sweeper, selection: _Selection, before: Before) -> int:
    table = selection.dataset.table or selection.dataset_id
    only = filtered(selection.target.match if selection.target else None)
    return ctx.datastores.read(
        selection.dataset.system, lambda c: c.count(table, before=before, **only)
    )


class Only(TypedDict, total=False):
    match: Match


def filtered(match: Match | None) -> Only:
    """The `match=` argument for a rule with conditions; none otherwise, so connectors
    written before conditions existed keep working for rules without them."""
    return Only(match=match) if match else Only()


def _pages(
    ctx: Sweeper, selection: _Selection, columns: list[str], before: Before | None
) -> Iterator[list[Row]]:
    table, key = selection.dataset.table or selection.dataset_id, selection.key
    wanted = list(dict.fromkeys(c for c in columns if c not in key))
    only = filtered(selection.target.match if selection.target else None)

    def page_after(after: Any) -> list[Row]:
        return ctx.datastores.read(
            selection.dataset.system,
            lambda c: c.scan(
                table, key=key, columns=wanted, after=after, limit=SCAN_PAGE, before=before, **only
            ),
        )

    page = page_after(None)
    while page:
        yield page
        page = page_after(key_value(page[-1], key))


def _parent_dates(ctx: Sweeper, selection: _Selection, page: list[Row]) -> None:
    """Give the page's rows the parent dates the dataset's other rules count from (under
    their `dataset.field` name), so a longer rule still running keeps the record: one query
    per batch of keys, never one per row."""
    for other in selection.others:
        if other.parent is None or other.rule_id == selection.rule or other.start_field is None:
            continue
        parent = other.parent
        firsts = list({row[parent.columns[0]] for row in page} - {None})
        dates = _dates_of(ctx, selection.dataset.system, parent, firsts) if firsts else {}
        for row in page:
            row[other.start_field] = dates.get(key_value(row, parent.columns))


def _dates_of(ctx: Sweeper, system: str, parent: ParentDate, firsts: list[Any]) -> dict[Any, Any]:
    """Parent key → date, for the parent rows whose first key column is among `firsts` (a
    composite key is then matched whole)."""
    found = ctx.datastores.read(
        system,
        lambda c: c.fetch(
            parent.table, where={parent.key[0]: firsts}, columns=[*parent.key, parent.field]
        ),
    )
    return {key_value(row, parent.key): row.get(parent.field) for row in found}


def _value_fields(selection: _Selection) -> list[str]:
    """The fields whose values the action needs: anonymisation computes new values, and a
    `delete` scoped to categories empties some fields of the record."""
    if selection.action == "anonymize":
        return sorted(selection.fields or selection.dataset.fields)
    if selection.action == "delete" and selection.fields is not None:
        return sorted(selection.fields)
    return []


def _sort_out(
    ctx: Sweeper, selection: _Selection, rows: list[Row], outcome: Outcome, work: Work
) -> None:
    """Count each due record as kept (and why) or acted on; record what acting means."""
    did, key = selection.dataset_id, selection.key
    indexes = _indexes(ctx, selection, rows)
    reasons = (
        repository.restriction_reasons(ctx.session, dataset=did, record_indexes=indexes.values())
        if indexes and ctx.has_restrictions(did)
        else {}
    )
    marked = (
        repository.marked_indexes(ctx.session, dataset=did, record_indexes=indexes.values())
        if indexes and selection.action == "anonymize" and ctx.has_marks(did)
        else set()
    )
    acted = ctx.acted.setdefault(did, set())
    blocked: Counter[str] = Counter()
    for row in rows:
        index = indexes.get(key_value(row, key), "")
        reason = reasons.get(index)
        if index in ctx.protection.held_records:
            outcome.held += 1
        elif index in ctx.protection.requested_records:
            outcome.requested += 1
        elif reason is not None and reason != ISOLATED:
            outcome.restricted += 1
        elif blockers := _blockers(selection, row):
            blocked[blockers[0].rule_id] += 1
        elif (
            key_value(row, key) in acted
            or index in marked
            or (selection.action == "isolate" and reason == ISOLATED)
        ):
            outcome.already += 1
        else:
            acted.add(key_value(row, key))
            outcome.acted += 1
            _act(ctx, selection, row, index, work)
    for rule, count in blocked.items():
        outcome.kept_by_rules[rule] = outcome.kept_by_rules.get(rule, 0) + count


def _indexes(ctx: Sweeper, selection: _Selection, rows: list[Row]) -> dict[Any, str]:
    """Blind indexes of the records, computed only when something needs them."""
    did = selection.dataset_id
    needed = (
        ctx.protection.any_record()
        or selection.action in {"isolate", "anonymize"}
        or ctx.has_restrictions(did)
    )
    if not needed:
        return {}
    keys = [key_value(row, selection.key) for row in rows]
    return {key: record_index(ctx.keyring, dataset=did, key=key) for key in keys}


def _blockers(selection: _Selection, row: Row) -> list[Target]:
    if selection.target is None:
        return []
    return blocking_rules(selection.target, list(selection.others), row)


def _act(ctx: Sweeper, selection: _Selection, row: Row, index: str, work: Work) -> None:
    key, value = selection.key, key_value(row, selection.key)
    named = {name: row[name] for name in key}
    if selection.action == "flag":
        work.flagged.append(value)
    elif selection.action == "isolate":
        work.isolate.append(index)
    elif selection.action == "delete" and selection.fields is None:
        work.deletes.append(named)
    else:
        changed = _new_values(ctx, selection, row)
        if selection.action == "anonymize":
            work.marks.append(index)
        if changed:
            work.updates.append({**named, **changed})


def _new_values(ctx: Sweeper, selection: _Selection, row: Row) -> Row:
    """Anonymise per field strategy, or (a `delete` scoped to categories) empty the fields."""
    dataset = selection.dataset
    changed: Row = {}
    for name in sorted(selection.fields or dataset.fields):
        if name in dataset.key_fields() or name not in row:
            continue
        old = row[name]
        field_ = dataset.fields[name]
        if selection.action == "delete":
            new = None
        else:
            spec = field_strategy(field_, structural=field_.references is not None)
            new = erased_value(spec, old, category=field_.category, keyring=ctx.keyring)
        if new != old:
            changed[name] = new
    return changed
