"""Which retention rule governs each record, and why: counts per rule and dataset (with the
records no rule governs, and those two rules claim), and, for one record, every rule that
covers its dataset with the condition that matched or not and the day it falls due.

Reads only. Records of a dataset where a rule has conditions are paged through reading only
the tested fields, and sorted by the same tests the sweep applies (connectors/match.py), so
the plan and the sweep never disagree on a mis-typed status (`' Rejected'`). Used by
`lawful retention plan` and by the console's Retention page (`governed_counts`,
`explain_record`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from lawful.connectors.base import ConnectorError, Row, as_when, key_value
from lawful.datamap.models import DataMap
from lawful.engine.datastores import Datastores
from lawful.engine.holds import add_period
from lawful.engine.identity import Identity
from lawful.engine.keys import key_text
from lawful.engine.person import find_records
from lawful.retention.errors import RetentionError
from lawful.retention.rules import Target, is_due, targets
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring

PAGE = 5000


@dataclass
class Governed:
    """How the records of one dataset are governed: counts only, no personal data."""

    dataset: str
    system: str
    total: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)  # rule → records it governs
    conditions: dict[str, str] = field(default_factory=dict)  # rule → its condition in words
    handed_from: dict[str, str] = field(default_factory=dict)  # rule → the rule handing over
    ungoverned: int = 0  # records no rule governs: kept, and shown to staff
    contested: int = 0  # records two rules or more govern (`lawful check`: L020)
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "system": self.system,
            "total": self.total,
            "by_rule": dict(self.by_rule),
            "conditions": dict(self.conditions),
            "handed_from": dict(self.handed_from),
            "ungoverned": self.ungoverned,
            "contested": self.contested,
            "problem": self.problem,
        }


def governed_counts(
    *, datamap: DataMap, datastores: Datastores, as_of: date, conditional_only: bool = False
) -> list[Governed]:
    """Per dataset with a reachable store: how many records each rule governs. A dataset
    whose rules have no conditions is counted once (every rule governs every record), or
    left out with `conditional_only`."""
    found: dict[str, list[Target]] = {}
    for target in targets(datamap, as_of=as_of):
        found.setdefault(target.dataset_id, []).append(target)
    result = []
    for did, on in found.items():
        dataset = datamap.datasets[did]
        system = datamap.systems.get(dataset.system)
        if system is None or system.connection is None:
            continue
        if conditional_only and all(t.match is None for t in on):
            continue
        governed = Governed(did, dataset.system)
        governed.conditions = {t.rule_id: t.condition for t in on if t.condition}
        governed.handed_from = {t.rule_id: t.handed_from for t in on if t.handed_from}
        try:
            _count(datastores, on, governed)
        except ConnectorError as error:
            governed.problem = f"{error.args[0]} (records could not be counted)"
        result.append(governed)
    return result


def _count(datastores: Datastores, on: list[Target], governed: Governed) -> None:
    first = on[0]
    table, key = first.table, first.key
    if all(t.match is None for t in on):
        governed.total = datastores.read(first.dataset.system, lambda c: c.count(table))
        governed.by_rule = {t.rule_id: governed.total for t in on}
        return
    fields = list(dict.fromkeys(f for t in on if t.match for f in t.match.fields))
    wanted = [f for f in fields if f not in key]
    counts: Counter[str] = Counter({t.rule_id: 0 for t in on})

    def page_after(after: Any) -> list[Row]:
        return datastores.read(
            first.dataset.system,
            lambda c: c.scan(table, key=key, columns=wanted, after=after, limit=PAGE),
        )

    page = page_after(None)
    while page:
        for row in page:
            rules = [t.rule_id for t in on if t.governs(row)]
            counts.update(rules)
            governed.ungoverned += not rules
            governed.contested += len(rules) > 1
        governed.total += len(page)
        page = page_after(key_value(page[-1], key))
    governed.by_rule = dict(counts)


@dataclass(frozen=True)
class Reason:
    """One rule's view of one record: whether it governs it, from when, until when."""

    rule: str
    governs: bool
    condition: str | None  # the condition tested, in words (None: every record)
    handed_from: str | None
    start_field: str | None
    start: str | None  # ISO day the period started (None: not started, or no date)
    due_on: str | None  # ISO day the period runs out
    due: bool  # due on the day asked
    action: str
    citation: str | None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def explain_record(
    *, datamap: DataMap, datastores: Datastores, dataset: str, key: str, as_of: date
) -> list[Reason]:
    """Every rule covering the record's dataset, and what each says of this record. Raises
    RetentionError when the dataset or the record does not exist."""
    if dataset not in datamap.datasets:
        raise RetentionError(
            f"there is no dataset `{dataset}` in the data map "
            f"(datasets: {', '.join(sorted(datamap.datasets))})"
        )
    on = [t for t in targets(datamap, as_of=as_of) if t.dataset_id == dataset]
    if not on:
        return []
    return _reasons(datastores, on, _record(datastores, on[0], key))


