"""Parts of the privacy notice drawn from the map's notice fields (`lawful.datamap.notice_fields`):
whether the data must be given (GDPR Art. 13(2)(e)), browser signals, de-identified data and
the API permissions we hold over people's other accounts.
"""

from __future__ import annotations

from lawful.datamap import facts
from lawful.datamap.models import DataMap, Purpose
from lawful.datamap.notice_fields import ApiScope, DoNotTrack, Provision, Requirement
from lawful.reports.document import Block, Paragraph, bold, para, table

# GDPR Art. 13(2)(e): statutory or contractual requirement, or one to enter into a contract.
_REQUIREMENTS = {
    Requirement.statutory: "The law requires us to collect it.",
    Requirement.contractual: "Our contract with you requires it.",
    Requirement.contract_entry: "We need it to enter into a contract with you.",
    Requirement.none: "Neither the law nor a contract requires it.",
}


def provision_cell(purpose: Purpose) -> Paragraph:
    """The purposes table's "Must you give it?" cell (GDPR Art. 13(2)(e))."""
    provision: Provision | None = purpose.provision
    if provision is None:
        return para(facts.NOT_DECLARED)
    must = "You must give it." if provision.obliged else "You are free not to give it."
    return para(
        _REQUIREMENTS[provision.requirement],
        f" {must} ",
        bold("If you do not:"),
        f" {facts.sentence(provision.consequence)}",
    )


def browser_signals(datamap: DataMap) -> list[Block]:
    """How the websites answer Do Not Track (Cal. Bus. & Prof. Code §22575(b)(5)) and Global
    Privacy Control (11 CCR §7025)."""
    signals = datamap.organization.browser_signals
    if signals is None:
        return []
    if signals.do_not_track is DoNotTrack.honoured:
        dnt = "When your browser sends a Do Not Track signal, we honour it"
    else:
        dnt = (
            "Our websites do not change what they do when your browser sends a Do Not Track "
            "signal, as there is no common standard for it; your cookie choices and Global "
            "Privacy Control still apply"
        )
    explanation = f" {facts.sentence(signals.explanation)}" if signals.explanation else ""
    return [para(bold("Do Not Track."), f" {dnt}.{explanation}")]


def global_privacy_control() -> Paragraph:
    # 11 CCR §7025(b): a business treats an opt-out preference signal as a valid opt-out.
    return para(
        bold("Global Privacy Control."),
        " When your browser sends a Global Privacy Control signal, we treat it as your request "
        "to opt out of the sale and sharing of your personal information, for that browser and "
        "for any account we know it belongs to.",
    )


def deidentified(datamap: DataMap) -> list[Block]:
    """CCPA §1798.140(m) and §1798.145(a)(6): de-identified and aggregate information is
    outside personal information; we say so, what it is for, and how it stays so."""
    data = datamap.organization.deidentified_data
    if data is None or not (data.deidentified or data.aggregated):
        return []
    kinds = facts.join_words(
        [
            k
            for k, on in (("de-identified", data.deidentified), ("aggregated", data.aggregated))
            if on
        ]
    )
    return [
        para(
            bold("Data that no longer identifies you."),
            f" We also keep {kinds} data that can no longer be linked to you. It is not personal "
            "data, and this notice does not cover it (Cal. Civ. Code §1798.140(m), "
            f"§1798.145(a)(6)). We use it for: {facts.sentence(data.uses)} We keep it in that "
            "form, take reasonable measures so that it cannot be linked back to anyone, do not "
            "try to re-identify it, and require the same of anyone we give it to.",
        )
    ]


def api_access(datamap: DataMap) -> list[Block]:
    """The API permissions (e.g. Google API scopes) our systems or recipients hold over
    people's accounts elsewhere, each with why."""
    rows: list[tuple[str, str, str, str]] = []
    for system in datamap.systems.values():
        rows += [_scope_row(system.name, scope) for scope in system.api_scopes]
    for rid, recipient in datamap.recipients.items():
        if facts.serves_us(datamap, rid):
            rows += [_scope_row(recipient.name, scope) for scope in recipient.api_scopes]
    if not rows:
        return []
    return [
        para(
            "When you connect an account you hold with another service, we ask only for the "
            "permissions below, and use what they give us only for the reason shown. You can "
            "withdraw a permission at any time in that service's account settings."
        ),
        table(
            "Permissions over your other accounts",
            ("Used by", "Service", "Permission", "Why"),
            rows,
        ),
    ]


def _scope_row(holder: str, scope: ApiScope) -> tuple[str, str, str, str]:
    return (holder, scope.provider or "—", scope.scope, facts.sentence(scope.why))
