"""When a data protection impact assessment is required (GDPR Art. 35).

Art. 35(1) requires one for processing "likely to result in a high risk"; the EDPB-endorsed
WP29 guidelines (WP248 rev.01, III.B.a) list nine criteria and say that processing meeting
two or more of them will in most cases need one. Art. 35(3) names three cases outright
(automated decisions with legal effect on evaluation, large-scale special data, systematic
monitoring of public areas), each covered by the criteria below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Criterion(StrEnum):
    """The nine WP248 criteria, in the guidelines' order."""

    evaluation = "evaluation"  # 1. evaluation or scoring, incl. profiling (recitals 71, 91)
    automated_decision = "automated_decision"  # 2. automated decision with legal effect (Art. 22)
    systematic_monitoring = "systematic_monitoring"  # 3. systematic monitoring (Art. 35(3)(c))
    sensitive_data = "sensitive_data"  # 4. special or highly personal data (Art. 9, 10)
    large_scale = "large_scale"  # 5. data processed on a large scale (recital 91)
    matching_datasets = "matching_datasets"  # 6. matching or combining datasets
    vulnerable_subjects = (
        "vulnerable_subjects"  # 7. vulnerable people: employees, children (recital 75)
    )
    innovative_technology = (
        "innovative_technology"  # 8. innovative use of technology (recital 89, 91)
    )
    prevents_rights = (
        "prevents_rights"  # 9. prevents exercising a right or using a service (Art. 22, recital 91)
    )


CRITERIA_TITLES: dict[Criterion, str] = {
    Criterion.evaluation: "Evaluation or scoring",
    Criterion.automated_decision: "Automated decision with legal or similar effect",
    Criterion.systematic_monitoring: "Systematic monitoring",
    Criterion.sensitive_data: "Sensitive or highly personal data",
    Criterion.large_scale: "Data processed on a large scale",
    Criterion.matching_datasets: "Matching or combining datasets",
    Criterion.vulnerable_subjects: "Data about vulnerable people",
    Criterion.innovative_technology: "Innovative use of technology",
    Criterion.prevents_rights: "Prevents people from exercising a right or using a service",
}

# WP248 rev.01 III.B.a: "processing meeting two criteria would require a DPIA" in most cases.
THRESHOLD = 2


@dataclass(frozen=True)
class Screening:
    criteria: tuple[Criterion, ...]  # met, in the guidelines' order

    @property
    def required(self) -> bool:
        return len(self.criteria) >= THRESHOLD  # WP248 rev.01 III.B.a

    def summary(self) -> str:
        if not self.criteria:
            return "no criterion met: no DPIA needed"
        met = ", ".join(c.value for c in self.criteria)
        verdict = "a DPIA is required" if self.required else "no DPIA needed (one criterion)"
        return f"{len(self.criteria)} of 9 criteria met ({met}): {verdict}"


def screen(criteria: Iterable[Criterion]) -> Screening:
    met = set(criteria)
    return Screening(tuple(c for c in Criterion if c in met))
