"""How many people of each kind the example company holds, and what each family shares.

`subjects` people are split across the kinds of people in fixed shares; each person gets a
number unique across the company, from which their email and phone number are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from lawful.demo.fake import Pools
from lawful.demo.writer import DatabaseWriter

# Kinds of people and their share of the total; website visitors take what is left.
SHARES: tuple[tuple[str, float], ...] = (
    ("applicant", 0.10),
    ("employee", 0.02),
    ("customer_contact", 0.04),
    ("prospect", 0.14),
    ("lumiere_customer", 0.22),
    ("brightpath_customer", 0.18),
)
REST = "website_visitor"


@dataclass(frozen=True)
class Plan:
    subjects: int
    seed: int
    counts: dict[str, int]
    offsets: dict[str, int]  # population → the number before its first person

    @classmethod
    def for_subjects(cls, *, subjects: int, seed: int) -> Plan:
        counts = {name: max(1, int(subjects * share)) for name, share in SHARES}
        counts[REST] = max(1, subjects - sum(counts.values()))
        offsets: dict[str, int] = {}
        running = 0
        for name, count in counts.items():
            offsets[name] = running
            running += count
        return cls(subjects=subjects, seed=seed, counts=counts, offsets=offsets)

    @property
    def people(self) -> int:
        return sum(self.counts.values())

    def rng(self, name: str) -> Random:
        """A generator seeded by the run's seed and a name: independent of run order."""
        return Random(f"{self.seed}:{name}")  # noqa: S311 — fake data, not secrets

    def emergency_contact_number(self, employee_id: int, rank: int) -> int:
        """A person number for an employee's emergency contact (at most 3 per employee):
        above every population, so their phone numbers never clash with anyone's."""
        return self.people + 3 * employee_id + rank

    def caller_number(self, call_id: int) -> int:
        """A person number for whoever called from a line that is not the customer's."""
        return self.people + 3 * (self.counts["employee"] + 1) + call_id


@dataclass(frozen=True)
class FamilyContext:
    """What a family of tables is generated from."""

    plan: Plan
    pools: Pools
    writer: DatabaseWriter
