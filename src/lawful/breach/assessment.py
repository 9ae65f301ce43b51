"""Who must be told of a breach: the authority (GDPR Art. 33(1)) unless the breach is
unlikely to result in a risk; the people affected (Art. 34(1)) when the risk is high, unless
an exemption of Art. 34(3) applies; our clients when we are their processor (Art. 33(2)).

The risk itself is judged by staff; what the map knows about the data (special categories,
criminal records, payment data, identity documents) is offered as hints (EDPB Guidelines
9/2022 on personal data breach notification, examples of high risk).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from lawful.breach.models import OurRole, Risk


class Exemption(StrEnum):
    """GDPR Art. 34(3): no communication to each person is required when…"""

    unintelligible = "unintelligible"  # (a) the data was unintelligible to others (encrypted)
    mitigated = "mitigated"  # (b) later measures make the high risk no longer likely
    disproportionate = "disproportionate"  # (c) it would take disproportionate effort


EXEMPTIONS = {
    Exemption.unintelligible: "GDPR Art. 34(3)(a): the data was made unintelligible to anyone "
    "not authorised to see it, such as by encryption",
    Exemption.mitigated: "GDPR Art. 34(3)(b): measures taken since ensure the high risk is "
    "no longer likely to materialise",
    Exemption.disproportionate: "GDPR Art. 34(3)(c): telling each person would take "
    "disproportionate effort, so a public communication informs them as effectively",
}

# Categories whose exposure usually means a high risk (EDPB Guidelines 9/2022, section 2.2).
HIGH_RISK_PREFIXES = (
    "special",
    "criminal",
    "financial",
    "identifier.government_id",
    "credentials",
)


@dataclass(frozen=True)
class Assessment:
    notify_authority: bool
    tell_people: bool  # one by one (Art. 34(1))
    public_communication: bool  # instead, under Art. 34(3)(c)
    tell_clients: bool  # we are their processor (Art. 33(2))
    reasons: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def assess(
    *,
    risk: Risk,
    exemptions: Iterable[str],
    role: OurRole,
    categories: Iterable[str],
    clients: Iterable[str] = (),
    people: int | None = None,
) -> Assessment:
    """What the register must lead to, and why, for one incident."""
    grounds = [Exemption(e) for e in exemptions]
    clients = list(clients)
    hints = _hints(categories, risk, people)
    if role is OurRole.processor:
        why = [
            "we process this data for a client: tell the controller without undue delay (GDPR Art. 33(2))"
        ]
        return Assessment(False, False, False, True, why, hints)
    notify = risk is not Risk.unlikely
    reasons = [_authority_reason(risk)]
    high = risk is Risk.high
    exempt = [g for g in grounds if g is not Exemption.disproportionate]
    public = high and Exemption.disproportionate in grounds and not exempt
    tell = high and not exempt and not public
    if high:
        reasons += [EXEMPTIONS[g] for g in grounds] or [
            "high risk to the people: tell them without undue delay (GDPR Art. 34(1))"
        ]
    if clients:
        reasons.append(
            f"clients' data is affected too ({', '.join(clients)}): tell them as their processor (GDPR Art. 33(2))"
        )
    return Assessment(notify, tell, public, bool(clients), reasons, hints)


def _authority_reason(risk: Risk) -> str:
    return {
        Risk.unlikely: "unlikely to result in a risk: documented in the register only (GDPR Art. 33(1), 33(5))",
        Risk.risk: "a risk to people's rights and freedoms: notify the authority (GDPR Art. 33(1))",
        Risk.high: "a high risk: notify the authority (GDPR Art. 33(1))",
        Risk.unassessed: "risk not assessed yet: prepare to notify the authority (GDPR Art. 33(1))",
    }[risk]


def _hints(categories: Iterable[str], risk: Risk, people: int | None) -> list[str]:
    sensitive = sorted({c for c in categories if c.startswith(HIGH_RISK_PREFIXES)})
    hints = []
    if sensitive and risk not in {Risk.high}:
        hints.append(
            f"affected data includes {', '.join(sensitive)}: such breaches are usually a high risk (EDPB Guidelines 9/2022)"
        )
    if people and people >= 1000 and risk is Risk.unlikely:
        hints.append(f"{people} people are affected: check that a risk is really unlikely")
    return hints
