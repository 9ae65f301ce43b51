"""DPIA screening of the map's purposes (GDPR Art. 35, WP248 rev.01 criteria).

A purpose meets the criteria its `dpia.criteria` declares, plus those the map itself shows:
special or criminal-record categories (criterion 4, Art. 9 and 10) and automated decisions
(criterion 2, Art. 22). Rule L016 flags a purpose of ours that meets two or more and names
no DPIA of the register.
"""

from __future__ import annotations

from collections.abc import Iterator

from lawful.datamap.models import Category, DataMap, Purpose, Sensitivity
from lawful.datamap.problems import Finding
from lawful.law.dpia import Criterion, Screening, screen

SENSITIVE = {Sensitivity.special, Sensitivity.criminal}


def shown_criteria(purpose: Purpose, categories: dict[str, Category]) -> set[Criterion]:
    """The criteria the map shows a purpose meets, without being told."""
    shown: set[Criterion] = set()
    for name in purpose.categories:
        category = categories.get(name)
        if category is not None and category.sensitivity in SENSITIVE:
            shown.add(Criterion.sensitive_data)  # WP248 criterion 4: Art. 9(1), Art. 10 data
    if purpose.automated_decisions:
        shown.add(Criterion.automated_decision)  # WP248 criterion 2: Art. 22(1)
    return shown


def screen_purpose(purpose: Purpose, categories: dict[str, Category]) -> Screening:
    declared = set(purpose.dpia.criteria) if purpose.dpia else set()
    return screen(declared | shown_criteria(purpose, categories))


def screen_map(datamap: DataMap, categories: dict[str, Category]) -> dict[str, Screening]:
    """Each purpose we control, screened. A client's purpose is the client's to assess: we
    assist it as its processor (Art. 28(3)(f))."""
    return {
        pid: screen_purpose(purpose, categories)
        for pid, purpose in datamap.purposes.items()
        if purpose.controller == "us"
    }


def dpia_screening(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L016: a purpose likely to result in a high risk has a DPIA (Art. 35(1))."""
    for pid, screening in screen_map(datamap, categories).items():
        purpose = datamap.purposes[pid]
        if screening.required and not (purpose.dpia and purpose.dpia.reference):
            yield Finding(
                "L016",
                ("purposes", pid),
                f"purpose `{pid}` needs a DPIA: {screening.summary()}",
                "assess it (`lawful dpia add --purpose "
                f"{pid}`) and add `dpia: {{reference: DPIA-YYYY-NNNN}}` to the purpose (GDPR Art. 35(1))",
            )
