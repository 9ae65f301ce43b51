"""Find every record about the person: run the plan's lookups to a fixed point.

Rows found by an identity value, or from the person's rows through a parent → child
reference, are *owned*. Rows their rows point at (an address, a card) are *referenced*: they
may be shared with other people, so traversal never goes from them back down to other rows
— a shared address never pulls in its other residents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lawful.connectors.base import Connector, ConnectorError, Row, key_value
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.keys import fetch_by_key, key_text
from lawful.engine.plan import Plan, PlanStep


@dataclass
class Record:
    """One row about the person, by its primary-key value (a tuple for a composite key)."""

    key: Any
    row: Row
    owned: bool
    restricted: bool = False  # GDPR Art. 18: only stored


@dataclass
class Collected:
    plan: Plan
    records: dict[str, dict[Any, Record]] = field(default_factory=dict)
    # Rows reached but whose owning link names someone else: left out, counted per dataset.
    others: dict[str, int] = field(default_factory=dict)

    def of(self, dataset: str) -> list[Record]:
        return list(self.records.get(dataset, {}).values())

    def total(self) -> int:
        return sum(len(rows) for rows in self.records.values())


def collect_records(*, plan: Plan, datastores: Datastores) -> Collected:
    """Read every record the plan reaches. Raises EngineError naming the system and dataset
    of a store that fails (after retries), or of a dataset whose key does not tell its rows
    apart; reading never changes anything."""
    traversal = _Traversal(plan)
    for step in plan.steps:
        for lookup in step.lookups:
            if lookup.identity_type is not None:
                values = plan.identity.of(lookup.identity_type)
                traversal.want(step.dataset, lookup.fields, values, owned=True)
    while (work := traversal.next_fetch()) is not None:
        step, owned, wanted = work
        traversal.found(step, owned, _fetch(datastores, step, wanted))
    _leave_out_others(traversal.collected)
    return traversal.collected


def _leave_out_others(collected: Collected) -> None:
    """Ownership, not reachability: drop every row whose owning link does not lead to the
    person (a payment reached through their rental but made by someone else), then the rows
    only those pointed at, until nothing changes. What is dropped is counted in `others`."""
    plan = collected.plan
    changed = True
    while changed:
        changed = False
        for step in plan.steps:
            records = collected.records[step.dataset]
            held: dict[tuple[str, tuple[str, ...]], set[str]] = {}  # what the person's rows hold
            doomed = [k for k, r in records.items() if not _belongs(collected, step, r.row, held)]
            for key in doomed:
                del records[key]
            if doomed:
                collected.others[step.dataset] = collected.others.get(step.dataset, 0) + len(doomed)
                changed = True


Held = dict[tuple[str, tuple[str, ...]], set[str]]


def _belongs(collected: Collected, step: PlanStep, row: Row, held: Held) -> bool:
    owner = step.owner
    if owner is not None and owner.source is None:
        # Theirs by its identity, or as a child of one of their rows (an order placed with
        # an older email address, found through their account).
        children = [(lk.source, lk.source_fields, lk.fields) for lk in step.lookups if lk.owned]
        return _holds_identity(collected.plan, step, row) or any(
            _leads_to(collected, held, (source, theirs), mine, row)
            for source, theirs, mine in children
            if source is not None
        )
    if owner is not None and owner.source is not None:
        return _leads_to(collected, held, (owner.source, owner.source_fields), owner.fields, row)
    links = [(lk.source, lk.source_fields, lk.fields) for lk in step.lookups if lk.source]
    return not links or any(
        _leads_to(collected, held, (source, theirs), mine, row) for source, theirs, mine in links
    )


def _leads_to(
    collected: Collected,
    held: Held,
    source: tuple[str, tuple[str, ...]],
    mine: tuple[str, ...],
    row: Row,
) -> bool:
    """Whether the row's `mine` columns hold the `theirs` columns of one of the person's
    rows of `source` (a dataset the plan does not read cannot say no)."""
    dataset, theirs = source
    if dataset not in collected.records:
        return True
    if source not in held:
        held[source] = {key_text(key_value(r.row, theirs)) for r in collected.of(dataset)}
    return key_text(key_value(row, mine)) in held[source]


def _holds_identity(plan: Plan, step: PlanStep, row: Row) -> bool:
    """Whether the row holds one of the person's identity values (as the look-up compared it)."""
    for lookup in step.lookups:
        if lookup.identity_type is None or row.get(lookup.fields[0]) is None:
            continue
        text = str(row[lookup.fields[0]]).strip()
        if (text.lower() if lookup.casefold else text) in plan.identity.of(lookup.identity_type):
            return True
    return False


