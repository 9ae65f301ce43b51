"""Conditions on a record's fields, as retention rules write them (`where:`, `hand_over:`).

    where: {status: rejected}                 # equality
    where: {status: [rejected, withdrawn]}    # one of (also `{in: [...]}`)
    where: {status: {not: [hired]}}           # none of (an empty status is not `hired`)
    where: {status: null}                     # empty; `{not: [null]}`: set
    where: {decision: [rejected, null]}       # one of, or empty

Several fields are all required. Text compares trimmed and case-blind (connectors/match.py).
`lawful check` types the values against the dataset's fields (R020).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

Scalar = StrictBool | StrictInt | StrictStr | None


class Condition(BaseModel):
    """One field's condition: its value is one of `in`, or none of `not`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    not_: list[Scalar] | None = Field(default=None, alias="not", min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """`rejected`, `[rejected, withdrawn]` or `null` mean `{in: [...]}`; a single value
        under `in` or `not` is a list of one."""
        if not isinstance(value, dict):
            return {"in": value if isinstance(value, list) else [value]}
        return {k: v if isinstance(v, list) else [v] for k, v in value.items()}

    @model_validator(mode="after")
    def _one_way(self) -> Condition:
        if (self.in_ is None) == (self.not_ is None):
            raise ValueError(
                "a condition is a value, a list of values, `{in: [...]}` or `{not: [...]}`"
            )
        return self

    @property
    def negated(self) -> bool:
        return self.not_ is not None

    @property
    def listed(self) -> list[Scalar]:
        return list(self.in_ if self.in_ is not None else self.not_ or [])

    def values(self) -> tuple[Any, ...]:
        return tuple(v for v in self.listed if v is not None)

    def allows_empty(self) -> bool:
        """Whether an empty field passes: listed under `in`, or not listed under `not`."""
        return (None in self.listed) != self.negated


Where = dict[str, Condition]


def describe(where: Where) -> str:
    """The conditions in words, for plans and problems."""
    parts = []
    for name, condition in where.items():
        shown = ", ".join("empty" if v is None else str(v) for v in condition.listed)
        parts.append(f"{name} {'not in' if condition.negated else 'in'} [{shown}]")
    return " and ".join(parts)


class HandOver(BaseModel):
    """Records of the rule's datasets that meet `when` leave the rule for rule `to`, which
    governs them from then on, counted from its own start as each dataset declares it (an
    applicant who is hired: their file follows the personnel file's rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Where = Field(min_length=1)
    to: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="The retention rule taking over")
