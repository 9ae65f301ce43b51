"""The privacy notice (GDPR Art. 13–14, CCPA §1798.100–.135), generated from the data map.

Each section is built from the map by one function below and written in our own words; the
HTML and Markdown templates only lay the blocks out, so both say exactly the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lawful.datamap import facts
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import (
    Authority,
    DataMap,
    Establishment,
    Jurisdiction,
    Purpose,
    RecipientRole,
    RetentionRule,
    TrackerCategory,
)
from lawful.datamap.trackers import trackers_in_use
from lawful.law.ages import DIGITAL_CONSENT_AGE
from lawful.reports import notice_more
from lawful.reports.document import (
    Block,
    Paragraph,
    Section,
    Subheading,
    bold,
    bullets,
    link,
    para,
    table,
)
from lawful.reports.notice_rights import ccpa_section, rights_section
from lawful.reports.render import render, write_text

# Section id → heading. The id is the HTML anchor and the Markdown heading's slug.
TITLES = {
    "who-we-are": "Who we are",
    "data-we-collect": "Data we collect",
    "purposes": "Purposes",
    "recipients": "Recipients",
    "transfers": "Transfers",
    "api-access": "Access to your other accounts",
    "retention": "Retention",
    "your-rights": "Your rights",
    "complaints": "Complaints",
    "children": "Children",
    "cookies": "Cookies",
    "ccpa": "CCPA",
    "changes": "Changes",
}

_ROLES = {
    RecipientRole.processor: "Service provider acting only on our instructions",
    RecipientRole.sub_processor: "Service provider engaged by one of our service providers",
    RecipientRole.controller: "Organisation using the data for its own purposes",
    RecipientRole.joint_controller: "Joint controller, deciding with us how the data is used",
    RecipientRole.authority: "Public authority, where the law requires it",
    RecipientRole.partner: "Business partner",
    RecipientRole.client: "Client company we work for",
    RecipientRole.affiliate: "Company of our group",
    RecipientRole.acquirer: (
        "Buyer or successor of all or part of our business, in a merger, acquisition or sale "
        "of assets, bound by this notice"
    ),
}

_TRACKERS = {
    TrackerCategory.strictly_necessary: "Strictly necessary",
    TrackerCategory.audience_measurement: "Audience measurement",
    TrackerCategory.personalisation: "Personalisation",
    TrackerCategory.advertising: "Advertising",
}


@dataclass(frozen=True)
class Notice:
    organization: str
    lang: str
    version: str
    last_updated: str | None
    sections: tuple[Section, ...]


def write_notice(loaded: LoadedMap, *, out_dir: Path) -> list[Path]:
    """Write `privacy-notice.html` and `privacy-notice.md`; return their paths."""
    notice = build_notice(loaded.datamap)
    return [
        write_text(out_dir / "privacy-notice.html", render("notice.html.j2", notice=notice)),
        write_text(out_dir / "privacy-notice.md", render("notice.md.j2", notice=notice)),
    ]


def build_notice(datamap: DataMap) -> Notice:
    org = datamap.organization
    sections = [
        _section("who-we-are", _who_we_are(datamap)),
        _section("data-we-collect", _data_we_collect(datamap)),
        _section("purposes", _purposes(datamap)),
        _section("recipients", _recipients(datamap)),
        _section("transfers", _transfers(datamap)),
    ]
    if api_access := notice_more.api_access(datamap):
        sections.append(_section("api-access", api_access))
    sections += [
        _section("retention", _retention(datamap)),
        _section("your-rights", rights_section(datamap)),
        _section("complaints", _complaints(datamap)),
        _section("children", _children(datamap)),
        _section("cookies", _cookies(datamap)),
    ]
    if Jurisdiction.ccpa in org.jurisdictions:
        sections.append(_section("ccpa", ccpa_section(datamap)))
    sections.append(_section("changes", _changes(datamap)))
    return Notice(
        organization=org.trading_name or org.name,
        lang=_language(org.notice.languages),
        version=org.notice.version,
        last_updated=_day(org.notice.last_updated),
        sections=tuple(sections),
    )


def _section(section_id: str, blocks: list[Block]) -> Section:
    return Section(id=section_id, title=TITLES[section_id], blocks=tuple(blocks))


def _language(languages: list[str]) -> str:
    """The text is written in English: declare the map's English variant, else plain "en"."""
    return next((tag for tag in languages if tag.lower().split("-")[0] == "en"), "en")


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _day(value: date | None) -> str | None:
    """A date as English text ("1 March 2026"), whatever the machine's locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}" if value else None


# --- who we are (GDPR Art. 13(1)(a)–(b), Art. 27) ----------------------------------------------


def _who_we_are(datamap: DataMap) -> list[Block]:
    org = datamap.organization
    trading = f", trading as {org.trading_name}," if org.trading_name else ""
    registered = f", under company number {org.registration}" if org.registration else ""
    blocks: list[Block] = [
        para(
            f"{org.name}{trading} is the controller of the personal data this notice describes: "
            f"we decide why it is used and how. We are registered at {org.address.one_line()}"
            f"{registered}."
        ),
        bullets(_contact_items(org.contact.email, org.contact.phone, org.website)),
    ]
    if org.establishments:
        blocks.append(para("Our establishments:"))
        blocks.append(bullets(_establishment(e) for e in org.establishments))
    blocks += _dpo_and_representative(datamap)
    if _acts_for_clients(datamap):
        blocks.append(_for_clients())
    return blocks


def _establishment(establishment: Establishment) -> str:
    where = establishment.address.city if establishment.address else None
    place = ", ".join(p for p in (where, establishment.country) if p)
    return f"{establishment.name} — {place}"


def _contact_items(email: str | None, phone: str | None, website: str | None) -> list[Paragraph]:
    items = []
    if email:
        items.append(para("Email: ", link(email, f"mailto:{email}")))
    if phone:
        items.append(para("Phone: ", link(phone, f"tel:{facts.dial(phone)}")))
    if website:
        items.append(para("Website: ", link(website, website)))
    return items


def _dpo_and_representative(datamap: DataMap) -> list[Block]:
    org = datamap.organization
    blocks: list[Block] = []
    if org.dpo:
        named = org.dpo.name and "data protection officer" not in org.dpo.name.lower()
        who = f", {org.dpo.name}," if named else ""
        blocks.append(
            para(
                f"Our data protection officer{who} answers any question about this notice or about your data:"
            )
        )
        blocks.append(bullets(_contact_items(org.dpo.email, org.dpo.phone, org.dpo.url)))
    if org.representative:
        lines = facts.contact_lines(org.representative)
        blocks.append(
            para(f"Our representative in the European Union (GDPR Art. 27): {', '.join(lines)}.")
        )
    return blocks


def _acts_for_clients(datamap: DataMap) -> bool:
    return any(p.controller != facts.US for p in datamap.purposes.values()) or any(
        d.controller != facts.US for d in datamap.datasets.values()
    )


def _for_clients() -> Paragraph:
    return para(
        "Part of our work is done for business clients, for example handling the calls or "
        "messages of their own customers. For that data the client is the controller, we act "
        "as its processor, and the client's privacy notice is the one that applies. If you "
        "send us a request about such data, we forward it to the client concerned and let you "
        "know that we have done so."
    )


# --- data we collect (Art. 14(1)(d), 14(2)(f)) -------------------------------------------------


def _data_we_collect(datamap: DataMap) -> list[Block]:
    subjects = facts.our_subjects(datamap)
    if not subjects:
        return [para("We hold no personal data as a controller.")]
    blocks: list[Block] = [
        para(
            "What we hold about you depends on how you deal with us. Look for the group that fits you."
        )
    ]
    for sid in subjects:
        blocks += _subject_blocks(datamap, sid)
    return blocks + notice_more.deidentified(datamap)


def _subject_blocks(datamap: DataMap, subject_id: str) -> list[Block]:
    subject = datamap.subjects[subject_id]
    categories = facts.subject_categories(datamap, subject_id)
    blocks: list[Block] = [Subheading(subject.name)]
    if subject.description:
        blocks.append(para(subject.description))
    blocks.append(bullets(facts.category_label(datamap, c) for c in categories))
    sources = facts.subject_sources(datamap, subject_id)
    if sources:
        # GDPR Art. 14(2)(f): the source of data not obtained from the person.
        blocks.append(para(bold("Where it comes from:")))
        blocks.append(bullets(facts.capitalised(source.strip().rstrip(".")) for source in sources))
    return blocks


# --- purposes and legal bases (Art. 13(1)(c)–(d)) ----------------------------------------------


def _purposes(datamap: DataMap) -> list[Block]:
    purposes = facts.controlled_by_us(datamap)
    if not purposes:
        return [para("We do not use personal data for purposes of our own.")]
    rows = [
        (
            _purpose_cell(purpose),
            ", ".join(facts.subject_name(datamap, s) for s in facts.purpose_subjects(datamap, pid)),
            ", ".join(
                facts.category_name(datamap, c) for c in facts.purpose_categories(datamap, pid)
            ),
            _basis_cell(purpose),
            notice_more.provision_cell(purpose),
        )
        for pid, purpose in purposes.items()
    ]
    return [
        para(
            "We use personal data only for the purposes listed here. Each rests on one of the "
            "legal bases of GDPR Art. 6(1); when the basis is our legitimate interests, the "
            "table names the interest we pursue. The last column says whether you must give "
            "us the data and what happens if you do not (GDPR Art. 13(2)(e))."
        ),
        table(
            "Purposes and their legal bases",
            ("Purpose", "Whose data", "Which data", "Legal basis", "Must you give it?"),
            rows,
        ),
    ]


def _purpose_cell(purpose: Purpose) -> Paragraph:
    extra = []
    if purpose.description:
        extra.append(f" — {purpose.description}")
    if purpose.direct_marketing:
        channels = facts.join_words([c.value for c in purpose.channels]) or "any channel"
        extra.append(f" (direct marketing by {channels})")
    return para(bold(purpose.name), *extra)


def _basis_cell(purpose: Purpose) -> Paragraph:
    text = [facts.legal_basis_name(purpose.legal_basis)]
    if facts.is_legitimate_interest(purpose):
        text.append(f"Our interest: {purpose.legitimate_interest or facts.NOT_DECLARED}")
    if purpose.special_condition:
        condition = facts.special_condition_name(purpose.special_condition)
        text.append(f"For special categories of data: {condition}")
    if purpose.criminal_condition:
        authorisation = facts.criminal_condition_name(purpose.criminal_condition)
        text.append(f"For criminal-record data: {authorisation}")
    return para(" ".join(facts.sentence(t) for t in text))


# --- recipients and transfers (Art. 13(1)(e)–(f)) ----------------------------------------------


def _recipients(datamap: DataMap) -> list[Block]:
    ours = [rid for rid in datamap.recipients if facts.serves_us(datamap, rid)]
    if not ours:
        return [para("We do not disclose personal data to other organisations.")]
    rows = [_recipient_row(datamap, rid) for rid in ours]
    return [
        para(
            "We disclose personal data only to the organisations below, and only the data each "
            "of them needs for the purposes shown next to it."
        ),
        table("Who receives personal data", ("Recipient", "Role", "Country", "For"), rows),
    ]


def _recipient_row(datamap: DataMap, recipient_id: str) -> tuple[str, ...]:
    recipient = datamap.recipients[recipient_id]
    purposes = [
        facts.purpose_name(datamap, pid)
        for pid in facts.recipient_purposes(datamap, recipient_id)
        if datamap.purposes[pid].controller == facts.US
    ]
    name = (
        f"{recipient.name} — {recipient.description}" if recipient.description else recipient.name
    )
    return (name, _ROLES[recipient.role], recipient.country, ", ".join(purposes) or "—")


def _transfers(datamap: DataMap) -> list[Block]:
    recipients = [rid for rid in datamap.recipients if facts.serves_us(datamap, rid)]
    found = facts.transfers_for(
        datamap, recipients=recipients, datasets=facts.our_datasets(datamap).values()
    )
    if not found:
        return [para("We do not transfer personal data outside the European Economic Area (EEA).")]
    rows = [(t.to, t.country, facts.capitalised(t.safeguard)) for t in found]
    return [
        para(
            "Some recipients, or the systems we store data in, are outside the European Economic "
            "Area (EEA). Each of these transfers is covered by a safeguard from Chapter V of the "
            "GDPR:"
        ),
        table("Transfers outside the EEA", ("Sent to", "Country", "Safeguard"), rows),
        para(
            "You can obtain a copy of these safeguards, such as the contractual clauses we signed, "
            "by writing to us through the channels under ",
            link(TITLES["your-rights"], "#your-rights"),
            ".",
        ),
    ]


# --- retention (Art. 13(2)(a)) -----------------------------------------------------------------


def _retention(datamap: DataMap) -> list[Block]:
    rules = {
        rid: rule
        for rid, rule in datamap.retention.items()
        if facts.rule_concerns_us(datamap, rule)
    }
    if not rules:
        return [
            para("Our data map sets no retention periods yet; ask us how long we keep your data.")
        ]
    rows = [
        (
            _retention_label(datamap, rid, rule),
            facts.human_duration(rule.period),
            facts.words(rule.start),
            facts.retention_end(rule).capitalize(),
            _retention_reason(rule, legal_obligation=rule.legal_obligation),
        )
        for rid, rule in rules.items()
    ]
    return [
        para(
            "Each kind of data is kept for the period shown, counted from the event shown. When "
            "the period ends, the data is handled as the last columns say."
        ),
        table(
            "How long we keep personal data",
            ("Data", "Kept for", "Counted from", "At the end", "Why this period"),
            rows,
        ),
    ]


def _retention_label(datamap: DataMap, rule_id: str, rule: RetentionRule) -> Paragraph:
    """A row is named by its rule (its id in words) and the data it covers, never by its
    description, which says why and goes to the last column."""
    scope = rule.applies_to
    covered = facts.unique(
        [
            *(facts.words(d) for d in scope.datasets if d in datamap.datasets),
            *(facts.subject_name(datamap, s) for s in scope.subjects),
            *(facts.category_name(datamap, c) for c in scope.categories),
            *(facts.purpose_name(datamap, p) for p in scope.purposes),
        ]
    )
    name = facts.capitalised(facts.words(rule_id))
    return para(bold(name), f" ({', '.join(covered)})" if covered else "")


def _retention_reason(rule: RetentionRule, *, legal_obligation: bool) -> str:
    reasons = [facts.sentence(rule.description).rstrip(".")] if rule.description else []
    if rule.citation:
        reasons.append(rule.citation)
    if legal_obligation:
        # GDPR Art. 17(3)(b): erasure gives way to a legal obligation to keep the data.
        reasons.append(
            "required by law, so kept even after a request to erase (GDPR Art. 17(3)(b))"
        )
    return "; ".join(reasons) or "—"


# --- complaints (Art. 13(2)(d), 77) ------------------------------------------------------------


def _complaints(datamap: DataMap) -> list[Block]:
    authority = datamap.organization.lead_authority
    blocks: list[Block] = [
        para(
            "If you believe we have handled your data unlawfully, you may lodge a complaint with a "
            "data protection supervisory authority, in particular in the EU country where you "
            "live or work or where the problem arose (GDPR Art. 77)."
        )
    ]
    if authority:
        blocks.append(_lead_authority(authority))
    if datamap.organization.dpo:
        blocks.append(
            para("Our data protection officer is glad to look into any concern with you first.")
        )
    return blocks


def _lead_authority(authority: Authority) -> Paragraph:
    """The authority of our main establishment (GDPR Art. 56(1)), with where to find it."""
    where = authority.address.one_line() if authority.address else authority.country
    website = (", ", link(authority.url, authority.url)) if authority.url else ()
    return para(
        "Our lead supervisory authority is ", bold(authority.name), f" ({where})", *website, "."
    )


# --- children (Art. 8) -------------------------------------------------------------------------


def _children(datamap: DataMap) -> list[Block]:
    ages = [
        f"{datamap.subjects[sid].name}: {age} years or older"
        for sid in facts.our_subjects(datamap)
        if (age := facts.minimum_age(datamap, sid))
    ]
    blocks: list[Block] = []
    if ages:
        blocks += [para("Each group of people we deal with has a minimum age:"), bullets(ages)]
    blocks.append(
        para(
            "We do not knowingly collect data about anyone younger. If you think we hold data "
            "about a child below these ages, tell us and we will erase it."
        )
    )
    blocks += _consent_ages(datamap)
    return blocks


def _consent_ages(datamap: DataMap) -> list[Block]:
    jurisdictions = datamap.organization.jurisdictions
    ages = [
        f"{DIGITAL_CONSENT_AGE[j][0]} under {DIGITAL_CONSENT_AGE[j][1]}"
        for j in jurisdictions
        if j in DIGITAL_CONSENT_AGE
    ]
    if not ages:
        return []
    return [
        para(
            "Where an online service relies on consent, a child younger than the age of digital "
            f"consent needs a parent's authorisation: {facts.join_words(ages)}."
        )
    ]


# --- cookies and trackers (ePrivacy Directive Art. 5(3)) ---------------------------------------


def _cookies(datamap: DataMap) -> list[Block]:
    trackers = trackers_in_use(datamap)  # the banner's list, from the same source
    if not trackers:
        return [
            para("We place no cookies or similar trackers on your device."),
            *notice_more.browser_signals(datamap),
            notice_more.global_privacy_control(),
        ]
    rows = [
        (
            t.name,
            t.provider,
            _TRACKERS[t.category],
            facts.human_duration(t.lifetime),
            t.description or "—",
            _tracker_consent(t.category, cnil_exempt=t.cnil_exempt),
        )
        for t in trackers
    ]
    return [
        para(
            "Our websites store cookies or similar identifiers on your device. The ones that are "
            "not strictly necessary are only set after you agree, and you can change your choice "
            "at any time, as easily as you made it."
        ),
        table(
            "Cookies and similar trackers",
            ("Name", "Set by", "Type", "Lifetime", "What it does", "Your consent"),
            rows,
        ),
        *notice_more.browser_signals(datamap),
        notice_more.global_privacy_control(),
    ]


def _tracker_consent(category: TrackerCategory, *, cnil_exempt: bool) -> str:
    # ePrivacy Directive Art. 5(3): consent unless strictly necessary; CNIL exempts audience
    # measurement kept within its limits (cookie ≤ 13 months, data ≤ 25 months).
    if category is TrackerCategory.strictly_necessary:
        return "Not asked: strictly necessary"
    if cnil_exempt:
        return "Not asked: exempt audience measurement (CNIL guidance)"
    return "Asked first"


# --- changes -----------------------------------------------------------------------------------


def _changes(datamap: DataMap) -> list[Block]:
    info = datamap.organization.notice
    when = f", last updated on {_day(info.last_updated)}" if info.last_updated else ""
    return [
        para(f"This is version {info.version} of this notice{when}."),
        para(
            "This notice is produced from the same record of our data that our systems run on, so "
            "it changes whenever that record changes; each change gets a new version number and "
            "date."
        ),
    ]