Wanted = dict[tuple[str, ...], set[Any]]
"""Columns (one, or several matched together) → the values (tuples for several) looked up."""


class _Traversal:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.collected = Collected(plan, {s.dataset: {} for s in plan.steps})
        self.order = {s.dataset: i for i, s in enumerate(plan.steps)}
        self.pending: dict[tuple[str, bool], Wanted] = {}
        self.asked: dict[tuple[str, tuple[str, ...], bool], set[Any]] = {}

    def want(
        self, dataset: str, columns: tuple[str, ...], values: Iterable[Any], *, owned: bool
    ) -> None:
        done = self.asked.get((dataset, columns, True), set())
        if not owned:
            done = done | self.asked.get((dataset, columns, False), set())
        fresh = {v for v in values if _usable(v) and v not in done}
        if fresh:
            self.pending.setdefault((dataset, owned), {}).setdefault(columns, set()).update(fresh)

    def next_fetch(self) -> tuple[PlanStep, bool, Wanted] | None:
        if not self.pending:
            return None
        dataset, owned = min(self.pending, key=lambda k: (self.order[k[0]], not k[1]))
        wanted = self.pending.pop((dataset, owned))
        for columns, values in wanted.items():
            self.asked.setdefault((dataset, columns, owned), set()).update(values)
        return self.plan.step(dataset), owned, wanted

    def found(self, step: PlanStep, owned: bool, rows: list[Row]) -> None:
        records = self.collected.records[step.dataset]
        fresh: list[Record] = []
        for row in rows:
            key = key_value(row, step.primary_key)
            known = records.get(key)
            if known is None:
                records[key] = known = Record(key, row, owned)
                fresh.append(known)
            elif owned and not known.owned:
                known.owned = True  # reached from the person after all: follow it down too
                fresh.append(known)
        self._follow(step.dataset, fresh)

    def _follow(self, dataset: str, records: list[Record]) -> None:
        for step in self.plan.steps:
            for lookup in step.lookups:
                if lookup.source != dataset or not lookup.source_fields:
                    continue
                # Down a parent → child reference only from the person's own rows.
                rows = [r for r in records if r.owned or not lookup.owned]
                values = [key_value(r.row, lookup.source_fields) for r in rows]
                self.want(step.dataset, lookup.fields, values, owned=lookup.owned)


def _fetch(datastores: Datastores, step: PlanStep, wanted: Wanted) -> list[Row]:
    single = {cols[0]: sorted(v, key=str) for cols, v in wanted.items() if len(cols) == 1}
    several = {cols: sorted(v, key=str) for cols, v in wanted.items() if len(cols) > 1}
    folded = [lk.fields[0] for lk in step.lookups if lk.casefold and lk.fields[0] in single]

    def read(connector: Connector) -> list[Row]:
        rows = (
            connector.fetch(step.table, where=single, columns=step.columns, casefold=folded)
            if folded
            else connector.fetch(step.table, where=single, columns=step.columns)
            if single
            else []
        )
        for columns, values in several.items():
            rows += fetch_by_key(
                connector, step.table, columns=columns, values=values, wanted=step.columns
            )
        return rows

    try:
        rows = datastores.read(step.system, read)
    except ConnectorError as error:
        raise EngineError(
            [
                EngineProblem(
                    f"reading failed: {error.args[0]}",
                    "check the store and run the request again; nothing was changed",
                    system=step.system,
                    dataset=step.dataset,
                )
            ]
        ) from error
    _check_keys(step, rows)
    return rows


def _check_keys(step: PlanStep, rows: list[Row]) -> None:
    """Refuse a key that does not tell rows apart: acting on it would change other rows."""
    seen: dict[Any, Row] = {}
    for row in rows:
        key = key_value(row, step.primary_key)
        parts = key if len(step.primary_key) > 1 else (key,)
        clash = seen.get(key) if _usable(key) else None
        if None in parts or (clash is not None and clash != row):
            columns = ", ".join(step.primary_key)
            problem = "rows without a value in it" if None in parts else "two rows share a value"
            raise EngineError(
                [
                    EngineProblem(
                        f"the key ({columns}) does not tell rows apart ({problem})",
                        "set the dataset's `primary_key:` to the table's real key (a list for "
                        "a key over several columns); nothing was changed",
                        system=step.system,
                        dataset=step.dataset,
                    )
                ]
            )
        seen[key] = row


def _usable(value: Any) -> bool:
    """A value that can be looked up: not NULL (nor partly NULL), and hashable."""
    if value is None or (isinstance(value, tuple) and None in value):
        return False
    try:
        hash(value)
    except TypeError:
        return False
    return True