@dataclass(frozen=True)
class RecordReasons:
    """One of the person's records, by dataset and key, with every rule's view of it."""

    dataset: str
    key: str
    reasons: list[Reason]


def explain_person(
    session: Session,
    *,
    datamap: DataMap,
    datastores: Datastores,
    keyring: Keyring,
    identity: Identity,
    as_of: date,
    actor: str,
) -> list[RecordReasons]:
    """Every record the person has in the connected stores (found as a rights request finds
    them), with every rule's view of each. The look-up is a staff action: written to the
    audit trail (identity types and counts only, never values)."""
    collected = find_records(
        session, datamap=datamap, identity=identity, datastores=datastores, keyring=keyring
    )
    found = targets(datamap, as_of=as_of)
    result = []
    for did, records in collected.records.items():
        on = [t for t in found if t.dataset_id == did]
        for record in records.values():
            if record.owned:
                result.append(
                    RecordReasons(did, key_text(record.key), _reasons(datastores, on, record.row))
                )
    record_event(
        session,
        actor=actor,
        action="retention.person_explained",
        subject_type="retention",
        subject_id="why",
        details={
            "identity_types": identity.types(),
            "records": len(result),
            "as_of": as_of.isoformat(),
        },
    )
    return result


def _reasons(datastores: Datastores, on: list[Target], row: Row) -> list[Reason]:
    reasons = []
    for target in on:
        value = _start_value(datastores, target, row)
        start = as_when(value)
        started = start.date() if isinstance(start, datetime) else start
        due_on = add_period(started, target.rule.period) if isinstance(started, date) else None
        dated = {**row, target.start_field: value} if target.start_field else row
        governs = target.governs(row)
        reasons.append(
            Reason(
                target.rule_id,
                governs,
                target.condition,
                target.handed_from,
                target.start_field,
                started.isoformat() if isinstance(started, date) else None,
                due_on.isoformat() if due_on else None,
                governs and is_due(target, dated),
                target.action.value,
                target.rule.citation,
            )
        )
    return reasons


def _record(datastores: Datastores, target: Target, key: str) -> Row:
    """The record named by its key (one column: the value as typed; several: comma-separated)."""
    names = target.key
    parts = [p.strip() for p in key.split(",")]
    if len(parts) != len(names):
        raise RetentionError(
            f"dataset `{target.dataset_id}` is keyed by {', '.join(names)}: give "
            f"{len(names)} value(s) separated by commas"
        )
    fields = list(target.dataset.fields)
    found = datastores.read(
        target.dataset.system,
        lambda c: c.fetch(target.table, where={names[0]: [_typed(parts[0])]}, columns=fields),
    )
    for row in found:
        if [str(row.get(n)) for n in names] == parts:
            return row
    raise RetentionError(f"no record of `{target.dataset_id}` has the key {key!r}")


def _typed(text: str) -> Any:
    """A key given on the command line: a number when it reads as one (stores compare typed)."""
    return int(text) if text.lstrip("-").isdigit() else text


def _start_value(datastores: Datastores, target: Target, row: Row) -> Any:
    """The record's start: its own field, or the date of the row it hangs off."""
    if target.start_field is None:
        return None
    if target.parent is None:
        return row.get(target.start_field)
    parent = target.parent
    values = [row.get(c) for c in parent.columns]
    if any(v is None for v in values):
        return None
    found = datastores.read(
        target.dataset.system,
        lambda c: c.fetch(
            parent.table, where={parent.key[0]: [values[0]]}, columns=[*parent.key, parent.field]
        ),
    )
    for candidate in found:
        if [candidate.get(k) for k in parent.key] == values:
            return candidate.get(parent.field)
    return None
