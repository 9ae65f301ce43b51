"""Lint rules over conditional retention: conditions typed against the fields they test
(R020), hand-overs that land somewhere (R021), rules that can govern the same record (L020),
and records no rule governs (L021). Reasoned on the map alone, per field, over the values a
field declares (`values:`), with "empty" as one more value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lawful.datamap.conditions import Condition, Where
from lawful.datamap.graph import ParentLink, parent_date
from lawful.datamap.models import Category, DataMap, Dataset
from lawful.datamap.problems import Finding


def _datasets_in_scope(datamap: DataMap, rule_id: str) -> list[str]:
    scope = datamap.retention[rule_id].applies_to
    return [did for did, dataset in datamap.datasets.items() if scope.covers(did, dataset)]


EMPTY = object()  # an empty field, as one more value of every field


@dataclass(frozen=True)
class Values:
    """A set of a field's values: `those` when `only`, else every value but `those`."""

    only: bool
    those: frozenset[object]

    def __and__(self, other: Values) -> Values:
        if self.only and other.only:
            return Values(True, self.those & other.those)
        if self.only or other.only:
            kept, less = (self, other) if self.only else (other, self)
            return Values(True, kept.those - less.those)
        return Values(False, self.those | other.those)

    def __or__(self, other: Values) -> Values:
        if self.only and other.only:
            return Values(True, self.those | other.those)
        if self.only or other.only:
            added, whole = (self, other) if self.only else (other, self)
            return Values(False, whole.those - added.those)
        return Values(False, self.those & other.those)

    def invert(self) -> Values:
        return Values(not self.only, self.those)

    @property
    def empty(self) -> bool:
        return self.only and not self.those


EVERY = Values(False, frozenset())


def values_of(condition: Condition) -> Values:
    found = frozenset(EMPTY if v is None else _fold(v) for v in condition.listed)
    return Values(not condition.negated, found)


