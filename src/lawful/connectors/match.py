"""Record filters a store applies while it pages through a table: the `where` of a retention
rule (`status: rejected`), compiled by each connector into its own query (bound parameters in
SQL, never text built from values) or tested row by row where the store cannot filter.

Text compares trimmed and lower-cased on both sides, so `Rejected` and ` rejected` in the data
match the map's `rejected`: a mis-typed status must not let a record escape its rule. Every
test is two-valued (an empty value passes only when the test says so), so negating a test or a
group of tests never leaves a record in SQL's unknown third state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lawful.connectors.base import folded


@dataclass(frozen=True)
class FieldTest:
    """`field` holds one of `values` (text folded), or, `negate`d, none of them; an empty
    field passes only when `nulls` is set."""

    field: str
    values: tuple[Any, ...] = ()
    negate: bool = False
    nulls: bool = False

    def passes(self, value: Any) -> bool:
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.nulls
        return (folded(value) in self.folded_values()) != self.negate

    def folded_values(self) -> tuple[Any, ...]:
        return tuple(folded(v) for v in self.values)

    def inverse(self) -> FieldTest:
        """The test every record failing this one passes."""
        return FieldTest(self.field, self.values, not self.negate, not self.nulls)

    def describe(self) -> str:
        shown = ", ".join(str(v) for v in self.values)
        if not self.values:
            return f"`{self.field}` is {'not ' if self.negate else ''}empty"
        verb = "is not one of" if self.negate else "is one of"
        empty = " or empty" if self.nulls else ""
        return f"`{self.field}` {verb} [{shown}]{empty}"


@dataclass(frozen=True)
class Match:
    """Records passing every test of `every` and no group of `none` (a group fails a record
    when one of its tests does): a rule's `where`, less the records it hands over."""

    every: tuple[FieldTest, ...] = ()
    none: tuple[tuple[FieldTest, ...], ...] = ()

    @property
    def fields(self) -> list[str]:
        names = [t.field for t in self.every] + [t.field for g in self.none for t in g]
        return list(dict.fromkeys(names))

    def passes(self, row: Mapping[str, Any]) -> bool:
        return all(t.passes(row.get(t.field)) for t in self.every) and not any(
            all(t.passes(row.get(t.field)) for t in group) for group in self.none
        )

    def __bool__(self) -> bool:
        return bool(self.every or self.none)


def passes(match: Match | None, row: Mapping[str, Any]) -> bool:
    """Whether a row passes an optional filter (always, without one)."""
    return match is None or match.passes(row)
