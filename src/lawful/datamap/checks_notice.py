"""Lint rules for what the privacy notice and the records of processing must be able to say.

Each finding names the article that asks for the missing piece (see docs/checks.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

from lawful.datamap.models import Category, DataMap, Jurisdiction
from lawful.datamap.problems import Finding


def is_blank(text: str | None) -> bool:
    """No readable word: missing, empty, or only spaces, invisible or control characters
    (zero-width spaces, byte-order marks, ideographic spaces…)."""
    if text is None:
        return True
    return all(unicodedata.category(c)[0] in "ZC" for c in text)


def purpose_provision(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L030: each of our purposes says whether the data must be given (GDPR Art. 13(2)(e))."""
    for pid, purpose in datamap.purposes.items():
        if purpose.controller != "us":
            continue  # the client's notice says it (GDPR Art. 28: we act on its behalf)
        if purpose.provision is None:
            yield Finding(
                "L030",
                ("purposes", pid),
                f"purpose `{pid}` does not say whether people must give its data",
                "add `provision: {requirement: statutory | contractual | contract_entry | none, "
                "obliged: true | false, consequence: what happens if they do not}` "
                "(GDPR Art. 13(2)(e))",
            )
        elif is_blank(purpose.provision.consequence):
            yield Finding(
                "L030",
                ("purposes", pid, "provision", "consequence"),
                f"purpose `{pid}`'s `provision.consequence` is blank",
                "say in words what happens if the person does not give the data "
                "(GDPR Art. 13(2)(e))",
            )


def tracker_descriptions(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L031: every tracker says what it does (ePrivacy Directive Art. 5(3): clear and
    comprehensive information about the purposes of the storage)."""
    for tid, tracker in datamap.trackers.items():
        if is_blank(tracker.description):
            at = (
                ("trackers", tid)
                if tracker.description is None
                else ("trackers", tid, "description")
            )
            yield Finding(
                "L031",
                at,
                f"tracker `{tid}` ({tracker.name}) has no description",
                "add `description:` saying what the cookie does and why "
                "(ePrivacy Directive Art. 5(3)); it is shown in the notice and the banner",
            )


def security_measures(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L032, L033: the records describe the security measures (GDPR Art. 30(1)(g), Art. 32)."""
    measures = datamap.organization.security_measures
    if not measures:
        yield Finding(
            "L033",
            ("organization",),
            "the map declares no security measures",
            "add `organization.security_measures: [{name, description, kind}]` — the "
            "records of processing must describe them (GDPR Art. 30(1)(g), Art. 32)",
        )
    for index, measure in enumerate(measures):
        if is_blank(measure.description) or is_blank(measure.name):
            yield Finding(
                "L032",
                ("organization", "security_measures", index),
                f"security measure {index + 1} ({measure.name.strip() or 'unnamed'}) has no "
                "description",
                "write it as `{name: ..., description: what it does and what it protects}` "
                "(GDPR Art. 30(1)(g))",
            )


def browser_signals(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L034: under the CCPA the notice says how Do Not Track is answered (Cal. Bus. & Prof.
    Code §22575(b)(5), CalOPPA)."""
    org = datamap.organization
    if Jurisdiction.ccpa in org.jurisdictions and org.browser_signals is None:
        yield Finding(
            "L034",
            ("organization", "jurisdictions"),
            "the map does not say how the websites answer a Do Not Track signal",
            "add `organization.browser_signals: {do_not_track: honoured | not_honoured, "
            "explanation: ...}` (Cal. Bus. & Prof. Code §22575(b)(5))",
        )


def ccpa_sale_flag(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L035: `sells_personal_information: false` cannot stand beside a purpose or recipient
    that sells (CCPA §1798.140(ad)): the notice would contradict itself."""
    org = datamap.organization
    if org.sells_personal_information:
        return
    selling = [f"purpose `{p}`" for p, v in datamap.purposes.items() if v.sale]
    selling += [f"recipient `{r}`" for r, v in datamap.recipients.items() if v.sale]
    if selling:
        yield Finding(
            "L035",
            ("organization", "sells_personal_information"),
            f"`sells_personal_information` is false but {', '.join(selling)} sells",
            "set `sells_personal_information: true`, or remove `sale: true` where it does not "
            "apply (Cal. Civ. Code §1798.120, §1798.140(ad))",
        )


NOTICE_RULES: tuple[Callable[[DataMap, dict[str, Category]], Iterator[Finding]], ...] = (
    purpose_provision,
    tracker_descriptions,
    security_measures,
    browser_signals,
    ccpa_sale_flag,
)