def _fold(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class Governor:
    """A rule governing some records of a dataset: per field, the values it takes."""

    rule_id: str
    fields: dict[str, Values]
    at: tuple[str | int, ...]
    conditional: bool


def governors(datamap: DataMap, did: str) -> list[Governor]:
    """The rules governing records of a dataset, with their conditions: a rule's `where`
    less what it hands over, and the rules records are handed over to."""
    dataset = datamap.datasets[did]
    found = []
    for rule_id, rule in datamap.retention.items():
        if not rule.applies_to.covers(did, dataset):
            continue
        fields = _values(rule.where)
        for over in rule.hand_over:
            if set(over.when) <= set(dataset.fields) and len(over.when) == 1:
                (name, condition), *_ = over.when.items()
                fields[name] = fields.get(name, EVERY) & values_of(condition).invert()
            receiver = datamap.retention.get(over.to)
            if receiver is not None and not receiver.applies_to.covers(did, dataset):
                at = ("retention", rule_id, "hand_over", rule.hand_over.index(over), "when")
                found.append(Governor(over.to, _values(over.when), at, True))
        conditional = bool(rule.where or rule.hand_over)
        found.append(Governor(rule_id, fields, ("retention", rule_id), conditional))
    return found


def _values(where: Where) -> dict[str, Values]:
    return {name: values_of(condition) for name, condition in where.items()}


def conditions_typed(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """R020: a condition names a field of every dataset its rule covers, with values the
    field declares (when it declares them)."""
    for rule_id, rule in datamap.retention.items():
        wheres: list[tuple[tuple[str | int, ...], Where]] = [
            (("retention", rule_id, "where"), rule.where)
        ]
        wheres += [
            (("retention", rule_id, "hand_over", i, "when"), h.when)
            for i, h in enumerate(rule.hand_over)
        ]
        for did in _datasets_in_scope(datamap, rule_id):
            dataset = datamap.datasets[did]
            for at, where in wheres:
                for name, condition in where.items():
                    yield from _typed(dataset, did, (*at, name), name, condition)


def _typed(
    dataset: Dataset, did: str, at: tuple[str | int, ...], name: str, condition: Condition
) -> Iterator[Finding]:
    field = dataset.fields.get(name)
    if field is None:
        yield Finding(
            "R020",
            at,
            f"the condition tests `{name}`, which is not a field of dataset `{did}`",
            f"use one of: {', '.join(dataset.fields)}; or narrow `applies_to` to the datasets "
            "holding this field",
        )
        return
    if field.values is None:
        return
    declared = {_fold(v) for v in field.values}
    kinds = {type(v) for v in field.values if v is not None}
    for value in condition.values():
        if type(value) not in kinds and kinds:
            yield Finding(
                "R020",
                at,
                f"`{value}` is a {type(value).__name__}, but `{did}.{name}` holds "
                f"{', '.join(sorted(k.__name__ for k in kinds))} values",
                "write the value as the field stores it (quote numbers meant as text)",
            )
        elif _fold(value) not in declared:
            yield Finding(
                "R020",
                at,
                f"`{value}` is not among the values `{did}.{name}` declares",
                f"use one of: {', '.join(str(v) for v in field.values)}; or add it to the "
                "field's `values:`",
            )


def hand_overs(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """R021: a hand-over names another rule, whose start each dataset can date."""
    for rule_id, rule in datamap.retention.items():
        for i, over in enumerate(rule.hand_over):
            at = ("retention", rule_id, "hand_over", i, "to")
            receiver = datamap.retention.get(over.to)
            if receiver is None or over.to == rule_id:
                yield Finding(
                    "R021",
                    at,
                    f"records are handed over to `{over.to}`, "
                    + ("the rule itself" if over.to == rule_id else "which is no retention rule"),
                    f"name another rule of `retention:` ({', '.join(r for r in datamap.retention if r != rule_id)})",
                )
                continue
            for did in _datasets_in_scope(datamap, rule_id):
                if not _dated(datamap, did, receiver.start):
                    yield Finding(
                        "R021",
                        at,
                        f"`{over.to}` counts from `{receiver.start}`, which dataset `{did}` "
                        "does not date: the records handed over would be kept for ever",
                        f"add `events: {{{receiver.start}: <date field>}}` to `{did}` (a field, "
                        "or `<dataset>.<field>` of the row it references)",
                    )


def _dated(datamap: DataMap, did: str, start: str) -> bool:
    dataset = datamap.datasets[did]
    named = dataset.events.get(start, start)
    if named in dataset.fields:
        return True
    return isinstance(parent_date(datamap, did, named), ParentLink)


def overlaps(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L020: two rules, one of them conditional, can govern the same record of a dataset.
    (Two unconditional rules on one dataset are the map's way of saying "the longest wins".)"""
    for did in datamap.datasets:
        found = governors(datamap, did)
        for i, one in enumerate(found):
            for other in found[i + 1 :]:
                if not (one.conditional or other.conditional) or one.rule_id == other.rule_id:
                    continue
                if _disjoint(one, other):
                    continue
                yield Finding(
                    "L020",
                    other.at,
                    f"rules `{one.rule_id}` and `{other.rule_id}` can both govern a record of "
                    f"`{did}`: which one ends it is unclear",
                    "make their `where` conditions exclusive (a value in one, `not:` it in the "
                    "other), or hand the records over with `hand_over:`",
                )


def _disjoint(one: Governor, other: Governor) -> bool:
    shared = set(one.fields) & set(other.fields)
    return any((one.fields[name] & other.fields[name]).empty for name in shared)


def ungoverned(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L021: where every rule on a dataset is conditional, the values of the tested field
    that no rule takes (among those it declares, and "empty") leave records kept for ever."""
    for did, dataset in datamap.datasets.items():
        found = governors(datamap, did)
        if not found or any(not g.fields for g in found):
            continue  # no rule at all is L007's; a rule without conditions governs everything
        tested = {name for g in found for name in g.fields}
        single = [g for g in found if len(g.fields) == 1]
        for name in sorted(tested):
            union = Values(True, frozenset())
            for g in single:
                if name in g.fields:
                    union = union | g.fields[name]
            field = dataset.fields.get(name)
            if field is None or (not union.only and not union.those):
                continue  # R020 names an unknown field; every value is taken
            yield from _gaps(did, name, union, field.values)


def _gaps(
    did: str, name: str, union: Values, declared: Sequence[object] | None
) -> Iterator[Finding]:
    at: tuple[str | int, ...] = ("datasets", did, "fields", name)
    if union.only and declared is None:
        yield Finding(
            "L021",
            at,
            f"the retention rules of `{did}` take only some values of `{name}`: records "
            "holding any other are governed by no rule",
            f"list the values `{name}` may hold under `values:` so `lawful check` can tell, or "
            "give one rule a `{not: [...]}` condition that takes the rest",
        )
        return
    universe = {EMPTY, *(_fold(v) for v in declared or [])}
    missing = universe - union.those if union.only else set(union.those)
    if missing:
        shown = ", ".join("empty" if v is EMPTY else str(v) for v in sorted(missing, key=str))
        yield Finding(
            "L021",
            at,
            f"no retention rule governs the records of `{did}` whose `{name}` is {shown}: "
            "they would be kept for ever",
            "add the value(s) to a rule's `where` (as `null` for empty), or a rule for them",
        )
