"""Families of tables generated together: each owns its databases, so families can run in
separate processes and still give the same rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from lawful.demo import customers, prospects, recruitment, website, workforce
from lawful.demo.client_service import BRIGHTPATH, LUMIERE, generate_for
from lawful.demo.plan import FamilyContext


@dataclass(frozen=True)
class Family:
    name: str
    systems: tuple[str, ...]
    generate: Callable[[FamilyContext], None]
    cost: float  # rough rows per subject of the whole run, to start the biggest first


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family("client_lumiere", ("contact_eu",), partial(generate_for, LUMIERE), 1.6),
        Family("client_brightpath", ("contact_us",), partial(generate_for, BRIGHTPATH), 1.3),
        Family("website", ("web",), website.generate, 1.0),
        Family("prospects", ("marketing",), prospects.generate, 0.4),
        Family("workforce", ("hris",), workforce.generate, 0.6),
        Family("recruitment", ("ats",), recruitment.generate, 0.4),
        Family("customers", ("crm", "billing"), customers.generate, 0.2),
    )
}
