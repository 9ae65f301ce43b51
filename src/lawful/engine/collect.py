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

from lawful.connectors.base import ConnectorError, Row
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.plan import Plan, PlanStep


@dataclass
class Record:
    """One row about the person, by its primary-key value."""

    key: Any
    row: Row
    owned: bool
    restricted: bool = False  # GDPR Art. 18: only stored


@dataclass
class Collected:
    plan: Plan
    records: dict[str, dict[Any, Record]] = field(default_factory=dict)

    def of(self, dataset: str) -> list[Record]:
        return list(self.records.get(dataset, {}).values())

    def total(self) -> int:
        return sum(len(rows) for rows in self.records.values())


def collect_records(*, plan: Plan, datastores: Datastores) -> Collected:
    """Read every record the plan reaches. Raises EngineError naming the system and dataset
    of a store that fails (after retries); reading never changes anything."""
    traversal = _Traversal(plan)
    for step in plan.steps:
        for lookup in step.lookups:
            if lookup.identity_type is not None:
                traversal.want(
                    step.dataset, lookup.field, plan.identity.of(lookup.identity_type), owned=True
                )
    while (work := traversal.next_fetch()) is not None:
        step, owned, where = work
        traversal.found(step, owned, _fetch(datastores, step, where))
    return traversal.collected


class _Traversal:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.collected = Collected(plan, {s.dataset: {} for s in plan.steps})
        self.order = {s.dataset: i for i, s in enumerate(plan.steps)}
        self.pending: dict[tuple[str, bool], dict[str, set[Any]]] = {}
        self.asked: dict[tuple[str, str, bool], set[Any]] = {}

    def want(self, dataset: str, column: str, values: Iterable[Any], *, owned: bool) -> None:
        done = self.asked.get((dataset, column, True), set())
        if not owned:
            done = done | self.asked.get((dataset, column, False), set())
        fresh = {v for v in values if v is not None and _hashable(v) and v not in done}
        if fresh:
            self.pending.setdefault((dataset, owned), {}).setdefault(column, set()).update(fresh)

    def next_fetch(self) -> tuple[PlanStep, bool, dict[str, list[Any]]] | None:
        if not self.pending:
            return None
        dataset, owned = min(self.pending, key=lambda k: (self.order[k[0]], not k[1]))
        wanted = self.pending.pop((dataset, owned))
        for column, values in wanted.items():
            self.asked.setdefault((dataset, column, owned), set()).update(values)
        where = {column: sorted(values, key=str) for column, values in wanted.items()}
        return self.plan.step(dataset), owned, where

    def found(self, step: PlanStep, owned: bool, rows: list[Row]) -> None:
        records = self.collected.records[step.dataset]
        fresh: list[Record] = []
        for row in rows:
            key = row.get(step.primary_key)
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
                if lookup.source != dataset or lookup.source_field is None:
                    continue
                source_field = lookup.source_field
                # Down a parent → child reference only from the person's own rows.
                rows = [r for r in records if r.owned or not lookup.owned]
                values = [r.row.get(source_field) for r in rows]
                self.want(step.dataset, lookup.field, values, owned=lookup.owned)


def _fetch(datastores: Datastores, step: PlanStep, where: dict[str, list[Any]]) -> list[Row]:
    try:
        return datastores.read(
            step.system, lambda c: c.fetch(step.table, where=where, columns=step.columns)
        )
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


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
